from __future__ import annotations

import json

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin, StackedInline
from unfold.decorators import action, display
from unfold.forms import PaginationInlineFormSet
from unfold.widgets import UnfoldAdminTextInputWidget

from fortycrm import selectors
from fortycrm.admin.base import (
    CONTACT_FIELDS,
    HistoryAdmin,
    NoNestedInlinesMixin,
    SafePrefillMixin,
    ServiceFormsetsMixin,
    ServiceSavedInline,
    ShowAllInlineMixin,
    active_orders_table,
    color_badge,
    without_birthday,
)
from fortycrm.admin.fields import CustomFieldsAdminMixin, CustomFieldsInlineMixin, CustomFieldsListMixin
from fortycrm.admin.forms import add_service_errors
from fortycrm.admin.lazy_tabs import LazyInlineTabsMixin
from fortycrm.admin.lists import CustomerSearchMixin, FastListMixin, TagFilter
from fortycrm.admin.locations import CustomerLocationInline
from fortycrm.admin.payers import CustomerCostBearerInline, CustomerSettingsInline, customer_history_table
from fortycrm.models import Contact, Customer, CustomerStatus, Tag
from fortycrm.models.staff import person_name
from fortycrm.selectors import account_manager_candidates, customer_list_queryset
from fortycrm.services import billing as billing_services
from fortycrm.services import contacts as contact_services
from fortycrm.services import customers as services
from fortycrm.services.numbers import number_suggest
from fortycrm.services.statuses import default_status, former_status
from fortycrm.services.tags import tags_resolve
from fortycrm.tagnames import TAG_NAME_MAX_LENGTH, parse_tag_names, tag_name_problem
from fortycrm.urlcache import reverse_once

User = get_user_model()


class CustomerForm(forms.ModelForm):
    tag_names = forms.CharField(
        label=_("Tags"),
        required=False,
        help_text=_("Separate tags with commas; new tags are created on saving."),
        widget=UnfoldAdminTextInputWidget(attrs={"list": "fortycrm-tag-list", "autocomplete": "off"}),
    )
    suggested_number = forms.IntegerField(required=False, widget=forms.HiddenInput)

    class Meta:
        model = Customer
        exclude = ["tags", "custom_field_data"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "account_manager" in self.fields:
            self.fields["account_manager"].queryset = account_manager_candidates()
            self.fields["account_manager"].label_from_instance = person_name  # the full name, not the login
        if "status" in self.fields:
            statuses = CustomerStatus.objects.order_by("position", "name")
            if self.instance.pk and self.instance.number is not None:
                statuses = statuses.filter(with_number=True)  # R-STA-5: a numbered customer keeps a status with number
                self.fields["status"].error_messages["invalid_choice"] = _(
                    "The customer already has customer number %(number)s, so only a status with customer number can be chosen."
                ) % {"number": self.instance.number}
            self.fields["status"].queryset = statuses
            if not self.instance.pk:
                self.fields["status"].initial = default_status().pk
            with_number = list(CustomerStatus.objects.filter(with_number=True).values_list("pk", flat=True))
            widget = self.fields["status"].widget
            getattr(widget, "widget", widget).attrs["data-with-number"] = json.dumps(with_number)
        if self.instance.pk:
            self.fields["tag_names"].initial = ", ".join(t.name for t in self.instance.tags.all())
        if "number" in self.fields and self.instance.number is None:
            suggestion = number_suggest()
            self.initial.setdefault("suggested_number", suggestion)
            if self.initial.get("number") is None:
                self.initial["number"] = suggestion
            self.fields["number"].help_text = _(
                "Suggested: the next free number. You may enter another one; every number exists only once."
            )

    def clean(self):
        data = super().clean()
        status = data.get("status")
        if status is None:
            return data
        number = data.get("number")
        if not status.with_number and not self.instance.number:
            data["number"] = number = None  # the suggestion field is hidden for such statuses
        try:
            services.customer_check_number(
                customer_pk=self.instance.pk,
                old_number=Customer.objects.filter(pk=self.instance.pk).values_list("number", flat=True).first() if self.instance.pk else None,
                status=status,
                number=number if number != data.get("suggested_number") else None,
                actor=getattr(self, "actor", None),
            )
        except (ValidationError, PermissionDenied) as exc:
            add_service_errors(self, exc)
        for name in parse_tag_names(data.get("tag_names", "")):
            problem = tag_name_problem(name)
            if problem:
                self.add_error("tag_names", problem)
        return data


class ContactInline(ShowAllInlineMixin, CustomFieldsInlineMixin, ServiceSavedInline, StackedInline):
    model = Contact
    custom_field_object_type = "contact"  # R-FLD: the contacts' custom fields, editable here too
    formset = PaginationInlineFormSet
    per_page = 3  # a customer with 500 contacts: pages of 3, and a link to all of them (issue 13)
    show_all_list = "admin:fortycrm_contact_changelist"
    show_all_parameter = "customer__id__exact"
    extra = 0
    fields = CONTACT_FIELDS
    ordering = ["priority", "last_name"]
    verbose_name = _("contact")
    verbose_name_plural = _("contacts")
    tab = True

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if obj is not None and obj.pk and not obj.is_private:
            return without_birthday(fields)  # R-CON-3: not offered for a company customer's contacts
        return fields

    def save_row(self, obj):
        contact_services.contact_save(contact=obj)

    def delete_row(self, obj):
        contact_services.contact_delete(contact=obj)


def export_file_name(title, suffix: str) -> str:
    """``fortycrm_firmenkunden_2026-11-28.csv``: named in the desk language like the templates."""
    from django.utils import timezone

    return f"fortycrm_{str(title).lower().replace(' ', '_')}_{timezone.localdate():%Y-%m-%d}.{suffix}"


def customers_export_files(queryset) -> dict[str, bytes]:
    """File name → CSV of the selected customers, one file per kind present in ``queryset``."""
    from fortycrm.imports.columns import get_template
    from fortycrm.imports.files import customers_csv

    files = {}
    for kind, key in ((Customer.Kind.COMPANY, "company_customers"), (Customer.Kind.PRIVATE, "private_customers")):
        rows = queryset.filter(kind=kind)
        if not rows.exists():
            continue
        template = get_template(key)
        rows = rows.select_related("status", "account_manager", "own_settings__letterhead").prefetch_related("tags").order_by("number", "pk")
        files[export_file_name(template.title, "csv")] = customers_csv(template, rows)
    return files


def export_zip(files: dict[str, bytes]) -> bytes:
    import io
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()


class StatusFilter(admin.RelatedFieldListFilter):
    def field_choices(self, field, request, model_admin):
        return list(CustomerStatus.objects.order_by("position", "name").values_list("pk", "name"))


class AccountManagerFilter(admin.RelatedFieldListFilter):
    def field_choices(self, field, request, model_admin):
        return [(u.pk, person_name(u)) for u in account_manager_candidates()]


@admin.register(Customer)
class CustomerAdmin(NoNestedInlinesMixin, LazyInlineTabsMixin, FastListMixin, CustomFieldsAdminMixin, CustomFieldsListMixin, CustomerSearchMixin, SafePrefillMixin, ServiceFormsetsMixin, HistoryAdmin, ModelAdmin):
    form = CustomerForm
    custom_field_object_type = "customer"
    custom_fields_section_index = 2
    custom_fields_section_classes = ("tab",)
    inlines = [ContactInline, CustomerLocationInline, CustomerCostBearerInline, CustomerSettingsInline]
    list_display = ["logo_thumb", "number_display", "name_display", "status_badge", "tag_links", "account_manager_display", "city"]
    list_display_links = ["name_display"]
    list_filter = [("status", StatusFilter), TagFilter, ("account_manager", AccountManagerFilter), "kind"]
    list_filter_sheet = False
    search_fields = ["name", "short_name", "first_name", "last_name", "email", "city", "postcode", "=number"]
    list_per_page = 50
    list_count = "cached"  # exact, cached per customer-data generation (issue 13)
    sortable_by = ["number_display", "name_display", "status_badge", "account_manager_display", "city"]  # each has an index
    readonly_fields = ["history_section", "logo_preview", "active_orders_section", "web_submission_section"]
    actions = ["set_status", "add_tag", "export_csv"]
    save_on_top = False
    change_form_template = "fortycrm/admin/customer_change_form.html"
    fieldsets = [
        (
            _("Master data"),
            {
                "fields": [
                    "kind",
                    ("name", "short_name"),
                    ("salutation", "title"),
                    ("first_name", "last_name"),
                    "status",
                    "number",
                    "suggested_number",
                    "tag_names",
                    "account_manager",
                    "combine_invoices",
                    ("logo", "logo_preview"),
                ],
                "classes": ["tab"],
            },
        ),
        (
            _("Address and communication"),
            {
                "fields": [
                    "street",
                    ("postcode", "city", "country"),
                    ("phone", "mobile"),
                    ("email", "website"),
                    ("vat_id", "leitweg_id"),
                    ("start_date", "end_date"),
                    "notes",
                ],
                "classes": ["tab"],
            },
        ),
        (_("Active services"), {"fields": ["active_orders_section"], "classes": ["tab"]}),
        (_("Website form and consent"), {"fields": ["web_submission_section"], "classes": ["tab"]}),
        (_("History"), {"fields": ["history_section"], "classes": ["tab"]}),
    ]

    class Media:
        js = ["fortycrm/customer_form.js"]

    def get_queryset(self, request):
        return customer_list_queryset()

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.actor = request.user  # a class built for this request (modelform_factory): no subclass of it
        return form

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.number is not None and not request.user.has_perm(services.NUMBER_PERMISSION):
            fields.append("number")
        if obj is None:
            fields.remove("history_section")
        return fields

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:
            fieldsets = [fs for fs in fieldsets if "history_section" not in fs[1]["fields"]]
        return fieldsets

    @display(description=_("Recent changes"))
    def history_section(self, obj):
        # with the changes of the customer's cost bearers, settings and prices (R-PAY)
        return customer_history_table(obj) if obj and obj.pk else "—"

    # --- list columns -------------------------------------------------------------
    @display(description="")
    def logo_thumb(self, obj: Customer):
        if not obj.logo_thumbnail:
            return ""
        return format_html(
            '<img src="{}" alt="" style="width:32px;height:32px;object-fit:contain;border-radius:4px">', obj.logo_thumbnail.url
        )

    @display(description=_("No."), ordering="number")
    def number_display(self, obj: Customer):
        return obj.number or "—"

    @display(description=_("name"), ordering="name")
    def name_display(self, obj: Customer):
        return obj.display_name

    @display(description=_("status"), ordering="status")  # by id: an index, no join (issue 13)
    def status_badge(self, obj: Customer):
        return color_badge(obj.status.name, obj.status.color)

    @display(description=_("tags"))
    def tag_links(self, obj: Customer):
        url = reverse_once("admin:fortycrm_customer_changelist")  # once, not per row (issue 13)
        return format_html_join(
            " ",
            '<a href="{}?tags__id__exact={}" class="fortycrm-tag" style="background:{};color:#fff;border-radius:4px;padding:1px 6px;font-size:12px">{}</a>',
            ((url, tag.pk, tag.color, tag.name) for tag in obj.tags.all()),
        )

    @display(description=_("account manager"), ordering="account_manager")  # by id: an index, no join
    def account_manager_display(self, obj: Customer):
        return person_name(obj.account_manager)

    @display(description=_("preview"))
    def logo_preview(self, obj: Customer):
        if obj and obj.logo_thumbnail:
            return format_html('<img src="{}" alt="" style="max-width:96px;max-height:96px">', obj.logo_thumbnail.url)
        return "—"

    @display(description=_("Website form and consent"))
    def web_submission_section(self, obj: Customer):
        from fortycrm.admin.webforms import web_submission_section

        return web_submission_section(obj)

    @display(description=_("Active services"))
    def active_orders_section(self, obj: Customer):
        if not obj or not obj.pk:
            return "—"
        return active_orders_table(selectors.active_orders(obj.orders.select_related("location")).order_by("start", "id"))

    # --- saving through services ---------------------------------------------------------
    def save_model(self, request, obj: Customer, form, change):
        data = dict(form.cleaned_data)
        tags = parse_tag_names(data.pop("tag_names", ""))
        suggested = data.pop("suggested_number", None)
        status = data.pop("status")
        number = data.pop("number", None) if "number" in form.fields else None
        fields = {name: value for name, value in data.items() if name in services._CUSTOMER_FIELDS}
        if change:
            services.customer_update(customer=obj, status=status, number=number, suggested_number=suggested, tags=tags, actor=request.user, **fields)
        else:
            services.customer_create(instance=obj, status=status, number=number, suggested_number=suggested, tags=tags, actor=request.user, **fields)

    def save_related(self, request, form, formsets, change):
        # tags are set by the service; only inline formsets remain
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def delete_model(self, request, obj):
        services.customer_delete(customer=obj)

    def delete_view(self, request, object_id, extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        if obj is not None and self.has_delete_permission(request, obj):
            refused = self._delete_refused(request, [obj])  # issued invoices are kept (GoBD): offer "ehemaliger Kunde"
            if refused is not None:
                return refused
        return super().delete_view(request, object_id, extra_context)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():  # the action checked first; a refusal here deletes nothing
            for customer in queryset:
                services.customer_delete(customer=customer)

    def get_actions(self, request):
        actions = super().get_actions(request)
        if "delete_selected" in actions:
            func, name, description = actions["delete_selected"]

            def delete_selected(modeladmin, request, queryset):
                return modeladmin._delete_refused(request, list(queryset)) or func(modeladmin, request, queryset)

            actions["delete_selected"] = (delete_selected, name, description)
        return actions

    def _delete_refused(self, request, customers):
        """The page that says why customers with issued invoices stay and offers "ehemaliger Kunde"; None: may delete."""
        refused = [(c, problem) for c in customers if (problem := billing_services.customer_delete_problem(c))]
        if not refused:
            return None
        former = former_status()
        context = {
            **self.admin_site.each_context(request),
            "title": _("Cannot delete customer"),
            "opts": self.model._meta,
            "refused": refused,
            "deletable_count": len(customers) - len(refused),
            "former": former,
            "can_change": self.has_change_permission(request),
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            "changelist_url": reverse("admin:fortycrm_customer_changelist"),
        }
        return TemplateResponse(request, "fortycrm/admin/customer_delete_refused.html", context)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        extra_context = extra_context or {}
        extra_context["tag_choices"] = Tag.objects.values_list("name", flat=True)
        return super().changeform_view(request, object_id, form_url, extra_context)

    # --- bulk actions ---------------------------------------------------------------------
    @action(description=_("Set status of selected customers"), permissions=["change"])
    def set_status(self, request, queryset):
        return self._bulk_form(request, queryset, "status")

    @action(description=_("Add a tag to selected customers"))
    def add_tag(self, request, queryset):
        return self._bulk_form(request, queryset, "tag")

    @action(description=_("Export selected customers (CSV in the import format)"))
    def export_csv(self, request, queryset):
        """One CSV per kind in the columns of its import template; company and private
        customers selected together come as two CSV files in one ZIP."""
        from django.http import HttpResponse

        files = customers_export_files(queryset)
        if len(files) == 1:
            (name, data), = files.items()
            response = HttpResponse(data, content_type="text/csv; charset=utf-8")
        else:
            name, data = export_file_name(_("customers"), "zip"), export_zip(files)
            response = HttpResponse(data, content_type="application/zip")
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response

    def _bulk_form(self, request, queryset, kind: str):
        from django.template.response import TemplateResponse

        if kind == "status":
            form_class = type("BulkStatusForm", (forms.Form,), {"status": forms.ModelChoiceField(CustomerStatus.objects.all(), label=_("status"))})
        else:
            form_class = type("BulkTagForm", (forms.Form,), {"tag": forms.CharField(label=_("tag"), max_length=TAG_NAME_MAX_LENGTH)})
        if "apply" in request.POST:
            form = form_class(request.POST)
            if form.is_valid():
                return self._bulk_apply(request, queryset, kind, form.cleaned_data)
        else:
            form = form_class()
        context = {
            **self.admin_site.each_context(request),
            "title": _("Set status") if kind == "status" else _("Add tag"),
            "form": form,
            "queryset": queryset,
            "action": "set_status" if kind == "status" else "add_tag",
            "opts": self.model._meta,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "fortycrm/admin/bulk_action.html", context)

    def _bulk_apply(self, request, queryset, kind, data):
        from django.db import transaction

        current = None
        try:
            with transaction.atomic():
                if kind == "status":
                    for current in queryset.select_related("status"):
                        services.customer_update(customer=current, status=data["status"], actor=request.user)
                    message = _("Status set for %(count)d customers.") % {"count": queryset.count()}
                else:
                    tag = tags_resolve([data["tag"]])[0]
                    tag.customers.add(*queryset)
                    message = _("Tag “%(tag)s” added to %(count)d customers.") % {"tag": tag.name, "count": queryset.count()}
        except ValidationError as exc:
            problem = "; ".join(exc.messages)
            if current is not None:
                problem = f"{current}: {problem}"
            self.message_user(request, _("Nothing was changed. %(problem)s") % {"problem": problem}, messages.ERROR)
            return None
        self.message_user(request, message, messages.SUCCESS)
        return None

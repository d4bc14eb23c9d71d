"""Desk of R-PAY: menu "Kostenträger", letterheads, Einstellungen → Kundeneinstellungen, and the
sections "Kostenträger" and "Einstellungen" on the customer record (inlines used by CustomerAdmin)."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin, StackedInline
from unfold.decorators import display

from fortycrm.admin.base import ProtectedDeleteMixin, SafePrefillMixin, ServiceSavedInline, history_table
from fortycrm.admin.forms import ServiceCheckedForm
from fortycrm.models import CostBearer, CustomerCostBearer, CustomerDefaults, CustomerSettings, Letterhead, ServicePrice
from fortycrm.models.payers import SETTING_NAMES, Delivery
from fortycrm.payer_selectors import SOURCE_LABELS, budget_usages_many, cost_bearer_budget, customer_effective_settings, price_list
from fortycrm.services import payers as services


def money(value: Decimal) -> str:
    return f"{formats.number_format(value, 2, use_l10n=True, force_grouping=True)} €"


@admin.register(CostBearer)
class CostBearerAdmin(ProtectedDeleteMixin, ModelAdmin):
    """Kostenträger. History is shown on the record; there is no revert (it would bypass the services)."""

    list_display = ["name", "kind", "ik", "city", "phone", "email"]
    list_filter = ["kind"]
    search_fields = ["name", "=ik", "city"]
    actions = ["delete_checked"]
    readonly_fields = ["history_section"]
    fieldsets = [
        (None, {"fields": ["name", ("kind", "ik"), "street", ("postcode", "city", "country"), "contact", ("email", "phone"), "notes"]}),
        (_("History"), {"fields": ["history_section"], "classes": ["collapse"]}),
    ]

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        return fieldsets if obj is not None else fieldsets[:1]

    @display(description=_("Recent changes"))
    def history_section(self, obj):
        return history_table(obj) if obj and obj.pk else "—"

    def save_model(self, request, obj, form, change):
        services.cost_bearer_save(cost_bearer=obj)

    def delete_problem(self, obj):
        return services.cost_bearer_delete_problem(obj)

    def delete_with(self, obj):
        services.cost_bearer_delete(cost_bearer=obj)


@admin.register(Letterhead)
class LetterheadAdmin(ModelAdmin):
    list_display = ["name", "created_at"]
    search_fields = ["name"]


@admin.register(CustomerDefaults)
class CustomerDefaultsAdmin(ModelAdmin):
    """Einstellungen → Kundeneinstellungen: one row of defaults; the list goes straight to it."""

    fieldsets = [
        (_("Payment terms"), {"fields": ["payment_days", ("discount_percent", "discount_days")]}),
        (_("Documents"), {"fields": ["letterhead", "delivery"]}),
        (_("Prices and calendar"), {"fields": ["hourly_rate", "calendar_color"]}),
        (_("Cost bearers"), {"fields": ["relief_amount"]}),
    ]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        row = CustomerDefaults.load()
        return HttpResponseRedirect(reverse("admin:fortycrm_customerdefaults_change", args=[row.pk]))

    def save_model(self, request, obj, form, change):
        services.customer_defaults_save(defaults=obj)


class ServicePriceForm(ServiceCheckedForm):
    class Meta:
        model = ServicePrice
        fields = ["customer", "service_kind", "unit", "price"]

    def service_check(self, instance):
        services.service_price_check(price=instance)


@admin.register(ServicePrice)
class ServicePriceAdmin(SafePrefillMixin, ModelAdmin):
    """Einstellungen → Preisliste: prices per service kind (hourly or flat rate); without customer the default."""

    form = ServicePriceForm
    list_display = ["service_kind", "unit", "price_display", "customer_display"]
    list_filter = [("customer", admin.EmptyFieldListFilter), "unit"]
    search_fields = ["service_kind", "customer__name", "customer__last_name"]
    autocomplete_fields = ["customer"]
    list_select_related = ["customer"]

    @display(description=_("price (€, net)"), ordering="price")
    def price_display(self, obj):
        return money(obj.price)

    @display(description=_("customer"), ordering="customer")
    def customer_display(self, obj):
        return obj.customer if obj.customer_id else _("default (all customers)")

    def save_model(self, request, obj, form, change):
        services.service_price_save(price=obj)

    def delete_model(self, request, obj):
        services.service_price_delete(price=obj)


# --- sections on the customer record -------------------------------------------------------
class AssignmentForm(ServiceCheckedForm):
    class Meta:
        model = CustomerCostBearer
        fields = ["cost_bearer", "insurance_number", "share_percent", "monthly_budget", "carry_over", "valid_from", "valid_until", "priority", "notes"]

    def service_check(self, instance):
        if instance.customer_id:  # a new customer has no other assignments yet
            services.assignment_check(instance)


class AssignmentFormSet(BaseInlineFormSet):
    """Refuses to delete an assignment that invoice lines are charged to (a form error, not a 500)."""

    def clean(self):
        super().clean()
        for form in self.deleted_forms:
            if form.instance.pk:
                problem = services.assignment_delete_problem(form.instance)
                if problem:
                    raise ValidationError(problem)


class CustomerCostBearerInline(ServiceSavedInline, StackedInline):
    """Section "Kostenträger": the customer's cost bearers with today's budget."""

    model = CustomerCostBearer
    form = AssignmentForm
    formset = AssignmentFormSet
    extra = 0
    tab = True
    verbose_name = _("cost bearer")
    verbose_name_plural = _("Cost bearers")
    fields = [
        ("cost_bearer", "priority"), "insurance_number", ("share_percent", "monthly_budget", "carry_over"),
        ("valid_from", "valid_until"), "notes", "budget_today",
    ]
    readonly_fields = ["budget_today"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("cost_bearer")

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        # one query for the cost bearer choices of all rows (the record's query count does not grow with them)
        bearers = {b.pk: b for b in CostBearer.objects.only("pk", "name", "kind")}
        field = formset.form.base_fields["cost_bearer"]
        field.choices = [("", "---------"), *((pk, b.name) for pk, b in bearers.items())]
        field.to_python = lambda value, _bearers=bearers, _field=field: _lookup(_bearers, _field, value)
        field.initial = None
        formset.form.base_fields["monthly_budget"].help_text = _(
            "Amount that accrues every month; the relief amount of § 45b SGB XI is %(amount)s (Customer settings)."
        ) % {"amount": money(CustomerDefaults.load().relief_amount)}
        return formset

    def save_row(self, obj):
        services.assignment_save(link=obj)

    def delete_row(self, obj):
        services.assignment_delete(link=obj)

    @display(description=_("budget today"))
    def budget_today(self, obj):
        if obj is None or obj.pk is None or obj.monthly_budget is None:
            return "—"
        # the usages of all the customer's assignments in one query (the record's query count stays flat)
        cache = self.__dict__.setdefault("_usages", {})
        if obj.customer_id not in cache:
            cache[obj.customer_id] = budget_usages_many(CustomerCostBearer.objects.filter(customer_id=obj.customer_id).values_list("pk", flat=True))
        budget = cost_bearer_budget(obj, on=timezone.localdate(), usages=cache[obj.customer_id].get(obj.pk, []))
        expiring = format_html_join(
            ", ", "{} " + str(_("until")) + " {}", ((money(a), formats.date_format(d, "SHORT_DATE_FORMAT")) for a, d in budget.expiring)
        )
        return format_html(
            '<span class="fortycrm-budget">{}: <b>{}</b> · {}: {} · {}: <b>{}</b>{}</span>',
            _("accrued"), money(budget.accrued), _("used"), money(budget.used), _("remaining"), money(budget.remaining),
            format_html(" · {}: {}", _("expires"), expiring) if budget.expiring else "",
        )


def _lookup(bearers: dict, field, value):
    """The chosen cost bearer from the choices loaded once (an unknown id: the field's own error)."""
    if value in field.empty_values:
        return None
    try:
        return bearers[int(value)]
    except (KeyError, TypeError, ValueError):
        raise forms.ValidationError(field.error_messages["invalid_choice"], code="invalid_choice") from None


class CustomerSettingsForm(ServiceCheckedForm):
    class Meta:
        model = CustomerSettings
        fields = list(SETTING_NAMES)

    def service_check(self, instance):
        services.customer_settings_check(instance, exclude=["customer"])


class CustomerSettingsInline(ServiceSavedInline, StackedInline):
    """Section "Einstellungen": the customer's own values (empty = as default) and what applies."""

    model = CustomerSettings
    form = CustomerSettingsForm
    extra = 1
    max_num = 1
    can_delete = False
    tab = True
    verbose_name = _("settings")
    verbose_name_plural = _("Settings")
    fields = [
        "effective_settings", ("payment_days", "discount_percent", "discount_days"), ("letterhead", "delivery"),
        "invoice_email", ("hourly_rate", "calendar_color"), "price_list_section",
    ]
    readonly_fields = ["effective_settings", "price_list_section"]

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        for name in SETTING_NAMES:
            field = formset.form.base_fields.get(name)
            if field is not None:
                field.required = False
                if name == "delivery":
                    field.choices = [("", _("as default")), *Delivery.choices]
                field.help_text = _("Empty: as default.") if name != "invoice_email" else _("Empty: the customer's e-mail address.")
        return formset

    def save_row(self, obj):
        services.customer_settings_save(customer=obj.customer, values={name: getattr(obj, name) for name in SETTING_NAMES})

    def delete_row(self, obj):  # pragma: no cover - can_delete is off
        obj.delete()

    @display(description=_("effective values"))
    def effective_settings(self, obj):
        customer = getattr(obj, "customer", None) if obj is not None and obj.customer_id else None
        if customer is None:
            return "—"
        effective = customer_effective_settings(customer)
        rows = []
        for name in SETTING_NAMES:
            value = getattr(effective, name)
            if isinstance(value, Decimal):
                value = formats.number_format(value, 2, use_l10n=True)
            elif name == "delivery":
                value = Delivery(value).label
            rows.append((CustomerSettings._meta.get_field(name).verbose_name, value if value not in (None, "") else "—", SOURCE_LABELS[effective.source(name)], name))
        return format_html(
            '<table class="fortycrm-effective-settings"><tbody>{}</tbody></table>',
            format_html_join(
                "", '<tr data-setting="{3}"><td style="padding:2px 8px">{0}</td><td style="padding:2px 8px"><b>{1}</b></td><td style="padding:2px 8px;color:#6b7280">{2}</td></tr>', rows
            ),
        )

    @display(description=_("Price list"))
    def price_list_section(self, obj):
        """The prices per service kind that apply to this customer (own entry, else the default), with links to edit them."""
        customer_id = obj.customer_id if obj is not None else None
        if not customer_id:
            return "—"
        prices = price_list([customer_id])
        own = {kind for cid, kind in prices.entries if cid == customer_id}
        rows = [
            (entry.service_kind, entry.get_unit_display(), money(entry.price),
             _("own price") if entry.customer_id else _("default (all customers)"))
            for (cid, kind), entry in sorted(prices.entries.items(), key=lambda item: item[0][1])
            if cid == customer_id or kind not in own
        ]
        changelist = reverse("admin:fortycrm_serviceprice_changelist")
        return format_html(
            '<table class="fortycrm-price-list"><tbody>{}</tbody></table><p><a class="text-primary-600 underline" href="{}?customer__id__exact={}">{}</a>'
            ' · <a class="text-primary-600 underline" href="{}?customer={}">{}</a></p>',
            format_html_join("", '<tr><td style="padding:2px 8px">{}</td><td style="padding:2px 8px">{}</td><td style="padding:2px 8px"><b>{} €</b></td>'
                             '<td style="padding:2px 8px;color:#6b7280">{}</td></tr>', rows) if rows else _("No prices per service kind yet."),
            changelist, customer_id, _("Own prices"), reverse("admin:fortycrm_serviceprice_add"), customer_id, _("Add own price"),
        )


def customer_history_table(customer, limit: int = 15):
    """The customer's history tab with the changes of its cost bearers, settings and prices."""
    from django.template.loader import render_to_string

    from fortycrm.payer_selectors import customer_history

    return render_to_string("fortycrm/admin/includes/history_table.html", {"rows": customer_history(customer, limit=limit)})

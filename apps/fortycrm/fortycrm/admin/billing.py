"""Desk: orders ("Aufträge") and invoices ("Rechnungen") as far as customer management needs them."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin, TabularInline
from unfold.decorators import display

from fortycrm import selectors
from fortycrm.admin.base import FlatInlineMixin, NoNestedInlinesMixin, SafePrefillMixin, color_badge
from fortycrm.admin.billing_views import BillingDeskViews
from fortycrm.admin.forms import ServiceCheckedForm
from fortycrm.admin.lists import FastListMixin, IndexedBooleanFilter, TermSearchMixin
from fortycrm.models import Invoice, InvoiceLine, Order
from fortycrm.models.billing import money, vat_rate_choices
from fortycrm.services import billing as services


def _money(value) -> str:
    return f"{money(value)} €"


class ActiveFilter(admin.SimpleListFilter):
    title = _("active")
    parameter_name = "active"

    def lookups(self, request, model_admin):
        return [("yes", _("Active services")), ("no", _("not active"))]

    def queryset(self, request, queryset):
        active = selectors.active_orders(queryset)
        if self.value() == "yes":
            return active
        if self.value() == "no":
            return queryset.exclude(pk__in=active.values("pk"))
        return queryset


def had_number(customer) -> bool:
    return customer.number is not None and customer.status.with_number


def conversion_message(request, customer) -> None:
    """Tell that the prospect is now a customer with number (R-STA-6), after an order or an issued invoice."""
    customer.refresh_from_db(fields=["status", "number"])
    messages.info(
        request,
        _("“%(customer)s” is now in status “%(status)s” with customer number %(number)s.")
        % {"customer": customer, "status": customer.status.name, "number": customer.number},
    )


class ConvertsProspectForm(ServiceCheckedForm):
    """Orders and invoices switch a prospect to the target status (R-STA-6): check that one exists."""

    def service_check(self, instance: Order | Invoice):
        if instance.customer_id:
            services.conversion_check(customer=instance.customer)


class OrderForm(ConvertsProspectForm):
    class Meta:
        model = Order
        fields = ["customer", "location", "title", "recurrence", "price", "service_kind", "hours", "vat_rate", "vat_exemption", "start", "end"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["vat_rate"] = forms.TypedChoiceField(
            label=Order._meta.get_field("vat_rate").verbose_name, choices=vat_rate_choices(), coerce=Decimal, initial=Decimal("19"),
            required=False, empty_value=Decimal("19"),
        )
        if self.initial.get("vat_rate") is not None:  # 19.0 from the database shows as the choice "19"
            self.initial["vat_rate"] = Decimal(self.initial["vat_rate"]).normalize()


@admin.register(Order)
class OrderAdmin(FastListMixin, TermSearchMixin, SafePrefillMixin, ModelAdmin):
    form = OrderForm
    list_display = ["title", "customer", "location", "recurrence", "price_display", "start", "end", "active_badge"]
    list_select_related = ["customer", "location"]
    list_filter = [ActiveFilter, "recurrence"]
    sortable_by = ["customer", "location", "start"]  # each has an index (issue 13)
    list_filter_sheet = False
    search_fields = ["title", "customer__name", "customer__short_name", "customer__last_name", "location__name"]
    search_kind = "order"  # by its title, customer and location, through the indexed search terms (issue 13)
    autocomplete_fields = ["customer", "location"]
    fields = ["customer", "location", "title", ("recurrence", "price"), ("service_kind", "hours"), ("vat_rate", "vat_exemption"), ("start", "end")]

    class Media:
        js = ["fortycrm/billing_form.js"]  # the location picker offers the chosen customer's locations

    @display(description=_("price"), ordering="price")
    def price_display(self, obj):
        return _money(obj.price)

    @display(description=_("active"))
    def active_badge(self, obj):
        today = timezone.localdate()
        if obj.start <= today and (obj.end is None or obj.end >= today):
            return color_badge(str(_("active")), "#16A34A")
        return "—"

    def save_model(self, request, obj, form, change):
        if change:
            services.order_update(order=obj)
            return
        numbered = had_number(obj.customer)
        services.order_create(order=obj)
        if not numbered:
            conversion_message(request, obj.customer)


class InvoiceLineFormSet(BaseInlineFormSet):
    """Each line may be fine while their sum is too large for an invoice: refuse that here."""

    def clean(self):
        super().clean()
        total = Decimal("0")
        kept = 0
        for form in self.forms:
            data = getattr(form, "cleaned_data", None) or {}
            if data and not data.get("DELETE"):
                kept += 1
            if data and not data.get("DELETE") and data.get("quantity") is not None and data.get("unit_price") is not None:
                total += data["quantity"] * data["unit_price"]
        problem = services.invoice_lines_problem(kept) or services.invoice_total_problem(total)
        if problem:
            raise ValidationError(problem)


class InvoiceLineInline(FlatInlineMixin, TabularInline):
    model = InvoiceLine
    formset = InvoiceLineFormSet
    extra = 1
    max_num = services.MAX_INVOICE_LINES
    fields = ["description", "quantity", "unit_price", "vat_rate", "vat_exemption", "order", "amount_display"]
    readonly_fields = ["amount_display"]
    autocomplete_fields = ["order"]
    verbose_name = _("invoice line")
    verbose_name_plural = _("invoice lines")

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "vat_rate":

            return forms.TypedChoiceField(
                label=db_field.verbose_name, choices=vat_rate_choices(), coerce=Decimal, initial=Decimal("19"),
                required=False, empty_value=Decimal("19"),
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    @display(description=_("amount"))
    def amount_display(self, obj):
        if not obj or not obj.pk:
            return "—"
        return _money(obj.amount)


class InvoiceForm(forms.ModelForm):
    """A draft does not convert a prospect (issuing does, and checks that then), so no conversion check here."""

    class Meta:
        model = Invoice
        fields = ["customer", "location", "date"]


@admin.register(Invoice)
class InvoiceAdmin(NoNestedInlinesMixin, FastListMixin, TermSearchMixin, BillingDeskViews, SafePrefillMixin, ModelAdmin):
    """Drafts are edited freely; "Rechnung stellen" numbers them and makes them immutable (GoBD)."""

    form = InvoiceForm
    inlines = [InvoiceLineInline]
    list_display = ["number_display", "date", "customer", "location", "total_display", "gross_display", "state_badge"]
    list_select_related = ["customer", "location"]
    list_filter = [("is_draft", IndexedBooleanFilter)]
    sortable_by = ["number_display", "date", "customer"]  # each has an index (issue 13)
    list_filter_sheet = False
    search_fields = ["=number", "customer__name", "customer__short_name", "customer__last_name"]
    search_kind = "invoice"  # by its customer, through the indexed search terms (issue 13)
    search_number_field = "number"
    autocomplete_fields = ["customer", "location"]
    readonly_fields = [
        "number", "issued_at", "due_date", "period_start", "period_end", "cancels", "total_display", "vat_display", "gross_display",
        "cost_bearer", "insurance_number",
    ]
    fields = [
        "number", "customer", "location", "date", ("period_start", "period_end"), ("issued_at", "due_date"), "cancels",
        ("cost_bearer", "insurance_number"),
        ("total_display", "vat_display", "gross_display"),
    ]
    change_form_outer_before_template = "fortycrm/admin/invoice_actions.html"

    class Media:
        js = ["fortycrm/billing_form.js"]  # the location picker offers the chosen customer's locations
    list_before_template = "fortycrm/admin/invoice_list_links.html"

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        initial.setdefault("date", timezone.localdate())
        return initial

    def has_change_permission(self, request, obj=None):
        if obj is not None and not obj.is_draft:
            return False  # issued: view only
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and not obj.is_draft:
            return False
        return super().has_delete_permission(request, obj)

    @display(description=_("invoice number"), ordering="number")
    def number_display(self, obj):
        return obj.number if obj.number is not None else _("Draft")

    @display(description=_("status"))
    def state_badge(self, obj):
        if obj.is_draft:
            return color_badge(str(_("Draft")), "#6B7280")
        if obj.cancels_id:
            return color_badge(str(_("Cancellation invoice")), "#DC2626")
        return color_badge(str(_("Issued")), "#16A34A")

    @display(description=_("net total"), ordering="total")
    def total_display(self, obj):
        return _money(obj.total) if obj and obj.pk else "—"

    @display(description=_("VAT"))
    def vat_display(self, obj):
        return _money(obj.vat_total) if obj and obj.pk else "—"

    @display(description=_("gross total"), ordering="gross_total")
    def gross_display(self, obj):
        return _money(obj.gross_total) if obj and obj.pk else "—"

    def save_model(self, request, obj, form, change):
        if change:
            services.invoice_update(invoice=obj)
        else:
            services.invoice_create(invoice=obj)
        if obj.is_draft and not had_number(obj.customer):
            messages.info(
                request,
                _("“%(customer)s” stays a prospect while the invoice is a draft; issuing the invoice makes it a customer "
                  "with customer number.") % {"customer": obj.customer},
            )

    def save_formset(self, request, form, formset, change):
        if formset.model is not InvoiceLine:
            return super().save_formset(request, form, formset, change)
        instances = formset.save(commit=False)
        for line in formset.deleted_objects:
            services.invoice_line_delete(line=line)
        for line in instances:
            line.invoice = form.instance
            services.invoice_line_save(line=line)
        services.invoice_recalculate(invoice=form.instance)

    def delete_model(self, request, obj):
        services.invoice_delete(invoice=obj)

    def delete_queryset(self, request, queryset):
        kept = 0
        for invoice in queryset:
            if invoice.is_draft:
                services.invoice_delete(invoice=invoice)
            else:
                kept += 1
        if kept:
            messages.warning(request, _("%(count)d issued invoice(s) were kept: issued invoices cannot be deleted.") % {"count": kept})

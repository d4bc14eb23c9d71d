"""Desk: orders ("Aufträge") and invoices ("Rechnungen") as far as customer management needs them."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin, TabularInline
from unfold.decorators import display

from fortycrm import selectors
from fortycrm.admin.base import SafePrefillMixin, color_badge
from fortycrm.admin.forms import ServiceCheckedForm
from fortycrm.models import Invoice, InvoiceLine, Order
from fortycrm.models.billing import money
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


class ConvertsProspectForm(ServiceCheckedForm):
    """Orders and invoices switch a prospect to the target status (R-STA-6): check that one exists."""

    def service_check(self, instance: Order | Invoice):
        if instance.customer_id:
            services.conversion_check(customer=instance.customer)


class OrderForm(ConvertsProspectForm):
    class Meta:
        model = Order
        fields = ["customer", "location", "title", "recurrence", "price", "start", "end"]


@admin.register(Order)
class OrderAdmin(SafePrefillMixin, ModelAdmin):
    form = OrderForm
    list_display = ["title", "customer", "location", "recurrence", "price_display", "start", "end", "active_badge"]
    list_select_related = ["customer", "location"]
    list_filter = [ActiveFilter, "recurrence"]
    list_filter_sheet = False
    search_fields = ["title", "customer__name", "customer__short_name", "customer__last_name", "location__name"]
    autocomplete_fields = ["customer", "location"]
    fields = ["customer", "location", "title", ("recurrence", "price"), ("start", "end")]

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
        had_number = obj.customer.number is not None and obj.customer.status.with_number
        services.order_create(order=obj)
        if not had_number:
            messages.info(
                request,
                _("“%(customer)s” is now in status “%(status)s” with customer number %(number)s.")
                % {"customer": obj.customer, "status": obj.customer.status.name, "number": obj.customer.number},
            )


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


class InvoiceLineInline(TabularInline):
    model = InvoiceLine
    formset = InvoiceLineFormSet
    extra = 1
    max_num = services.MAX_INVOICE_LINES
    fields = ["description", "quantity", "unit_price", "order", "amount_display"]
    readonly_fields = ["amount_display"]
    autocomplete_fields = ["order"]
    verbose_name = _("invoice line")
    verbose_name_plural = _("invoice lines")

    @display(description=_("amount"))
    def amount_display(self, obj):
        if not obj or not obj.pk:
            return "—"
        return _money(obj.amount)


class InvoiceForm(ConvertsProspectForm):
    class Meta:
        model = Invoice
        fields = ["customer", "location", "date", "is_draft"]


@admin.register(Invoice)
class InvoiceAdmin(SafePrefillMixin, ModelAdmin):
    """Invoices get their number from their own sequence; the total is the sum of the lines."""

    form = InvoiceForm
    inlines = [InvoiceLineInline]
    list_display = ["number", "date", "customer", "location", "total_display", "is_draft"]
    list_select_related = ["customer", "location"]
    list_filter = ["is_draft"]
    list_filter_sheet = False
    search_fields = ["=number", "customer__name", "customer__short_name", "customer__last_name"]
    autocomplete_fields = ["customer", "location"]
    readonly_fields = ["number", "total_display"]
    fields = ["number", "customer", "location", ("date", "is_draft"), "total_display"]

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        initial.setdefault("date", timezone.localdate())
        return initial

    @display(description=_("total"), ordering="total")
    def total_display(self, obj):
        return _money(obj.total) if obj and obj.pk else "—"

    def save_model(self, request, obj, form, change):
        if change:
            services.invoice_update(invoice=obj)
        else:
            services.invoice_create(invoice=obj)

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


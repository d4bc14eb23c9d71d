from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from fortycrm.models.base import TimeStamped
from fortycrm.ranges import positive_integer, record_number


def location_mismatch_message(location, customer) -> str:
    return _(
        "The location “%(location)s” belongs to the customer “%(owner)s”, not to “%(customer)s”. "
        "Choose one of the customer's own locations or leave the field empty."
    ) % {"location": location.name, "owner": location.customer, "customer": customer}


class Recurrence(models.TextChoices):
    ONCE = "once", _("One-off")
    WEEKLY = "weekly", _("Weekly")
    MONTHLY = "monthly", _("Monthly")


class Order(TimeStamped):
    """Auftrag (R-BIL-1). Created through services.billing.order_create (R-STA-6)."""

    Recurrence = Recurrence

    customer = models.ForeignKey("fortycrm.Customer", verbose_name=_("customer"), on_delete=models.CASCADE, related_name="orders")
    location = models.ForeignKey(
        "fortycrm.Location", verbose_name=_("location"), null=True, blank=True, on_delete=models.CASCADE, related_name="orders"
    )
    title = models.CharField(_("title"), max_length=200)
    recurrence = models.CharField(_("recurrence"), max_length=10, choices=Recurrence.choices, default=Recurrence.ONCE)
    price = models.DecimalField(_("price"), max_digits=12, decimal_places=2, default=Decimal("0"))
    start = models.DateField(_("start"))
    end = models.DateField(_("end"), null=True, blank=True)
    service_kind = models.CharField(
        _("service kind"), max_length=100, blank=True,
        help_text=_("E.g. Unterhaltsreinigung or Betreuung; the price list of the customer settings prices it (else the order price)."),
    )
    hours = models.DecimalField(
        _("hours per occurrence"), max_digits=7, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(Decimal("0.01"))], help_text=_("Billed with the hourly rate of the service kind."),
    )
    vat_rate = models.DecimalField(_("VAT rate (%)"), max_digits=4, decimal_places=1, default=Decimal("19"), help_text=_("19, 7 or 0."))
    vat_exemption = models.CharField(
        _("VAT exemption reason"), max_length=200, blank=True,
        help_text=_("Required for 0 %, e.g. “§ 4 Nr. 16 UStG” for care and household help; printed on the invoice."),
    )

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-start", "-id"]
        indexes = [
            models.Index(fields=["start", "id", "end"], name="order_start_idx"),  # "end": the "active" filter from the index
            models.Index(fields=["recurrence", "start", "id"], name="order_recurrence_start_idx"),
            models.Index(fields=["customer", "id"], name="order_customer_sort_idx"),
            models.Index(fields=["location", "id"], name="order_location_sort_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gte=F("start")),
                name="order_end_after_start",
                violation_error_message=_("An order cannot end before it starts."),
            )
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        errors = {}
        if self.start and self.end and self.end < self.start:
            errors["end"] = _("An order cannot end before it starts.")
        if self.location_id and self.customer_id and self.location.customer_id != self.customer_id:
            errors["location"] = location_mismatch_message(self.location, self.customer)
        self.service_kind = (self.service_kind or "").strip()
        self.vat_exemption = (self.vat_exemption or "").strip()
        errors.update(vat_rate_errors(self.vat_rate, self.vat_exemption))
        if errors:
            raise ValidationError(errors)


def vat_rate_errors(rate, exemption: str) -> dict:
    """The VAT rate is one of ``VAT_RATES``; 0 % needs its exemption reason, other rates none."""
    if rate is None:
        return {}
    if Decimal(rate) not in VAT_RATES:
        return {"vat_rate": _("The VAT rate %(rate)s %% is not allowed. Choose one of: %(rates)s.") % {
            "rate": rate, "rates": ", ".join(f"{r} %" for r in VAT_RATES)}}
    if Decimal(rate) == 0 and not exemption:
        return {"vat_exemption": _("A VAT rate of 0 % needs the exemption reason printed on the invoice, e.g. “§ 4 Nr. 16 UStG”.")}
    if Decimal(rate) != 0 and exemption:
        return {"vat_exemption": _("An exemption reason belongs only to a VAT rate of 0 %; empty it or choose 0 %.")}
    return {}


class Invoice(TimeStamped):
    """Rechnung (R-BIL-2). Numbered from its own sequence."""

    number = models.PositiveBigIntegerField(
        _("invoice number"), unique=True, null=True, blank=True, validators=record_number(1),
        help_text=_("Given when the invoice is issued; drafts have none."),
    )
    customer = models.ForeignKey("fortycrm.Customer", verbose_name=_("customer"), on_delete=models.CASCADE, related_name="invoices")
    location = models.ForeignKey(
        "fortycrm.Location", verbose_name=_("location"), null=True, blank=True, on_delete=models.CASCADE, related_name="invoices"
    )
    date = models.DateField(_("invoice date"))
    is_draft = models.BooleanField(_("draft"), default=True)
    total = models.DecimalField(_("net total"), max_digits=12, decimal_places=2, default=Decimal("0"))
    vat_total = models.DecimalField(_("VAT"), max_digits=12, decimal_places=2, default=Decimal("0"))
    gross_total = models.DecimalField(_("gross total"), max_digits=12, decimal_places=2, default=Decimal("0"))
    issued_at = models.DateTimeField(_("issued at"), null=True, blank=True)
    due_date = models.DateField(_("due date"), null=True, blank=True)
    period_start = models.DateField(_("service period from"), null=True, blank=True)
    period_end = models.DateField(_("service period to"), null=True, blank=True)
    cancels = models.OneToOneField(
        "self", verbose_name=_("cancels invoice"), null=True, blank=True, on_delete=models.PROTECT, related_name="cancelled_by"
    )
    small_business = models.BooleanField(_("small business (§ 19 UStG)"), default=False)
    cost_bearer = models.ForeignKey(
        "fortycrm.CostBearer", verbose_name=_("cost bearer (recipient)"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="invoices", help_text=_("Set when a cost bearer pays this invoice for the customer."),
    )
    insurance_number = models.CharField(_("insurance number"), max_length=30, blank=True)
    recipient = models.JSONField(_("recipient at issue"), default=dict, blank=True, editable=False)

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        ordering = ["-number", "-id"]
        indexes = [
            models.Index(fields=["is_draft", "date"], name="invoice_draft_date"),
            models.Index(fields=["is_draft", "number", "id"], name="invoice_draft_number_idx"),
            models.Index(fields=["date", "id"], name="invoice_date_idx"),
            models.Index(fields=["number", "id"], name="invoice_number_sort_idx"),
            models.Index(fields=["customer", "id"], name="invoice_customer_sort_idx"),
        ]

    def __str__(self) -> str:
        if self.number is None:
            return str(_("Draft %(id)s") % {"id": self.pk or "–"})
        return str(self.number)

    def clean(self) -> None:
        if self.location_id and self.customer_id and self.location.customer_id != self.customer_id:
            raise ValidationError({"location": location_mismatch_message(self.location, self.customer)})


# the largest amount an invoice total (max_digits=12, decimal_places=2) can hold
MAX_AMOUNT = Decimal("9999999999.99")


def money(value: Decimal) -> str:
    from django.utils import formats

    return formats.number_format(value, 2, use_l10n=True, force_grouping=True)


VAT_RATES = (Decimal("19"), Decimal("7"), Decimal("0"))


def vat_rate_choices() -> list[tuple[Decimal, str]]:
    return [(rate, f"{rate} %") for rate in VAT_RATES]


class InvoiceLine(models.Model):
    invoice = models.ForeignKey(Invoice, verbose_name=_("invoice"), on_delete=models.CASCADE, related_name="lines")
    order = models.ForeignKey(Order, verbose_name=_("order"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    description = models.CharField(_("description"), max_length=300)
    quantity = models.DecimalField(_("quantity"), max_digits=10, decimal_places=2, default=Decimal("1"))
    unit_price = models.DecimalField(_("unit price"), max_digits=12, decimal_places=2)
    vat_rate = models.DecimalField(_("VAT rate (%)"), max_digits=4, decimal_places=1, default=Decimal("19"))
    period_start = models.DateField(_("period from"), null=True, blank=True)
    period_end = models.DateField(_("period to"), null=True, blank=True)
    vat_exemption = models.CharField(_("VAT exemption reason"), max_length=200, blank=True)
    charged_to = models.ForeignKey(
        # RESTRICT: the assignment stays while lines charge it, unless the customer goes with its drafts
        "fortycrm.CustomerCostBearer", verbose_name=_("charged to cost bearer"), null=True, blank=True, on_delete=models.RESTRICT,
        related_name="invoice_lines", help_text=_("The cost-bearer assignment whose share or budget this line uses."),
    )
    part = models.PositiveSmallIntegerField(
        _("part"), default=0, validators=[MaxValueValidator(100)],
        help_text=_("0: the customer's part of an order's period; 1, 2, …: the parts of its cost bearers."),
    )

    class Meta:
        verbose_name = _("invoice line")
        verbose_name_plural = _("invoice lines")
        ordering = ["invoice_id", "id"]
        constraints = [
            # a billing run bills each part (customer, cost bearers) of an order's period once (idempotency backstop)
            models.UniqueConstraint(fields=["order", "period_start", "part"], name="invoiceline_order_period_part_once"),
        ]

    def __str__(self) -> str:
        return self.description

    @property
    def amount(self) -> Decimal:
        return (self.quantity or 0) * (self.unit_price or 0)

    def clean(self) -> None:
        errors = {}
        if self.quantity is not None and self.unit_price is not None and abs(self.amount) > MAX_AMOUNT:
            errors["unit_price"] = _(
                "The line amount %(amount)s (quantity × unit price) is too large; an invoice can hold at most %(max)s."
            ) % {"amount": money(self.amount), "max": money(MAX_AMOUNT)}
        self.vat_exemption = (self.vat_exemption or "").strip()
        if self.vat_rate is not None and self.vat_rate not in VAT_RATES:
            errors["vat_rate"] = _("The VAT rate %(rate)s %% is not allowed. Choose one of: %(rates)s.") % {
                "rate": self.vat_rate, "rates": ", ".join(f"{r} %" for r in VAT_RATES),
            }
        elif self.vat_rate is not None and self.vat_rate != 0 and self.vat_exemption:
            errors["vat_exemption"] = _("An exemption reason belongs only to a VAT rate of 0 %; empty it or choose 0 %.")
        invoice = self.invoice if (self.invoice_id or self._state.fields_cache.get("invoice")) else None
        if self.order_id and invoice is not None and invoice.customer_id and self.order.customer_id != invoice.customer_id:
            errors["order"] = _("The order “%(order)s” belongs to “%(owner)s”, not to “%(customer)s”, the customer of this invoice.") % {
                "order": self.order, "owner": self.order.customer, "customer": invoice.customer,
            }
        if errors:
            raise ValidationError(errors)


class BillingRunLog(models.Model):
    """A billing run started in the desk as a background job (large runs); progress lives in the cache."""

    class State(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    month = models.CharField(_("month"), max_length=7)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.QUEUED)
    planned = models.PositiveIntegerField(_("planned invoices"), default=0, validators=positive_integer())
    created = models.PositiveIntegerField(_("created invoices"), default=0, validators=positive_integer())
    message = models.TextField(_("message"), blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    started_at = models.DateTimeField(_("started at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("billing run")
        verbose_name_plural = _("billing runs")
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.month} ({self.get_state_display()})"

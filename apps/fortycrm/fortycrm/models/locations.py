from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import formats
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from fortycrm.models.base import TimeStamped


class Location(TimeStamped):
    """Objekt / Einsatzort (R-LOC)."""

    customer = models.ForeignKey(
        "fortycrm.Customer", verbose_name=_("customer"), on_delete=models.CASCADE, related_name="locations"
    )
    name = models.CharField(_("name"), max_length=200)
    street = models.CharField(_("street"), max_length=200, blank=True)
    postcode = models.CharField(_("postcode"), max_length=10, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    country = models.CharField(_("country"), max_length=2, default="DE")
    access_notes = models.TextField(_("access notes"), blank=True, help_text=_("Keys, codes, entrance, parking."))
    site_notes = models.TextField(_("site notes"), blank=True)
    bill_separately = models.BooleanField(
        _("bill separately"), default=False, help_text=_("Orders and monthly invoices of this location are billed on their own.")
    )
    billing_name = models.CharField(
        _("invoice recipient"), max_length=200, blank=True,
        help_text=_("Invoice address of a location that bills separately; empty: the customer's address."),
    )
    billing_street = models.CharField(_("invoice street"), max_length=200, blank=True)
    billing_postcode = models.CharField(_("invoice postcode"), max_length=10, blank=True)
    billing_city = models.CharField(_("invoice city"), max_length=100, blank=True)
    custom_field_data = models.JSONField(default=dict, blank=True, editable=False)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("location")
        verbose_name_plural = _("locations")
        ordering = ["customer_id", "name", "id"]
        indexes = [
            models.Index(fields=["customer", "name", "id"], name="location_customer_order_idx"),
            models.Index(fields=["name", "id"], name="location_name_idx"),
            models.Index(fields=["customer", "id"], name="location_customer_sort_idx"),
            models.Index(fields=["bill_separately", "customer", "name", "id"], name="location_separate_order_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        for name in ("billing_name", "billing_street", "billing_postcode", "billing_city"):
            setattr(self, name, (getattr(self, name) or "").strip())
        if self.billing_street or self.billing_postcode or self.billing_city:
            missing = [n for n in ("billing_street", "billing_postcode", "billing_city") if not getattr(self, n)]
            if missing:
                raise ValidationError({missing[0]: _("An invoice address needs street, postcode and city; complete it or empty all three.")})

    @property
    def has_billing_address(self) -> bool:
        return bool(self.billing_street and self.billing_city)


class Supplier(TimeStamped):
    """Lieferant / Dienstleister, e.g. for Haustechnik (R-LOC-3)."""

    name = models.CharField(_("name"), max_length=200)
    trade = models.CharField(_("trade"), max_length=100, blank=True, help_text=_("e.g. electrician, heating, alarm system"))
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    emergency_phone = models.CharField(_("emergency phone"), max_length=40, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    street = models.CharField(_("street"), max_length=200, blank=True)
    postcode = models.CharField(_("postcode"), max_length=10, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("supplier")
        verbose_name_plural = _("suppliers")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.trade})" if self.trade else self.name


class LocationSupplier(models.Model):
    """Haustechnik: a supplier responsible for something at a location."""

    location = models.ForeignKey(Location, verbose_name=_("location"), on_delete=models.CASCADE, related_name="building_services")
    supplier = models.ForeignKey(Supplier, verbose_name=_("supplier"), on_delete=models.PROTECT, related_name="location_links")
    trade = models.CharField(_("trade"), max_length=100, blank=True, help_text=_("e.g. alarm system, heating"))
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("building service")
        verbose_name_plural = _("building services")
        ordering = ["location_id", "trade", "id"]

    def __str__(self) -> str:
        return f"{self.trade or self.supplier.trade}: {self.supplier.name}"


class Assignment(models.Model):
    """Einsatz: an employee who works or worked at a location (R-LOC-4)."""

    location = models.ForeignKey(Location, verbose_name=_("location"), on_delete=models.CASCADE, related_name="assignments")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("employee"), on_delete=models.CASCADE, related_name="location_assignments"
    )
    start = models.DateField(_("from"))
    end = models.DateField(_("until"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        ordering = ["location_id", "-start", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gte=F("start")),
                name="assignment_end_after_start",
                violation_error_message=_("An assignment cannot end before it starts."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.location}"

    def clean(self) -> None:
        if self.start and self.end and self.end < self.start:
            raise ValidationError(
                {
                    "end": _("The assignment ends on %(end)s, before it starts on %(start)s. Enter an end on or after the start.")
                    % {"end": formats.date_format(self.end, "SHORT_DATE_FORMAT"), "start": formats.date_format(self.start, "SHORT_DATE_FORMAT")}
                }
            )

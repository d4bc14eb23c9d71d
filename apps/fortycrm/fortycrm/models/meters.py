from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import formats
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from fortycrm import uploads
from fortycrm.models.base import TimeStamped
from fortycrm.validators import validate_image_file


class MeterKind(models.TextChoices):
    ELECTRICITY = "electricity", _("Electricity")
    GAS = "gas", _("Gas")
    WATER = "water", _("Water")
    HEAT = "heat", _("Heat")
    OTHER = "other", _("Other")


class Meter(TimeStamped):
    """Zähler (R-LOC-5)."""

    Kind = MeterKind

    location = models.ForeignKey("fortycrm.Location", verbose_name=_("location"), on_delete=models.CASCADE, related_name="meters")
    kind = models.CharField(_("kind"), max_length=12, choices=MeterKind.choices)
    number = models.CharField(_("meter number"), max_length=60, db_index=True)
    unit = models.CharField(_("unit"), max_length=10, help_text=_("e.g. kWh, m³"))
    comment = models.CharField(_("comment"), max_length=300, blank=True, help_text=_("Flat or installation place"))
    installed_on = models.DateField(_("installed on"), null=True, blank=True)
    removed_on = models.DateField(_("removed on"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("meter")
        verbose_name_plural = _("meters")
        ordering = ["location_id", "kind", "number"]
        indexes = [
            models.Index(fields=["location", "number", "id"], name="meter_location_order_idx"),
            models.Index(fields=["kind", "location", "number", "id"], name="meter_kind_order_idx"),
            models.Index(fields=["location", "id"], name="meter_location_sort_idx"),
            models.Index(fields=["number", "id"], name="meter_number_sort_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number}"


def reading_photo_upload_to(instance: MeterReading, filename: str) -> str:
    return uploads.random_name("readings", filename)


class MeterReading(TimeStamped):
    """Zählerstand (R-LOC-6). Plausibility rules live in services.meters."""

    meter = models.ForeignKey(Meter, verbose_name=_("meter"), on_delete=models.CASCADE, related_name="readings")
    read_at = models.DateTimeField(_("reading time"))
    value = models.DecimalField(_("value"), max_digits=14, decimal_places=3)
    comment = models.CharField(_("comment"), max_length=300, blank=True)
    photo = models.ImageField(_("photo"), upload_to=reading_photo_upload_to, blank=True, validators=[validate_image_file])
    is_exchange = models.BooleanField(
        _("meter exchange"), default=False, help_text=_("The meter was replaced; the value may be lower than before.")
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("meter reading")
        verbose_name_plural = _("meter readings")
        ordering = ["meter_id", "-read_at", "-id"]
        indexes = [
            models.Index(fields=["meter", "read_at"], name="reading_meter_time_idx"),
            models.Index(fields=["read_at", "id"], name="reading_time_idx"),
            models.Index(fields=["meter", "id"], name="reading_meter_sort_idx"),
            models.Index(fields=["is_exchange", "read_at", "id"], name="reading_exchange_time_idx"),
        ]

    def __str__(self) -> str:
        # in the desk's language and without trailing zeros: 5 reads "5", 5000 reads "5.000" (issue 12)
        from fortycrm.selectors import plain_decimal

        value = formats.number_format(plain_decimal(self.value), use_l10n=True, force_grouping=True) if self.value is not None else "—"
        return f"{self.meter}: {value}"

"""Meters and readings (R-LOC-5/6): plausibility of readings lives here."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from fortycrm.models import Meter, MeterReading

FUTURE_TOLERANCE_SECONDS = 300


@transaction.atomic
def meter_save(*, meter: Meter) -> Meter:
    meter.full_clean()
    meter.save()
    return meter


def previous_reading(reading: MeterReading) -> MeterReading | None:
    qs = MeterReading.objects.filter(meter_id=reading.meter_id, read_at__lte=reading.read_at).exclude(pk=reading.pk)
    return qs.order_by("-read_at", "-id").first()


def next_reading(reading: MeterReading) -> MeterReading | None:
    qs = MeterReading.objects.filter(meter_id=reading.meter_id, read_at__gt=reading.read_at).exclude(pk=reading.pk)
    return qs.order_by("read_at", "id").first()


def reading_check(reading: MeterReading) -> None:
    """A reading may not lie in the future nor be lower than the previous one (unless exchange)."""
    errors: dict[str, str] = {}
    now = timezone.now()
    if reading.read_at and (reading.read_at - now).total_seconds() > FUTURE_TOLERANCE_SECONDS:
        errors["read_at"] = _("The reading time %(time)s lies in the future. Enter when the meter was actually read.") % {
            "time": formats.date_format(timezone.localtime(reading.read_at), "SHORT_DATETIME_FORMAT")
        }
    if reading.meter_id and reading.read_at and reading.value is not None and not reading.is_exchange:
        before = previous_reading(reading)
        if before is not None and reading.value < before.value:
            errors["value"] = _(
                "The value %(value)s is lower than the previous reading %(previous)s of %(date)s. "
                "Check the value, or mark the reading as meter exchange if the meter was replaced."
            ) % {
                "value": formats.number_format(reading.value, use_l10n=True),
                "previous": formats.number_format(before.value, use_l10n=True),
                "date": formats.date_format(timezone.localtime(before.read_at), "SHORT_DATE_FORMAT"),
            }
        after = next_reading(reading)
        if after is not None and not after.is_exchange and reading.value > after.value:
            errors["value"] = _(
                "The value %(value)s is higher than the later reading %(next)s of %(date)s."
            ) % {
                "value": formats.number_format(reading.value, use_l10n=True),
                "next": formats.number_format(after.value, use_l10n=True),
                "date": formats.date_format(timezone.localtime(after.read_at), "SHORT_DATE_FORMAT"),
            }
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def reading_record(*, reading: MeterReading, user=None) -> MeterReading:
    """Record (or correct) a meter reading after the plausibility checks."""
    if user is not None and reading.recorded_by_id is None and getattr(user, "is_authenticated", False):
        reading.recorded_by = user
    reading.full_clean()
    # lock the meter so two readings of the same meter are checked one after another
    Meter.objects.select_for_update().filter(pk=reading.meter_id).first()
    reading_check(reading)
    reading.save()
    return reading


def consumption(reading: MeterReading, previous: MeterReading | None) -> Decimal | None:
    """Consumption since the previous reading; None for the first one or after an exchange."""
    if previous is None or reading.is_exchange:
        return None
    return reading.value - previous.value


def readings_with_consumption(readings: list[MeterReading]) -> list[tuple[MeterReading, Decimal | None]]:
    """Pair each reading (of one meter, any order) with its consumption, without extra queries."""
    ordered = sorted(readings, key=lambda r: (r.read_at, r.pk or 0))
    result = []
    previous = None
    for reading in ordered:
        result.append((reading, consumption(reading, previous)))
        previous = reading
    return list(reversed(result))

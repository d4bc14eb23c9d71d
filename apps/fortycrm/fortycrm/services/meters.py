"""Meters and readings (R-LOC-5/6): plausibility of readings lives here."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from fortycrm import events, uploads
from fortycrm.models import Meter, MeterReading
from fortycrm.selectors import plain_decimal, reading_timeline_key

FUTURE_TOLERANCE_SECONDS = 300


# the usual unit of each meter kind; the desk fills it in when the kind is chosen, the user may change it
UNIT_BY_KIND = {"electricity": "kWh", "gas": "m³", "water": "m³", "heat": "kWh"}
UNIT_CHOICES = ["kWh", "MWh", "m³"]


@transaction.atomic
def meter_save(*, meter: Meter) -> Meter:
    """Save a meter; an empty unit becomes the usual unit of its kind (Strom kWh, Gas/Wasser m³, Wärme kWh)."""
    if not (meter.unit or "").strip() and meter.kind in UNIT_BY_KIND:
        meter.unit = UNIT_BY_KIND[meter.kind]
    meter.full_clean()
    meter.save()
    return meter


@transaction.atomic
def meter_delete(*, meter: Meter) -> None:
    """Delete a meter with its readings; stored photos go after the commit."""
    doomed = [(r.photo.storage, r.photo.name) for r in meter.readings.exclude(photo="")]
    meter.delete()
    transaction.on_commit(lambda: [storage.delete(name) for storage, name in doomed])


def previous_reading(reading: MeterReading) -> MeterReading | None:
    qs = MeterReading.objects.filter(meter_id=reading.meter_id, read_at__lte=reading.read_at).exclude(pk=reading.pk)
    return qs.order_by("-read_at", "-id").first()


def next_reading(reading: MeterReading) -> MeterReading | None:
    qs = MeterReading.objects.filter(meter_id=reading.meter_id, read_at__gt=reading.read_at).exclude(pk=reading.pk)
    return qs.order_by("read_at", "id").first()


def _number(value: Decimal) -> str:
    return formats.number_format(plain_decimal(value), use_l10n=True)


def _date(reading: MeterReading) -> str:
    return formats.date_format(timezone.localtime(reading.read_at), "SHORT_DATETIME_FORMAT")


def future_problem(reading: MeterReading) -> str | None:
    """A reading may not lie in the future (a few minutes of clock drift are tolerated)."""
    if reading.read_at and (reading.read_at - timezone.now()).total_seconds() > FUTURE_TOLERANCE_SECONDS:
        return _("The reading time %(time)s lies in the future. Enter when the meter was actually read.") % {"time": _date(reading)}
    return None


def value_problem(reading: MeterReading, before: MeterReading | None, after: MeterReading | None) -> str | None:
    """The value must not fall below the reading before it (unless exchange) nor exceed the next one."""
    if reading.value is None:
        return None
    if before is not None and before.read_at == reading.read_at:
        return _(
            "This meter already has a reading at %(date)s (%(previous)s). Correct that reading instead of entering a second one, "
            "or check the reading time."
        ) % {"date": _date(before), "previous": _number(before.value)}
    if before is not None and not reading.is_exchange and reading.value < before.value:
        return _(
            "The value %(value)s is lower than the previous reading %(previous)s of %(date)s. "
            "Check the value, or mark the reading as meter exchange if the meter was replaced."
        ) % {"value": _number(reading.value), "previous": _number(before.value), "date": _date(before)}
    if after is not None and not after.is_exchange and reading.value > after.value:
        return _(
            "The value %(value)s is higher than the later reading %(next)s of %(date)s. "
            "Check the value and the reading time."
        ) % {"value": _number(reading.value), "next": _number(after.value), "date": _date(after)}
    return None


def reading_check(reading: MeterReading) -> None:
    """A reading may not lie in the future nor be lower than the previous one (unless exchange)."""
    errors: dict[str, str] = {}
    problem = future_problem(reading)
    if problem:
        errors["read_at"] = problem
    if reading.meter_id and reading.read_at and reading.value is not None:
        problem = value_problem(reading, previous_reading(reading), next_reading(reading))
        if problem:
            errors["value"] = problem
    if errors:
        raise ValidationError(errors)


def timeline_problems(readings: Iterable[MeterReading], *, candidates: Iterable[MeterReading]) -> list[tuple[MeterReading, str]]:
    """Value problems of ``candidates`` within the whole list of one meter's readings (no queries).

    Used to check several new or changed readings together, e.g. a form with many rows.
    """
    timeline = sorted((r for r in readings if r.read_at is not None and r.value is not None), key=reading_timeline_key)
    position = {id(r): i for i, r in enumerate(timeline)}
    problems = []
    for reading in candidates:
        index = position.get(id(reading))
        if index is None:
            continue
        before = timeline[index - 1] if index > 0 else None
        after = timeline[index + 1] if index + 1 < len(timeline) else None
        problem = value_problem(reading, before, after)
        if problem:
            problems.append((reading, problem))
    return problems


@transaction.atomic
def reading_record(*, reading: MeterReading, user=None) -> MeterReading:
    """Record (or correct) a meter reading after the plausibility checks."""
    if user is not None and reading.recorded_by_id is None and getattr(user, "is_authenticated", False):
        reading.recorded_by = user
    reading.full_clean()
    # lock the meter so two readings of the same meter are checked one after another
    Meter.objects.select_for_update().filter(pk=reading.meter_id).first()
    reading_check(reading)
    old_photos = _stored_photos([reading])
    created = reading.pk is None
    reading.save()
    _delete_replaced_photos([reading], old_photos)
    if created:
        events.event_record("meter_reading.created", reading)
    return reading


def _stored_photos(readings: list[MeterReading]) -> dict[int, str]:
    """The stored photo names of the saved ones among ``readings`` (before they change)."""
    pks = [r.pk for r in readings if r.pk]
    return dict(MeterReading.objects.filter(pk__in=pks).exclude(photo="").values_list("pk", "photo")) if pks else {}


def _delete_replaced_photos(readings: list[MeterReading], old_photos: dict[int, str]) -> None:
    """Photos replaced or cleared go from the disk once the transaction commits."""
    storage = MeterReading._meta.get_field("photo").storage
    uploads.delete_after_commit(storage, [old for r in readings if (old := old_photos.get(r.pk)) and old != (r.photo.name or "")])


@transaction.atomic
def readings_save(
    *, meter: Meter, readings: Iterable[MeterReading], deleted: Iterable[MeterReading] = (), user=None
) -> list[MeterReading]:
    """Save several new or changed readings of one meter at once (e.g. the meter page's rows).

    Every reading is validated; the value rule is checked on the final sequence of all
    readings of the meter, so rows may be entered in any order. All or nothing.
    """
    readings = list(readings)
    Meter.objects.select_for_update().filter(pk=meter.pk).first()
    deleted_photos = []
    for reading in deleted:
        if reading.photo:
            deleted_photos.append((reading.photo.storage, reading.photo.name))
        reading.delete()
    for reading in readings:
        reading.meter = meter
        if user is not None and reading.recorded_by_id is None and getattr(user, "is_authenticated", False):
            reading.recorded_by = user
        reading.full_clean()
        problem = future_problem(reading)
        if problem:
            raise ValidationError({"read_at": problem})
    old_photos = _stored_photos(readings)
    new = {id(r) for r in readings if r.pk is None}
    for reading in readings:
        reading.save()
        if id(reading) in new:
            events.event_record("meter_reading.created", reading)
    _delete_replaced_photos(readings, old_photos)
    saved = {r.pk: r for r in readings}
    timeline = [saved.get(r.pk, r) for r in MeterReading.objects.filter(meter=meter)]
    problems = timeline_problems(timeline, candidates=readings)
    if problems:
        raise ValidationError({"value": [problem for _reading, problem in problems]})
    transaction.on_commit(lambda: [storage.delete(name) for storage, name in deleted_photos])
    return readings


@transaction.atomic
def reading_delete(*, reading: MeterReading) -> None:
    photo = (reading.photo.storage, reading.photo.name) if reading.photo else None
    reading.delete()
    if photo:
        transaction.on_commit(lambda: photo[0].delete(photo[1]))

"""Locations, suppliers (Haustechnik) and assignments (R-LOC-1..4)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from fortycrm import custom_fields, events
from fortycrm.models import Assignment, Location, LocationSupplier, Supplier


@transaction.atomic
def location_save(*, location: Location) -> Location:
    before = events.snapshot(location)
    location.full_clean()
    custom_fields.record_clean(location, object_type="location")
    location.save()
    events.event_saved("location", location, before)
    return location


@transaction.atomic
def location_delete(*, location: Location) -> None:
    """Delete a location with its meters, readings, contacts links and assignments (R-CUS-6); refused with issued invoices."""
    from fortycrm.models import MeterReading
    from fortycrm.services.billing import location_delete_check

    location_delete_check(location)  # issued invoices naming it are kept (GoBD)
    doomed = [(r.photo.storage, r.photo.name) for r in MeterReading.objects.filter(meter__location=location).exclude(photo="")]
    events.event_record("location.deleted", location)
    location.delete()
    transaction.on_commit(lambda: [storage.delete(name) for storage, name in doomed])


@transaction.atomic
def supplier_save(*, supplier: Supplier) -> Supplier:
    supplier.full_clean()
    supplier.save()
    return supplier


def supplier_delete_problem(supplier: Supplier) -> str | None:
    links = list(supplier.location_links.select_related("location")[:5])
    if not links:
        return None
    count = supplier.location_links.count()
    names = ", ".join(link.location.name for link in links)
    return _(
        "The supplier “%(name)s” cannot be deleted: it is linked as building service to %(count)d location(s) (%(names)s). Remove it there first."
    ) % {"name": supplier.name, "count": count, "names": names}


@transaction.atomic
def supplier_delete(*, supplier: Supplier) -> None:
    problem = supplier_delete_problem(supplier)
    if problem:
        raise ValidationError(problem, code="protected")
    supplier.delete()


@transaction.atomic
def building_service_save(*, link: LocationSupplier) -> LocationSupplier:
    """Link a supplier to a location (Haustechnik); the trade defaults to the supplier's trade."""
    if not link.trade and link.supplier_id:
        link.trade = link.supplier.trade
    link.full_clean()
    link.save()
    return link


@transaction.atomic
def building_service_delete(*, link: LocationSupplier) -> None:
    link.delete()


@transaction.atomic
def assignment_save(*, assignment: Assignment) -> Assignment:
    """An employee's assignment at a location; it cannot end before it starts (R-LOC-4)."""
    assignment.full_clean()
    assignment.save()
    return assignment


@transaction.atomic
def assignment_delete(*, assignment: Assignment) -> None:
    assignment.delete()

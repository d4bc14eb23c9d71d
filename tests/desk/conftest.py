"""Records of every model with history, and users by role, for the desk's access tests."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tests import factories


@pytest.fixture
def history_records():
    """One saved record (with history) of every model the desk shows a history for."""
    from fortycrm.models import Contact, CustomerStatus, Location, Meter, MeterReading
    from fortycrm.services.contacts import contact_save
    from fortycrm.services.locations import location_save
    from fortycrm.services.meters import meter_save, reading_record

    customer = factories.company("Historie GmbH")
    contact_save(contact=Contact(customer=customer, first_name="Hanna", last_name="Historie"))
    location = location_save(location=Location(customer=customer, name="Objekt Historie", city="Hamburg"))
    meter = meter_save(meter=Meter(location=location, kind="electricity", number="H-1", unit="kWh"))
    reading_record(reading=MeterReading(meter=meter, read_at=dt.datetime(2025, 1, 1, 12, tzinfo=dt.UTC), value=Decimal("10")))
    # the defaults come from a migration, without history (and a save that changes nothing writes none)
    CustomerStatus.history.bulk_history_create(list(CustomerStatus.objects.all()))
    return customer


@pytest.fixture
def role_user(django_user_model):
    """make(name, *groups, **fields): a user in the given groups, without "staff status" ticked."""
    from django.contrib.auth.models import Group

    def make(username, *groups, **fields):
        user = django_user_model.objects.create_user(username, f"{username}@example.com", f"pw-{username}-123", **fields)
        for name in groups:
            user.groups.add(Group.objects.get_or_create(name=name)[0])
        user.refresh_from_db()
        return user

    return make

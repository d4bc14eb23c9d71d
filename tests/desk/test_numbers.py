"""German numbers in the desk, English ones in the English desk (issue 12, item 2)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from fortycrm.models import MeterReading
from tests import factories
from tests.locations.conftest import record

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def meter():
    from fortycrm.models import Location, Meter
    from fortycrm.services.locations import location_save
    from fortycrm.services.meters import meter_save

    location = location_save(location=Location(customer=factories.company("Zahlen GmbH"), name="Objekt", city="Hamburg"))
    return meter_save(meter=Meter(location=location, kind="electricity", number="E-4711", unit="kWh"))


def _add(client, meter, value: str):
    data = {"meter": meter.pk, "read_at_0": "05.01.2026", "read_at_1": "09:00:00", "value": value, "comment": ""}
    if client.cookies.get("django_language") and client.cookies["django_language"].value == "en":
        data["read_at_0"] = "2026-01-05"
    return client.post(reverse("admin:fortycrm_meterreading_add"), data, follow=True)


@pytest.mark.parametrize(("typed", "stored"), [("12345,6", "12345.6"), ("12.345,6", "12345.6"), ("131.00", "131")])
def test_german_desk_reads_decimal_comma_and_thousands_points(desk, meter, typed, stored):
    response = _add(desk, meter, typed)
    assert MeterReading.objects.get(meter=meter).value == Decimal(stored), response.content.decode()[:3000]


def test_german_desk_shows_thousands_point_and_no_trailing_zeros(desk, meter):
    big = record(meter, "12789.400", days=3)
    small = record(meter, "12790", days=1)
    page = desk.get(reverse("admin:fortycrm_meterreading_changelist")).content.decode()
    assert "12.789,4 kWh" in page and "12789.400" not in page
    form = desk.get(reverse("admin:fortycrm_meterreading_change", args=[big.pk])).content.decode()
    assert 'value="12789,400"' in form and 'inputmode="decimal"' in form and 'type="number"' not in form
    assert str(small).endswith(": 12.790")
    meter.readings.all().delete()  # values must rise over time
    reading = record(meter, "5.000", days=1)
    delete_page = desk.get(reverse("admin:fortycrm_meterreading_delete", args=[reading.pk])).content.decode()
    assert "E-4711: 5<" in delete_page.replace("\n", "") or "E-4711: 5 " in delete_page
    assert "5.000" not in delete_page


def test_english_desk_uses_english_formats(desk, meter):
    desk.cookies["django_language"] = "en"
    _add(desk, meter, "12345.6")
    assert MeterReading.objects.get(meter=meter).value == Decimal("12345.6")
    assert "12,345.6 kWh" in desk.get(reverse("admin:fortycrm_meterreading_changelist")).content.decode()

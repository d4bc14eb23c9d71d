"""Locations, contacts, meters and readings reference customers and meters by natural keys."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from fortycrm.models import Contact, Location, Meter, MeterReading
from tests.imports.conftest import run, run_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def with_locations(base_data):
    result = run("locations", "locations.csv")
    assert result.ok, result.errors
    return base_data


@pytest.fixture
def with_meters(with_locations):
    result = run("meters", "meters.csv")
    assert result.ok, result.errors
    return with_locations


def test_locations(with_locations):
    hafen = Location.objects.get(name="Bürohaus Hafen")
    assert hafen.customer == with_locations["hansa"] and hafen.bill_separately is True
    assert hafen.access_notes == "Schlüssel Nr. 7 beim Hausmeister" and hafen.country == "DE"
    assert Location.objects.get(name="Lager Süd").bill_separately is False


def test_contacts_with_location_and_birthday_of_private_customer(with_locations):
    result = run("contacts", "contacts.csv")
    assert result.ok, result.errors
    klaus = Contact.objects.get(last_name="Störtebeker")
    assert klaus.location.name == "Bürohaus Hafen" and klaus.salutation == "mr" and klaus.role == "Hausmeister"
    assert Contact.objects.get(last_name="Jürgens").priority == 2
    maria = Contact.objects.get(first_name="Maria")
    assert maria.customer == with_locations["schulz"] and maria.birthday == dt.date(1960, 2, 29)


def test_meters(with_meters):
    strom = Meter.objects.get(number="1ESY-4711")
    assert (strom.kind, strom.unit, strom.installed_on) == ("electricity", "kWh", dt.date(2020, 1, 1))
    assert strom.location.name == "Bürohaus Hafen"
    assert Meter.objects.get(number="W-0815").unit == "m³"


def test_readings_decimal_comma_times_and_exchange(with_meters, olga):
    result = run("readings", "readings.csv", user=olga)
    assert result.ok, result.errors
    values = list(MeterReading.objects.filter(meter__number="1ESY-4711").order_by("read_at").values_list("value", "is_exchange"))
    assert values == [(Decimal("1234.5"), False), (Decimal("2345.75"), False), (Decimal("12.5"), True)]
    first = MeterReading.objects.filter(meter__number="1ESY-4711").order_by("read_at").first()
    assert timezone.localtime(first.read_at).replace(tzinfo=None) == dt.datetime(2024, 1, 1, 8, 0)
    assert first.recorded_by == olga


def test_birthday_for_company_contact_is_refused(with_locations):
    before = Contact.objects.count()
    result = run_bytes("contacts", b"Kundennummer;Nachname;Geburtstag\n10001;Meier;01.01.1970\n10002;Schulz;02.02.1950\n")
    assert [(p.row, p.column) for p in result.errors] == [(2, "Geburtstag")]
    assert "Privatkunden" in result.errors[0].message or "private" in result.errors[0].message
    assert Contact.objects.count() == before


def test_unknown_customer_and_location(with_locations):
    result = run_bytes("contacts", b"Kundennummer;Objekt;Nachname\n99999;;Meier\n10001;Gibtsnicht;Meier\n")
    problems = {(p.row, p.column): p.message for p in result.errors}
    assert "99999" in problems[(2, "Kundennummer")]
    assert "Gibtsnicht" in problems[(3, "Objekt")] and "Bürohaus Hafen" in problems[(3, "Objekt")]
    assert Contact.objects.count() == 0


def test_meter_problems(with_meters):
    before = Meter.objects.count()
    data = "Kundennummer;Objekt;Art;Zählernummer;Einheit\n10001;Bürohaus Hafen;Fernseher;X1;kWh\n10001;Bürohaus Hafen;Gas;1ESY-4711;m³\n"
    result = run_bytes("meters", data.encode("cp1252"))
    problems = {(p.row, p.column): p.message for p in result.errors}
    assert "Fernseher" in problems[(2, "Art")] and "Strom" in problems[(2, "Art")]
    assert "1ESY-4711" in problems[(3, "Zählernummer")] and "Bürohaus Hafen" in problems[(3, "Zählernummer")]
    assert Meter.objects.count() == before


def test_reading_problems_lower_value_future_bad_number_unknown_meter(with_meters):
    assert run("readings", "readings.csv").ok
    before = MeterReading.objects.count()
    future = (timezone.localdate() + dt.timedelta(days=3)).strftime("%d.%m.%Y")
    data = (
        "Zählernummer;Ablesezeitpunkt;Zählerstand\n"
        "1ESY-4711;01.07.2025;3\n"  # lower than 12,5 of 30.06.2025 without exchange
        f"W-0815;{future};20\n"  # future
        "W-0815;01.01.2025;zwölf\n"  # not a number
        "GIBTS-NICHT;01.01.2025;1\n"  # unknown meter
        "W-0815;31.02.2025;18\n"  # no such date
    )
    result = run_bytes("readings", data.encode("cp1252"))
    problems = {(p.row, p.column): p.message for p in result.errors}
    assert "3" in problems[(2, "Zählerstand")] and "12,5" in problems[(2, "Zählerstand")]
    assert (3, "Ablesezeitpunkt") in problems
    assert "zwölf" in problems[(4, "Zählerstand")]
    assert "GIBTS-NICHT" in problems[(5, "Zählernummer")]
    assert "31.02.2025" in problems[(6, "Ablesezeitpunkt")]
    assert MeterReading.objects.count() == before


def test_readings_in_one_file_are_checked_against_each_other(with_meters):
    data = "Zählernummer;Ablesezeitpunkt;Zählerstand\nW-0815;01.01.2024;100\nW-0815;01.02.2024;90\n"
    result = run_bytes("readings", data.encode())
    assert [(p.row, p.column) for p in result.errors] == [(3, "Zählerstand")]
    assert MeterReading.objects.count() == 0


def test_ambiguous_meter_number_needs_customer_number(with_meters, base_data):
    from fortycrm.services.meters import meter_save

    other = Location.objects.create(customer=base_data["schulz"], name="Wohnung")
    meter_save(meter=Meter(location=other, kind="water", number="W-0815", unit="m³"))
    ambiguous = run_bytes("readings", "Zählernummer;Ablesezeitpunkt;Zählerstand\nW-0815;01.01.2024;1\n".encode())
    assert "Kundennummer" in ambiguous.errors[0].message
    clear = run_bytes("readings", "Zählernummer;Kundennummer;Ablesezeitpunkt;Zählerstand\nW-0815;10002;01.01.2024;1\n".encode())
    assert clear.ok, clear.errors
    assert MeterReading.objects.get().meter.location == other

"""Rules of issue 3 at the service level (same on SQLite and MariaDB)."""

from __future__ import annotations

import datetime as dt
import io
import os
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction

from fortycrm import selectors
from fortycrm.models import Assignment, Customer, Invoice, InvoiceLine, Location, LocationSupplier, MeterReading, Order, SiteSettings, Supplier
from fortycrm.services import billing, locations, meters
from fortycrm.services.numbers import number_suggest
from tests import factories
from tests.locations.conftest import ago, record

pytestmark = pytest.mark.django_db


def stored_files(settings) -> list[str]:
    root = settings.MEDIA_ROOT
    found = []
    for dirpath, _dirs, files in os.walk(root):
        found += [os.path.join(dirpath, f) for f in files]
    return found


# --- meter readings -----------------------------------------------------------------------------
def test_reading_lower_than_previous_is_refused_and_nothing_saved(meter):
    record(meter, "1500.5", days=30)
    with pytest.raises(ValidationError) as exc:
        record(meter, "1400", days=1)
    message = exc.value.message_dict["value"][0]
    assert "1400" in message and "1500,5" in message  # the value and the previous reading
    assert "Zählerwechsel" in message  # how to fix it
    assert MeterReading.objects.filter(meter=meter).count() == 1


def test_lower_reading_marked_as_exchange_is_accepted_without_consumption(meter):
    first = record(meter, "1500", days=30)
    second = record(meter, "3", days=1, exchange=True)
    third = record(meter, "10", days=0.5)
    pairs = selectors.readings_with_consumption(list(meter.readings.all()))
    assert [(r.pk, c) for r, c in pairs] == [(third.pk, Decimal("7")), (second.pk, None), (first.pk, None)]


def test_reading_higher_than_a_later_one_is_refused(meter):
    record(meter, "100", days=30)
    record(meter, "200", days=1)
    with pytest.raises(ValidationError) as exc:
        record(meter, "250", days=10)
    assert "200" in exc.value.message_dict["value"][0]
    assert meter.readings.count() == 2


def test_reading_in_the_future_is_refused(meter):
    reading = MeterReading(meter=meter, read_at=ago(days=-2), value=Decimal("5"))
    with pytest.raises(ValidationError) as exc:
        meters.reading_record(reading=reading)
    assert "in der Zukunft" in exc.value.message_dict["read_at"][0]
    assert not MeterReading.objects.exists()


def test_consumption_since_previous_reading(meter):
    record(meter, "100", days=60)
    record(meter, "130.25", days=30)
    record(meter, "180", days=1)
    pairs = selectors.readings_with_consumption(list(meter.readings.all()))
    assert [c for _r, c in pairs] == [Decimal("49.750"), Decimal("30.250"), None]


def test_photo_that_is_not_an_image_is_refused(meter, settings):
    fake = SimpleUploadedFile("zaehler.png", b"%PDF-1.4 this is not a picture", content_type="image/png")
    with pytest.raises(ValidationError) as exc:
        record(meter, "100", days=1, photo=fake)
    assert "kein Bild" in exc.value.message_dict["photo"][0]
    assert not MeterReading.objects.exists()
    assert stored_files(settings) == []


def big_png() -> bytes:
    """A real PNG of more than 5 MB (noise does not compress)."""
    from PIL import Image

    image = Image.frombytes("RGB", (1400, 1300), os.urandom(1400 * 1300 * 3))
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=0)
    assert out.tell() > 5 * 1024 * 1024
    return out.getvalue()


def test_photo_too_large_is_refused(meter, settings):
    photo = SimpleUploadedFile("zaehler.png", big_png(), content_type="image/png")
    with pytest.raises(ValidationError) as exc:
        record(meter, "100", days=1, photo=photo)
    message = exc.value.message_dict["photo"][0]
    assert "höchstens 5 MB" in message and "kleineres Bild" in message
    assert not MeterReading.objects.exists()
    assert stored_files(settings) == []


def test_photo_is_stored_under_the_site_files(meter, settings):
    photo = SimpleUploadedFile("zaehler.png", factories.png_bytes(), content_type="image/png")
    reading = record(meter, "100", days=1, photo=photo)
    assert reading.photo.name.startswith("readings/")
    assert os.path.exists(os.path.join(settings.MEDIA_ROOT, reading.photo.name))
    assert reading.photo.url.startswith("/files/")


def test_readings_save_checks_all_rows_together_in_any_order(meter, django_user_model):
    user = django_user_model.objects.create_user("ableser")
    record(meter, "100", days=30)
    late = MeterReading(read_at=ago(days=1), value=Decimal("160"))
    middle = MeterReading(read_at=ago(days=10), value=Decimal("120"))
    meters.readings_save(meter=meter, readings=[late, middle], user=user)
    assert list(meter.readings.order_by("read_at").values_list("value", flat=True)) == [Decimal("100"), Decimal("120"), Decimal("160")]
    assert late.recorded_by == user


def test_readings_save_is_all_or_nothing(meter):
    record(meter, "100", days=30)
    good = MeterReading(read_at=ago(days=10), value=Decimal("120"))
    bad = MeterReading(read_at=ago(days=1), value=Decimal("90"))
    with pytest.raises(ValidationError) as exc:
        meters.readings_save(meter=meter, readings=[good, bad])
    assert "90" in exc.value.message_dict["value"][0]
    assert meter.readings.count() == 1


def test_deleting_a_reading_removes_its_photo(meter, settings, django_capture_on_commit_callbacks):
    photo = SimpleUploadedFile("zaehler.png", factories.png_bytes(), content_type="image/png")
    reading = record(meter, "100", days=1, photo=photo)
    with django_capture_on_commit_callbacks(execute=True):
        meters.reading_delete(reading=reading)
    assert stored_files(settings) == []


# --- assignments --------------------------------------------------------------------------------
def test_assignment_ending_before_it_starts_is_refused(location, django_user_model):
    user = django_user_model.objects.create_user("putzkraft")
    bad = Assignment(location=location, user=user, start=dt.date(2026, 3, 10), end=dt.date(2026, 3, 1))
    with pytest.raises(ValidationError) as exc:
        locations.assignment_save(assignment=bad)
    message = exc.value.message_dict["end"][0]
    assert "01.03.2026" in message and "10.03.2026" in message
    assert not Assignment.objects.exists()


def test_database_refuses_assignment_ending_before_start(location, django_user_model):
    user = django_user_model.objects.create_user("putzkraft")
    with pytest.raises(IntegrityError), transaction.atomic():
        Assignment.objects.create(location=location, user=user, start=dt.date(2026, 3, 10), end=dt.date(2026, 3, 1))
    assert not Assignment.objects.exists()


# --- suppliers / Haustechnik --------------------------------------------------------------------
def test_deleting_a_linked_supplier_is_refused_with_a_clear_message(location, supplier):
    locations.building_service_save(link=LocationSupplier(location=location, supplier=supplier, note="Wartung jährlich"))
    with pytest.raises(ValidationError) as exc:
        locations.supplier_delete(supplier=supplier)
    message = exc.value.messages[0]
    assert "Elektro Schulz" in message and "Wohnanlage Parkstraße" in message and "zuerst" in message
    assert Supplier.objects.filter(pk=supplier.pk).exists()
    assert LocationSupplier.objects.count() == 1


def test_unlinked_supplier_can_be_deleted(location, supplier):
    link = locations.building_service_save(link=LocationSupplier(location=location, supplier=supplier))
    locations.building_service_delete(link=link)
    locations.supplier_delete(supplier=supplier)
    assert not Supplier.objects.exists()


def test_building_service_takes_the_suppliers_trade_by_default(location, supplier):
    link = locations.building_service_save(link=LocationSupplier(location=location, supplier=supplier))
    assert link.trade == "Elektriker"


# --- orders, invoices, R-STA-6 -----------------------------------------------------------------
def test_order_for_prospect_makes_it_a_customer_with_the_next_number(prospect, location):
    assert prospect.status.name == "Interessent" and prospect.number is None
    expected = number_suggest()
    billing.order_create(
        order=Order(customer=prospect, location=location, title="Unterhaltsreinigung", recurrence="monthly", price=Decimal("450"), start=dt.date.today())
    )
    prospect.refresh_from_db()
    assert prospect.status.name == "Kunde"
    assert prospect.number == expected
    # a second order keeps status and number
    billing.order_create(order=Order(customer=prospect, title="Glasreinigung", start=dt.date.today()))
    prospect.refresh_from_db()
    assert prospect.number == expected


def test_order_for_location_of_another_customer_is_refused(prospect):
    other = factories.company("Wohnbau Süd AG")
    foreign = locations.location_save(location=Location(customer=other, name="Lagerhalle Süd"))
    with pytest.raises(ValidationError) as exc:
        billing.order_create(order=Order(customer=prospect, location=foreign, title="Reinigung", start=dt.date.today()))
    message = exc.value.message_dict["location"][0]
    assert "Lagerhalle Süd" in message and "Wohnbau Süd AG" in message and "Hausverwaltung Nord GmbH" in message
    assert not Order.objects.exists()
    prospect.refresh_from_db()
    assert prospect.status.name == "Interessent" and prospect.number is None


def test_invoice_has_own_numbers_total_and_converts_prospect(prospect, location):
    expected_customer_number = number_suggest()
    first = billing.invoice_create(
        invoice=Invoice(customer=prospect, location=location, date=dt.date.today()),
        lines=[
            {"description": "Reinigung März", "quantity": Decimal("2"), "unit_price": Decimal("100.50")},
            {"description": "Material", "quantity": Decimal("1"), "unit_price": Decimal("19.99")},
        ],
    )
    second = billing.invoice_create(invoice=Invoice(customer=prospect, date=dt.date.today()))
    assert first.total == Decimal("220.99")
    assert first.number is None and second.number is None  # drafts get their number when issued
    billing.invoice_line_save(line=InvoiceLine(invoice=second, description="Nachtrag", unit_price=Decimal("1")))
    first = billing.invoice_issue(invoice=first)
    second = billing.invoice_issue(invoice=second)
    assert second.number == first.number + 1
    prospect.refresh_from_db()
    assert prospect.status.name == "Kunde" and prospect.number == expected_customer_number
    # invoices count from their own start value, independent of customer numbers
    assert first.number == SiteSettings.load().invoice_number_start


def test_invoice_for_location_of_another_customer_is_refused(prospect):
    other = factories.company("Wohnbau Süd AG")
    foreign = locations.location_save(location=Location(customer=other, name="Lagerhalle Süd"))
    with pytest.raises(ValidationError):
        billing.invoice_create(invoice=Invoice(customer=prospect, location=foreign, date=dt.date.today()))
    assert not Invoice.objects.exists()
    assert Customer.objects.get(pk=prospect.pk).number is None


def test_active_orders(prospect):
    today = dt.date.today()
    running = billing.order_create(order=Order(customer=prospect, title="läuft", start=today - dt.timedelta(days=5)))
    billing.order_create(order=Order(customer=prospect, title="vorbei", start=today - dt.timedelta(days=50), end=today - dt.timedelta(days=1)))
    billing.order_create(order=Order(customer=prospect, title="künftig", start=today + dt.timedelta(days=5)))
    assert list(selectors.active_orders(prospect.orders.all())) == [running]


def test_deleting_a_location_removes_meters_and_readings(location, meter):
    record(meter, "1", days=1)
    locations.location_delete(location=location)
    assert not MeterReading.objects.exists()


def test_second_reading_at_the_same_time_is_refused(meter):
    first = record(meter, "100.5", days=10)
    with pytest.raises(ValidationError) as err:
        meters.reading_record(reading=MeterReading(meter=meter, read_at=first.read_at, value=Decimal("190")))
    assert "bereits einen Zählerstand" in " ".join(err.value.messages) or "already has a reading" in " ".join(err.value.messages)
    assert MeterReading.objects.filter(meter=meter).count() == 1
    # correcting the reading itself is fine
    first.value = Decimal("101")
    meters.reading_record(reading=first)

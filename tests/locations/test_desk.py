"""The desk (Django admin + unfold) for issue 3, driven with Django's test client."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from fortycrm.models import Assignment, Contact, Invoice, Location, LocationSupplier, Meter, MeterReading, Order, Supplier
from fortycrm.services import billing, locations
from fortycrm.services.contacts import contact_save
from fortycrm.services.meters import meter_save
from fortycrm.services.numbers import number_suggest
from tests import factories
from tests.locations.conftest import ago, form_data, record
from tests.records import with_tabs

pytestmark = pytest.mark.django_db


def change_url(obj) -> str:
    return reverse(f"admin:fortycrm_{obj._meta.model_name}_change", args=[obj.pk])


def html(response) -> str:
    return response.content.decode()


def errors(response) -> str:
    """The error messages on a desk page (unfold renders them as red lists)."""
    import re

    page = html(response)
    found = re.findall(r'<div class="mt-2 text-red-600[^"]*">(.*?)</div>', page, re.S)
    found += re.findall(r'<ul class="errorlist[^"]*"[^>]*>(.*?)</ul>', page, re.S)
    return " | ".join(" ".join(re.sub(r"<[^>]+>", " ", chunk).split()) for chunk in found)


# --- location record ("Objektakte") ---------------------------------------------------------------
def test_location_record_shows_customer_key_data_and_active_services(desk, location, django_user_model):
    customer = location.customer
    manager = django_user_model.objects.create_user("betreuer", first_name="Bernd", last_name="Betreuer")
    customer.account_manager = manager
    customer.save()
    contact_save(contact=Contact(customer=customer, first_name="Zweit", last_name="Kontakt", priority=5))
    contact_save(contact=Contact(customer=customer, first_name="Anna", last_name="Berg", priority=1, phone="040 123"))
    billing.order_create(order=Order(customer=customer, location=location, title="Unterhaltsreinigung", start=dt.date.today()))
    billing.order_create(order=Order(customer=customer, location=location, title="Altauftrag", start=dt.date(2020, 1, 1), end=dt.date(2020, 12, 31)))
    customer.refresh_from_db()

    page = html(desk.get(change_url(location)))
    assert "Eckdaten des Kunden" in page
    assert str(customer.number) in page
    assert "Hausverwaltung Nord GmbH" in page
    assert "Kunde" in page and customer.status.color in page  # status badge in its colour
    assert "Bernd Betreuer" in page
    assert "Anna Berg – 040 123" in page  # main contact = lowest priority
    assert "Zweit Kontakt" not in page
    assert "Aktive Leistungen" in page and "Unterhaltsreinigung" in page
    assert "Altauftrag" not in page


def test_location_record_query_count_is_constant_in_meters_and_readings(desk, prospect):
    def location_with(n_meters: int, n_readings: int) -> Location:
        loc = locations.location_save(location=Location(customer=prospect, name=f"Objekt {n_meters}x{n_readings}"))
        for m in range(n_meters):
            meter = meter_save(meter=Meter(location=loc, kind="water", number=f"W-{n_meters}-{m}", unit="m³"))
            MeterReading.objects.bulk_create(
                MeterReading(meter=meter, read_at=ago(days=100 - r), value=Decimal(r * 10)) for r in range(n_readings)
            )
        return loc

    small, big = location_with(2, 2), location_with(10, 20)
    desk.get(change_url(small))  # first request of the session: one-off lookups are not what is measured
    counts = []
    for loc in (small, big):
        with CaptureQueriesContext(connection) as ctx:
            response = desk.get(change_url(loc))
        assert response.status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts
    assert "190" in html(with_tabs(desk, response))  # last reading of the big location's meters is shown (tab Zähler)


def test_location_with_assignment_ending_before_start_shows_error_and_saves_nothing(desk, location, django_user_model):
    worker = django_user_model.objects.create_user("putz", first_name="Paula", last_name="Putz")
    data = form_data(desk.get(change_url(location)))
    data.update(
        {
            "name": "Umbenannt",
            "assignments-TOTAL_FORMS": "1",
            "assignments-0-user": str(worker.pk),
            "assignments-0-start": "10.03.2026",
            "assignments-0-end": "01.03.2026",
        }
    )
    response = desk.post(change_url(location), data)
    assert response.status_code == 200
    assert "Der Einsatz endet am 01.03.2026, also vor seinem Beginn am 10.03.2026" in html(response)
    assert not Assignment.objects.exists()
    location.refresh_from_db()
    assert location.name == "Wohnanlage Parkstraße"


def test_location_record_saves_haustechnik_assignment_meter_and_contact(desk, location, supplier, django_user_model):
    worker = django_user_model.objects.create_user("putz", first_name="Paula", last_name="Putz")
    data = form_data(with_tabs(desk, desk.get(change_url(location))))  # every tab opened
    data.update(
        {
            "building_services-TOTAL_FORMS": "1",
            "building_services-0-supplier": str(supplier.pk),
            "building_services-0-note": "Notdienst rund um die Uhr",
            "assignments-TOTAL_FORMS": "1",
            "assignments-0-user": str(worker.pk),
            "assignments-0-start": "01.03.2026",
            "meters-TOTAL_FORMS": "1",
            "meters-0-kind": "gas",
            "meters-0-number": "G-1",
            "meters-0-unit": "m³",
            "contacts-TOTAL_FORMS": "1",
            "contacts-0-last_name": "Hausmeister",
            "contacts-0-priority": "2",
        }
    )
    response = desk.post(change_url(location), data)
    assert response.status_code == 302, errors(response)
    link = LocationSupplier.objects.get()
    assert link.trade == "Elektriker" and link.note == "Notdienst rund um die Uhr"
    assert Assignment.objects.get().user == worker
    assert Meter.objects.get().location == location
    contact = Contact.objects.get(last_name="Hausmeister")
    assert contact.location == location and contact.customer == location.customer


def test_haustechnik_supplier_picker_offers_creating_a_supplier(desk, location, supplier):
    page = html(with_tabs(desk, desk.get(change_url(location))))
    assert reverse("admin:fortycrm_supplier_add") + "?_to_field=id&amp;_popup=1" in page
    # creating it from the picker's popup goes through the same form
    response = desk.post(
        reverse("admin:fortycrm_supplier_add") + "?_to_field=id&_popup=1",
        {"name": "Heizung Meier", "trade": "Heizung", "_to_field": "id", "_popup": "1"},
    )
    assert response.status_code == 200 and "Heizung Meier" in html(response)
    assert Supplier.objects.filter(name="Heizung Meier").exists()


def test_location_history_is_visible(desk, location):
    data = form_data(desk.get(change_url(location)))
    data["city"] = "Altona"
    assert desk.post(change_url(location), data).status_code == 302
    page = html(desk.get(change_url(location)))
    assert "Letzte Änderungen" in page and "Hamburg → Altona" in page


def test_locations_filter_by_employee(desk, location, prospect, django_user_model):
    worker = django_user_model.objects.create_user("putz", first_name="Paula", last_name="Putz")
    other = locations.location_save(location=Location(customer=prospect, name="Bürohaus Ost"))
    locations.assignment_save(assignment=Assignment(location=location, user=worker, start=dt.date(2025, 1, 1), end=dt.date(2025, 6, 30)))
    page = html(desk.get(reverse("admin:fortycrm_location_changelist"), {"assignments__user__id__exact": worker.pk}))
    assert "Wohnanlage Parkstraße" in page and other.name not in page
    page = html(desk.get(reverse("admin:fortycrm_assignment_changelist"), {"user__id__exact": worker.pk}))
    assert "Wohnanlage Parkstraße" in page and "früher" in page


# --- customer record --------------------------------------------------------------------------------
def test_customer_record_lists_locations_and_active_orders(desk, location):
    billing.order_create(order=Order(customer=location.customer, location=location, title="Winterdienst", start=dt.date.today()))
    page = html(with_tabs(desk, desk.get(change_url(location.customer))))
    assert "Wohnanlage Parkstraße" in page and change_url(location) in page
    assert "Aktive Leistungen" in page and "Winterdienst" in page


# --- suppliers ----------------------------------------------------------------------------------------
def test_deleting_linked_supplier_in_desk_is_refused(desk, location, supplier):
    locations.building_service_save(link=LocationSupplier(location=location, supplier=supplier))
    response = desk.post(reverse("admin:fortycrm_supplier_delete", args=[supplier.pk]), {"post": "yes"}, follow=True)
    page = html(response)
    assert "kann nicht gelöscht werden" in page and "Wohnanlage Parkstraße" in page
    assert Supplier.objects.filter(pk=supplier.pk).exists()
    # the bulk action refuses too
    response = desk.post(
        reverse("admin:fortycrm_supplier_changelist"), {"action": "delete_checked", "_selected_action": [supplier.pk]}, follow=True
    )
    assert "Es wurde nichts gelöscht." in html(response)
    assert Supplier.objects.filter(pk=supplier.pk).exists()


def test_unlinked_supplier_is_deleted_in_desk(desk, supplier):
    response = desk.post(reverse("admin:fortycrm_supplier_delete", args=[supplier.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not Supplier.objects.exists()


def test_suppliers_are_in_the_main_menu(desk):
    page = html(desk.get(reverse("admin:index")))
    assert reverse("admin:fortycrm_supplier_changelist") in page and "Lieferanten" in page


# --- meters and readings --------------------------------------------------------------------------
def reading_row(data: dict, index: int, *, when: dt.datetime, value: str, exchange: bool = False) -> None:
    from django.utils import timezone

    local = timezone.localtime(when)
    data[f"readings-{index}-read_at_0"] = local.strftime("%d.%m.%Y")
    data[f"readings-{index}-read_at_1"] = local.strftime("%H:%M:%S")
    data[f"readings-{index}-value"] = value
    if exchange:
        data[f"readings-{index}-is_exchange"] = "on"
    data["readings-TOTAL_FORMS"] = str(max(int(data.get("readings-TOTAL_FORMS", 0)), index + 1))


def test_meter_page_records_reading_with_photo_and_shows_consumption(desk, meter):
    record(meter, "1000", days=30)
    data = form_data(desk.get(change_url(meter)))
    reading_row(data, 1, when=ago(days=1), value="1234.5")
    data["readings-1-photo"] = SimpleUploadedFile("zaehler.png", factories.png_bytes(), content_type="image/png")
    response = desk.post(change_url(meter), data)
    assert response.status_code == 302, errors(response)
    new = meter.readings.get(value=Decimal("1234.5"))
    assert new.recorded_by == desk.user and new.photo.name.startswith("readings/")
    page = html(desk.get(change_url(meter)))
    assert "234,5 kWh" in page  # consumption since the previous reading
    assert new.photo.url in page  # thumbnail
    # the readings list shows consumption and thumbnail as well
    page = html(desk.get(reverse("admin:fortycrm_meterreading_changelist")))
    assert "234,5 kWh" in page and new.photo.url in page


@pytest.mark.parametrize(
    ("value", "days", "field_text"),
    [
        ("900", 1, "ist niedriger als der vorige Zählerstand 1000"),
        ("1100", -3, "liegt in der Zukunft"),
    ],
)
def test_meter_page_refuses_bad_readings(desk, meter, value, days, field_text):
    record(meter, "1000", days=30)
    data = form_data(desk.get(change_url(meter)))
    reading_row(data, 1, when=ago(days=days), value=value)
    response = desk.post(change_url(meter), data)
    assert response.status_code == 200
    assert field_text in html(response)
    assert meter.readings.count() == 1


def test_meter_page_refuses_lower_rows_entered_together(desk, meter):
    data = form_data(desk.get(change_url(meter)))
    reading_row(data, 0, when=ago(days=10), value="500")
    data["readings-TOTAL_FORMS"] = "2"
    data.setdefault("readings-INITIAL_FORMS", "0")
    reading_row(data, 1, when=ago(days=2), value="400")
    response = desk.post(change_url(meter), data)
    assert response.status_code == 200
    assert "Der Wert 400 ist niedriger als der vorige Zählerstand 500" in html(response)
    assert not meter.readings.exists()
    # marked as meter exchange, both rows are saved
    data["readings-1-is_exchange"] = "on"
    assert desk.post(change_url(meter), data).status_code == 302
    assert meter.readings.count() == 2


@pytest.mark.parametrize(
    ("content", "text"),
    [(b"GIF89a but broken", "kein Bild"), (b"plain text, no picture", "kein Bild"), (None, "höchstens 5 MB")],
)
def test_meter_page_refuses_photo_that_is_not_an_image(desk, meter, settings, content, text):
    import os

    data = form_data(desk.get(change_url(meter)))
    reading_row(data, 0, when=ago(days=1), value="10")
    if content is None:  # a real picture, but too large
        from tests.locations.test_services import big_png

        content = big_png()
    data["readings-0-photo"] = SimpleUploadedFile("zaehler.jpg", content, content_type="image/jpeg")
    response = desk.post(change_url(meter), data)
    assert response.status_code == 200
    assert text in errors(response)
    assert not meter.readings.exists()
    assert not os.path.exists(os.path.join(settings.MEDIA_ROOT, "readings"))


def test_reading_form_refuses_lower_value(desk, meter):
    record(meter, "1000", days=30)
    now = ago(days=1)
    from django.utils import timezone

    local = timezone.localtime(now)
    response = desk.post(
        reverse("admin:fortycrm_meterreading_add"),
        {"meter": meter.pk, "read_at_0": local.strftime("%d.%m.%Y"), "read_at_1": local.strftime("%H:%M"), "value": "999"},
    )
    assert response.status_code == 200
    assert "Zählerwechsel" in html(response)
    assert meter.readings.count() == 1


def test_reading_history_is_visible(desk, meter):
    reading = record(meter, "1000", days=30)
    data = form_data(desk.get(change_url(reading)))
    data["value"] = "1001"
    response = desk.post(change_url(reading), data)
    assert response.status_code == 302, errors(response)
    page = html(desk.get(change_url(reading)))
    assert "Letzte Änderungen" in page and "1000.000 → 1001.000" in page


# --- orders and invoices ------------------------------------------------------------------------------
def test_order_in_desk_makes_prospect_a_customer(desk, prospect, location):
    expected = number_suggest()
    response = desk.post(
        reverse("admin:fortycrm_order_add"),
        {"customer": prospect.pk, "location": location.pk, "title": "Unterhaltsreinigung", "recurrence": "monthly", "price": "450.00", "start": "01.01.2026"},
        follow=True,
    )
    assert response.status_code == 200
    prospect.refresh_from_db()
    assert prospect.status.name == "Kunde" and prospect.number == expected
    assert f"Kundennummer {expected}" in html(response)


def test_order_in_desk_for_location_of_another_customer_shows_error(desk, prospect):
    other = factories.company("Wohnbau Süd AG")
    foreign = locations.location_save(location=Location(customer=other, name="Lagerhalle Süd"))
    response = desk.post(
        reverse("admin:fortycrm_order_add"),
        {"customer": prospect.pk, "location": foreign.pk, "title": "Reinigung", "recurrence": "once", "price": "10", "start": "01.01.2026"},
    )
    assert response.status_code == 200
    assert "Das Objekt „Lagerhalle Süd“ gehört zum Kunden „Wohnbau Süd AG“" in html(response)
    assert not Order.objects.exists()
    prospect.refresh_from_db()
    assert prospect.number is None and prospect.status.name == "Interessent"


def test_invoice_in_desk_gets_number_lines_and_total(desk, prospect):
    data = form_data(desk.get(reverse("admin:fortycrm_invoice_add")))
    data.update(
        {
            "customer": str(prospect.pk),
            "date": "15.03.2026",
            "lines-TOTAL_FORMS": "2",
            "lines-0-description": "Reinigung März",
            "lines-0-quantity": "2",
            "lines-0-unit_price": "100.50",
            "lines-1-description": "Material",
            "lines-1-quantity": "1",
            "lines-1-unit_price": "19.99",
        }
    )
    response = desk.post(reverse("admin:fortycrm_invoice_add"), data, follow=True)
    assert response.redirect_chain, errors(response)
    invoice = Invoice.objects.get()
    assert invoice.total == Decimal("220.99") and invoice.lines.count() == 2 and invoice.number is None  # a draft
    prospect.refresh_from_db()
    assert prospect.status.name == "Interessent" and prospect.number is None  # a draft does not convert (README)
    assert "bleibt Interessent" in response.content.decode()
    # removing a line recomputes the total
    data = form_data(desk.get(change_url(invoice)))
    data["lines-1-DELETE"] = "on"
    first_line = invoice.lines.order_by("id").first()
    assert data["lines-0-id"] == str(first_line.pk)
    assert desk.post(change_url(invoice), data).status_code == 302
    invoice.refresh_from_db()
    assert invoice.total == Decimal("201.00")
    # "Rechnung stellen" gives the number and makes the prospect a customer with number (R-STA-6)
    page = desk.post(reverse("admin:fortycrm_invoice_issue", args=[invoice.pk]), follow=True).content.decode()
    invoice.refresh_from_db()
    assert invoice.number >= 1 and not invoice.is_draft
    prospect.refresh_from_db()
    assert prospect.status.name == "Kunde" and prospect.number is not None
    assert f"Kundennummer {prospect.number}" in page


# --- protected files ----------------------------------------------------------------------------------
def test_reading_photo_is_served_only_to_staff_and_not_listable(client, desk, meter, django_user_model):
    photo = SimpleUploadedFile("zaehler.png", factories.png_bytes(), content_type="image/png")
    reading = record(meter, "10", days=1, photo=photo)
    url = reading.photo.url
    response = desk.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert desk.get("/files/readings/").status_code == 404
    assert desk.get("/files/readings").status_code == 404
    assert desk.get("/files/../config/settings.py").status_code == 404
    desk.logout()
    response = client.get(url)
    assert response.status_code == 302 and "/login/" in response["Location"]
    plain = django_user_model.objects.create_user("kunde", password="pw-kunde-123")
    client.force_login(plain)
    assert client.get(url).status_code == 302


def test_invoice_in_desk_too_large_in_sum_shows_error_and_saves_nothing(desk, prospect):
    data = form_data(desk.get(reverse("admin:fortycrm_invoice_add")))
    data.update(
        {
            "customer": str(prospect.pk),
            "date": "15.03.2026",
            "lines-TOTAL_FORMS": "2",
            "lines-0-description": "Groß",
            "lines-0-quantity": "1",
            "lines-0-unit_price": "9999999999.99",
            "lines-1-description": "Noch mehr",
            "lines-1-quantity": "1",
            "lines-1-unit_price": "1",
        }
    )
    response = desk.post(reverse("admin:fortycrm_invoice_add"), data)
    assert response.status_code == 200
    assert "zu groß" in html(response)
    assert not Invoice.objects.exists()
    data["lines-TOTAL_FORMS"] = "1"
    data["lines-0-quantity"] = "99999999.99"
    response = desk.post(reverse("admin:fortycrm_invoice_add"), data)
    assert response.status_code == 200 and "zu groß" in html(response)
    assert not Invoice.objects.exists()

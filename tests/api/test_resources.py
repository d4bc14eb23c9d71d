"""Every other resource: list, filter, create, update, delete, scope permissions and service rules."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from fortycrm.models import Contact, CustomerStatus, Invoice, Location, LocationSupplier, Meter, MeterReading, Order, Supplier, Tag
from fortycrm.services.locations import building_service_save, location_save
from tests import factories

pytestmark = pytest.mark.django_db
API = "/api/v1"


def location_for(customer, name="Objekt Mitte"):
    return location_save(location=Location(customer=customer, name=name, street="Weg 1", postcode="10115", city="Berlin"))


# name, URL, body to create, patch, model, filter param → function(obj) giving filter value
def test_statuses_crud_and_rules(write_api, read_api):
    listed = read_api.get(f"{API}/statuses/").json()
    assert [s["name"] for s in listed["results"]] == ["Interessent", "Kunde", "ehemaliger Kunde"]
    response = write_api.post(f"{API}/statuses/", {"name": "Pausiert", "color": "#123456", "position": 40, "with_number": True}, format="json")
    assert response.status_code == 201, response.content
    pk = response.json()["id"]
    assert write_api.patch(f"{API}/statuses/{pk}/", {"color": "#654321"}, format="json").json()["color"] == "#654321"
    bad = write_api.post(f"{API}/statuses/", {"name": "Falsch", "with_number": True, "is_default": True}, format="json")
    assert bad.status_code == 400 and "default" in str(bad.json()).lower()
    used = CustomerStatus.objects.get(name="Interessent")
    factories.company("X GmbH")
    refused = write_api.delete(f"{API}/statuses/{used.pk}/")
    assert refused.status_code == 400 and "Interessent" in refused.json()["non_field_errors"][0]
    assert write_api.delete(f"{API}/statuses/{pk}/").status_code == 204
    assert read_api.post(f"{API}/statuses/", {"name": "Nope"}, format="json").status_code == 403


def test_tags_crud_and_duplicate_name(write_api, read_api):
    response = write_api.post(f"{API}/tags/", {"name": "VIP", "color": "#FF0000"}, format="json")
    assert response.status_code == 201
    pk = response.json()["id"]
    clash = write_api.post(f"{API}/tags/", {"name": "vip"}, format="json")
    assert clash.status_code == 400 and "VIP" in clash.json()["name"][0]
    assert write_api.patch(f"{API}/tags/{pk}/", {"name": "Premium"}, format="json").json()["name"] == "Premium"
    assert [t["name"] for t in read_api.get(f"{API}/tags/").json()["results"]] == ["Premium"]
    assert write_api.delete(f"{API}/tags/{pk}/").status_code == 204
    assert not Tag.objects.exists()


def test_contacts_crud_filter_and_birthday_rule(write_api, read_api):
    company = factories.company("Firma GmbH")
    person = factories.private("Schmidt", "Erika")
    url = f"{API}/contacts/"
    refused = write_api.post(url, {"customer": company.pk, "last_name": "Meier", "birthday": "1970-05-01"}, format="json")
    assert refused.status_code == 400 and "Firma GmbH" in refused.json()["birthday"][0]
    assert not Contact.objects.exists()
    ok = write_api.post(url, {"customer": person.pk, "last_name": "Schmidt", "first_name": "Tochter", "birthday": "1990-02-28"}, format="json")
    assert ok.status_code == 201, ok.content
    write_api.post(url, {"customer": company.pk, "last_name": "Meier", "email": "meier@firma.example"}, format="json")
    filtered = read_api.get(url, {"customer": company.pk}).json()
    assert [c["last_name"] for c in filtered["results"]] == ["Meier"]
    pk = ok.json()["id"]
    assert write_api.patch(f"{url}{pk}/", {"role": "Tochter"}, format="json").json()["role"] == "Tochter"
    assert write_api.delete(f"{url}{pk}/").status_code == 204
    assert read_api.delete(f"{url}{filtered['results'][0]['id']}/").status_code == 403


def test_locations_crud_and_filter(write_api, read_api):
    a, b = factories.company("A GmbH"), factories.company("B GmbH")
    url = f"{API}/locations/"
    created = write_api.post(url, {"customer": a.pk, "name": "Lager", "city": "Bonn"}, format="json")
    assert created.status_code == 201
    write_api.post(url, {"customer": b.pk, "name": "Büro"}, format="json")
    assert [x["name"] for x in read_api.get(url, {"customer": a.pk}).json()["results"]] == ["Lager"]
    missing = write_api.post(url, {"customer": a.pk}, format="json")
    assert missing.status_code == 400 and "name" in missing.json()
    pk = created.json()["id"]
    assert write_api.patch(f"{url}{pk}/", {"bill_separately": True}, format="json").json()["bill_separately"] is True
    assert write_api.delete(f"{url}{pk}/").status_code == 204
    assert Location.objects.count() == 1


def test_suppliers_crud_and_protected_delete(write_api, read_api):
    url = f"{API}/suppliers/"
    created = write_api.post(url, {"name": "Elektro Blitz", "trade": "Elektriker"}, format="json")
    assert created.status_code == 201
    pk = created.json()["id"]
    assert [s["name"] for s in read_api.get(url, {"trade": "elektr"}).json()["results"]] == ["Elektro Blitz"]
    assert write_api.patch(f"{url}{pk}/", {"phone": "0228 1"}, format="json").json()["phone"] == "0228 1"
    location = location_for(factories.company("A GmbH"))
    building_service_save(link=LocationSupplier(location=location, supplier=Supplier.objects.get(pk=pk), trade="Alarm"))
    refused = write_api.delete(f"{url}{pk}/")
    assert refused.status_code == 400 and "Elektro Blitz" in refused.json()["non_field_errors"][0]
    LocationSupplier.objects.all().delete()
    assert write_api.delete(f"{url}{pk}/").status_code == 204


def test_meters_and_readings_with_plausibility(write_api, read_api):
    location = location_for(factories.company("A GmbH"))
    meter = write_api.post(f"{API}/meters/", {"location": location.pk, "kind": "water", "number": "W-1", "unit": "m³"}, format="json")
    assert meter.status_code == 201, meter.content
    meter_id = meter.json()["id"]
    assert read_api.get(f"{API}/meters/", {"customer": location.customer_id}).json()["count"] == 1
    assert read_api.get(f"{API}/meters/", {"kind": "gas"}).json()["count"] == 0
    url = f"{API}/readings/"
    now = timezone.now()
    first = write_api.post(url, {"meter": meter_id, "read_at": (now - dt.timedelta(days=10)).isoformat(), "value": "100.5"}, format="json")
    assert first.status_code == 201, first.content
    lower = write_api.post(url, {"meter": meter_id, "read_at": now.isoformat(), "value": "90"}, format="json")
    assert lower.status_code == 400 and "value" in lower.json()
    future = write_api.post(url, {"meter": meter_id, "read_at": (now + dt.timedelta(days=3)).isoformat(), "value": "200"}, format="json")
    assert future.status_code == 400 and "read_at" in future.json()
    exchange = write_api.post(url, {"meter": meter_id, "read_at": now.isoformat(), "value": "5", "is_exchange": True}, format="json")
    assert exchange.status_code == 201
    assert MeterReading.objects.count() == 2
    assert read_api.get(url, {"meter": meter_id}).json()["count"] == 2
    pk = exchange.json()["id"]
    assert write_api.patch(f"{url}{pk}/", {"comment": "neuer Zähler"}, format="json").status_code == 200
    assert write_api.delete(f"{url}{pk}/").status_code == 204
    assert write_api.patch(f"{API}/meters/{meter_id}/", {"comment": "Keller"}, format="json").json()["comment"] == "Keller"
    assert write_api.delete(f"{API}/meters/{meter_id}/").status_code == 204
    assert not Meter.objects.exists()


def test_order_makes_a_prospect_a_numbered_customer(write_api, read_api):
    prospect = factories.company("Neu GmbH")
    assert prospect.number is None
    url = f"{API}/orders/"
    response = write_api.post(url, {"customer": prospect.pk, "title": "Unterhaltsreinigung", "recurrence": "weekly", "price": "120.00", "start": "2025-01-01"}, format="json")
    assert response.status_code == 201, response.content
    prospect.refresh_from_db()
    assert prospect.number is not None and prospect.status.name == "Kunde"
    bad = write_api.post(url, {"customer": prospect.pk, "title": "X", "start": "2025-02-01", "end": "2025-01-01"}, format="json")
    assert bad.status_code == 400 and "end" in bad.json()
    assert read_api.get(url, {"customer": prospect.pk}).json()["count"] == 1
    pk = response.json()["id"]
    assert write_api.patch(f"{url}{pk}/", {"price": "130.00"}, format="json").json()["price"] == "130.00"
    assert write_api.delete(f"{url}{pk}/").status_code == 204
    assert not Order.objects.exists()


def test_invoices_numbered_with_lines(write_api, read_api):
    prospect = factories.company("Neu GmbH")
    url = f"{API}/invoices/"
    body = {"customer": prospect.pk, "date": "2025-03-01", "lines": [{"description": "Reinigung März", "quantity": "2", "unit_price": "50.25"}]}
    response = write_api.post(url, body, format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["number"] is None and data["total"] == "100.50" and data["lines"][0]["description"] == "Reinigung März"
    prospect.refresh_from_db()
    assert prospect.number is None  # a draft leaves the prospect as it is; issuing converts it (README)
    second = write_api.post(url, {"customer": prospect.pk, "date": "2025-03-02"}, format="json").json()
    assert second["number"] is None
    assert read_api.get(url, {"customer": prospect.pk}).json()["count"] == 2
    refused = write_api.patch(f"{url}{data['id']}/", {"lines": []}, format="json")
    assert refused.status_code == 400 and "lines" in refused.json()
    # is_draft false issues the invoice: the first number
    patched = write_api.patch(f"{url}{data['id']}/", {"is_draft": False}, format="json")
    assert patched.status_code == 200 and patched.json()["is_draft"] is False and patched.json()["number"] == 1
    prospect.refresh_from_db()
    assert prospect.number is not None and prospect.status.with_number
    assert write_api.delete(f"{url}{second['id']}/").status_code == 204
    assert write_api.delete(f"{url}{data['id']}/").status_code == 409
    assert Invoice.objects.count() == 1
    assert Decimal(Invoice.objects.get().total) == Decimal("100.50")


def test_invoice_too_large_is_400_and_saves_nothing(write_api):
    customer = factories.company(name="Gross GmbH")
    for lines in (
        [{"description": "Big", "quantity": "99999999.99", "unit_price": "9999999999.99"}],
        [{"description": "A", "quantity": "999999", "unit_price": "9999999999.99"}, {"description": "B", "quantity": "999999", "unit_price": "9999999999.99"}],
        [{"description": "A", "quantity": "1", "unit_price": "9999999999.99"}, {"description": "B", "quantity": "1", "unit_price": "1"}],
    ):
        response = write_api.post("/api/v1/invoices/", {"customer": customer.pk, "date": "2026-11-01", "lines": lines}, format="json")
        assert response.status_code == 400, response.content
        assert "lines" in response.json()
    assert not Invoice.objects.exists()
    assert write_api.get("/api/v1/invoices/").status_code == 200


def test_invoice_line_for_another_customers_order_is_refused(write_api):
    from fortycrm.services.billing import order_create

    owner = factories.company(name="Eigentümer GmbH")
    other = factories.company(name="Andere GmbH")
    order = order_create(order=Order(customer=owner, title="Glasreinigung", start=dt.date(2026, 1, 1)))
    response = write_api.post(
        "/api/v1/invoices/",
        {"customer": other.pk, "date": "2026-11-01", "lines": [{"order": order.pk, "description": "a", "quantity": "1", "unit_price": "1"}]},
        format="json",
    )
    assert response.status_code == 400
    assert "Eigentümer GmbH" in response.json()["lines"][0]
    assert not Invoice.objects.exists()

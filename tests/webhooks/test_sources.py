"""One change = one event from every path: services, API, import, related records (issue 14, item 2)."""

from __future__ import annotations

import pytest

from fortycrm.models import Event
from tests.imports.conftest import run

pytestmark = pytest.mark.django_db


def types() -> list[str]:
    return list(Event.objects.order_by("id").values_list("type", flat=True))


def test_api_create_gives_one_event():
    from tests.api.conftest import client_for, make_key

    api = client_for(make_key("write"))
    answer = api.post("/api/v1/customers/", {"name": "Acme GmbH", "tags": ["VIP"]}, format="json")
    assert answer.status_code == 201
    event = Event.objects.get()
    assert event.type == "customer.created"
    assert event.data == answer.json() | {"logo": None}
    api.patch(f"/api/v1/customers/{answer.json()['id']}/", {"tags": ["VIP", "Neu"]}, format="json")
    assert Event.objects.order_by("id").last().data["changed_fields"] == ["tags"]


def test_import_writes_one_event_per_record_and_import_finished(base_data):
    Event.objects.all().delete()
    result = run("company_customers", "company_customers_cp1252.csv")
    assert result.created == 3 and not result.error_count
    created = Event.objects.filter(type="customer.created")
    assert created.count() == 3
    assert {e.data["name"] for e in created} >= {"Müller Gebäudereinigung GmbH"}
    assert all(e.object_id and e.data["id"] == e.object_id for e in created)


def test_import_preview_writes_no_event(base_data):
    Event.objects.all().delete()
    run("company_customers", "company_customers_cp1252.csv", dry_run=True)
    assert not Event.objects.exists()


def test_import_run_sends_import_finished(base_data, olga):
    from django.core.management import call_command

    from tests.imports.conftest import fixture_path

    Event.objects.all().delete()
    call_command("fortycrm_import", "company_customers", str(fixture_path("company_customers_cp1252.csv")), "--user", "olga")
    assert types()[-1] == "import.finished"
    assert Event.objects.get(type="import.finished").data["created"] == 3


def test_import_deliveries_one_per_record(base_data, settings):
    from fortycrm.models import WebhookDelivery, WebhookSubscription
    from fortycrm.webhooks import subscription_save

    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    subscription_save(subscription=WebhookSubscription(url="http://127.0.0.1:9/x", events=["customer.created"]))
    run("company_customers", "company_customers_cp1252.csv")
    assert WebhookDelivery.objects.count() == 3
    assert len(set(WebhookDelivery.objects.values_list("record", flat=True))) == 3


def test_contacts_locations_readings(base_data):
    from datetime import UTC, datetime

    from fortycrm.models import Contact, Location, Meter, MeterReading
    from fortycrm.services.contacts import contact_delete, contact_save
    from fortycrm.services.locations import location_delete, location_save
    from fortycrm.services.meters import meter_save, reading_record

    Event.objects.all().delete()
    hansa = base_data["hansa"]
    contact = contact_save(contact=Contact(customer=hansa, last_name="Meier"))
    contact.first_name = "Anna"
    contact_save(contact=contact)
    contact_save(contact=contact)  # unchanged: no event
    location = location_save(location=Location(customer=hansa, name="Lager", street="Hafenstr. 1", postcode="20457", city="Hamburg"))
    location.city = "Altona"
    location_save(location=location)
    meter = meter_save(meter=Meter(location=location, kind=Meter._meta.get_field("kind").choices[0][0], number="M1", unit="kWh"))
    reading_record(reading=MeterReading(meter=meter, read_at=datetime(2024, 1, 1, tzinfo=UTC), value=10))
    contact_delete(contact=contact)
    location_delete(location=location)
    assert types() == [
        "contact.created", "contact.updated", "location.created", "location.updated",
        "meter_reading.created", "contact.deleted", "location.deleted",
    ]
    assert Event.objects.get(type="contact.updated").data["changed_fields"] == ["first_name"]


def test_make_customer_sends_status_changed():
    from fortycrm.services.customers import customer_convert_prospect, customer_create

    customer = customer_create(name="Lead GmbH")
    assert customer_convert_prospect(customer=customer)
    event = Event.objects.get(type="customer.status_changed")
    assert event.data["old_status"]["name"] == "Interessent" and event.data["number"] == customer.number


def test_unknown_event_type_is_refused_and_can_be_registered():
    from fortycrm import events

    with pytest.raises(ValueError):
        events.event_record("plugin.thing_happened", None, data={})
    events.event_type_register("plugin.thing_happened")
    try:
        event = events.event_record("plugin.thing_happened", None, data={"id": 1})
        assert event.pk and event.type == "plugin.thing_happened"
    finally:
        events.EVENT_TYPES.remove("plugin.thing_happened")

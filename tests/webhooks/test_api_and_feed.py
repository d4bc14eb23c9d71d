"""API contract of /api/v1/webhooks/ and the change feed /api/v1/events/ (issue 14: items 1, 6, bad input)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from fortycrm.models import Event, WebhookSubscription
from fortycrm.services.customers import customer_create, customer_update
from tests.api.conftest import client_for, make_key

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _private_allowed(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    settings.FORTYCRM_EVENT_FEED_DELAY = 0


@pytest.fixture
def write_api():
    return client_for(make_key("write"))


def test_create_answers_the_secret_once(write_api):
    answer = write_api.post("/api/v1/webhooks/", {"url": "http://127.0.0.1:9/hook", "events": ["customer.created"], "description": "Website"}, format="json")
    assert answer.status_code == 201, answer.json()
    body = answer.json()
    assert set(body) == {"id", "url", "events", "is_active", "description", "secret"}
    assert body["secret"].startswith("whsec_") and body["is_active"] is True
    listed = write_api.get("/api/v1/webhooks/").json()
    assert "secret" not in listed["results"][0]
    detail = write_api.get(f"/api/v1/webhooks/{body['id']}/").json()
    assert "secret" not in detail
    changed = write_api.patch(f"/api/v1/webhooks/{body['id']}/", {"is_active": False}, format="json")
    assert changed.status_code == 200 and "secret" not in changed.json() and changed.json()["is_active"] is False
    assert write_api.delete(f"/api/v1/webhooks/{body['id']}/").status_code == 204
    assert not WebhookSubscription.objects.exists()


@pytest.mark.parametrize(
    ("payload", "field", "text"),
    [
        ({"url": "ftp://example.com/x", "events": ["customer.created"]}, "url", "https://"),
        ({"url": "https://127.0.0.1/x", "events": []}, "events", "at least one"),
        ({"url": "https://127.0.0.1/x", "events": ["customer.exploded"]}, "events", "Unknown event “customer.exploded”"),
        ({"url": "https://127.0.0.1/x", "events": "customer.created"}, "events", ""),
    ],
)
def test_bad_input_gives_a_clear_message(write_api, payload, field, text):
    answer = write_api.post("/api/v1/webhooks/", payload, format="json")
    assert answer.status_code == 400
    assert field in answer.json()
    assert text in " ".join(answer.json()[field])


def test_private_address_refused_in_production_mode(write_api, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    for url in ["https://127.0.0.1/hook", "https://192.168.1.10/hook", "https://[fe80::1]/hook", "https://localhost/hook"]:
        answer = write_api.post("/api/v1/webhooks/", {"url": url, "events": ["customer.created"]}, format="json")
        assert answer.status_code == 400, url
        assert "private, loopback or link-local" in answer.json()["url"][0]
    answer = write_api.post("/api/v1/webhooks/", {"url": "http://93.184.215.14/hook", "events": ["customer.created"]}, format="json")
    assert answer.status_code == 400 and "https" in answer.json()["url"][0]


def test_read_and_intake_keys_cannot_manage_webhooks():
    for scope in ("read", "intake"):
        api = client_for(make_key(scope, name=f"k {scope}"))
        assert api.get("/api/v1/webhooks/").status_code == 403
        assert api.post("/api/v1/webhooks/", {"url": "http://127.0.0.1/x", "events": ["customer.created"]}, format="json").status_code == 403


def test_change_feed_lists_events_in_order_with_a_cursor():
    read_api = client_for(make_key("read"))
    customer = customer_create(name="Acme GmbH")
    for city in ["A", "B", "C"]:
        customer_update(customer=customer, city=city)
    page = read_api.get("/api/v1/events/?limit=2").json()
    assert [e["type"] for e in page["results"]] == ["customer.created", "customer.updated"]
    assert page["has_more"] is True
    assert page["results"][1]["data"]["changed_fields"] == ["city"]
    rest = read_api.get(f"/api/v1/events/?after={page['after']}").json()
    assert [e["data"]["city"] for e in rest["results"]] == ["B", "C"]
    assert rest["has_more"] is False
    ids = [e["id"] for e in page["results"] + rest["results"]]
    assert ids == sorted(ids)
    assert read_api.get(f"/api/v1/events/?after={ids[-1]}").json()["results"] == []
    only = read_api.get("/api/v1/events/?type=customer.created").json()["results"]
    assert [e["type"] for e in only] == ["customer.created"]


@pytest.mark.parametrize("query", ["after=abc", "after=-1", "limit=0", "limit=100000", "type=nope"])
def test_change_feed_bad_parameters(query):
    answer = client_for(make_key("read")).get(f"/api/v1/events/?{query}")
    assert answer.status_code == 400
    assert answer.json()


def test_old_events_are_purged_after_the_retention(settings):
    from fortycrm.webhooks import events_purge

    settings.FORTYCRM_EVENT_RETENTION_DAYS = 30
    customer_create(name="Old")
    Event.objects.update(created_at=timezone.now() - timedelta(days=31))
    customer_create(name="New")
    assert events_purge() == 1
    assert list(Event.objects.values_list("data__name", flat=True)) == ["New"]


def test_feed_hides_events_younger_than_the_delay(settings):
    settings.FORTYCRM_EVENT_FEED_DELAY = 3600
    customer_create(name="Fresh")
    assert client_for(make_key("read")).get("/api/v1/events/").json()["results"] == []

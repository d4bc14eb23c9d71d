"""Batched delivery for receivers that opt in, and a change feed whose cursor never passes an
event still to come (issue 14, items 2 and 6)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from fortycrm.models import Event, WebhookDelivery
from fortycrm.services.customers import customer_create, customer_update
from fortycrm.webhooks import deliver_all
from tests.api.conftest import client_for, make_key
from tests.imports.conftest import run

pytestmark = pytest.mark.django_db(transaction=True)


def test_batches_carry_the_events_in_order_and_verify(receiver, subscribe):
    sub = subscribe(["customer.created", "customer.updated"], batch_size=3)
    first = customer_create(name="Kunde 1")
    for n in range(2, 6):
        customer_create(name=f"Kunde {n}")
    customer_update(customer=first, city="Köln")
    assert deliver_all()["sent"] == 6
    assert len(receiver.requests) == 2
    bodies = [Webhook(sub.plain_secret).verify(r["body"], r["headers"]) for r in receiver.requests]
    assert [b["type"] for b in bodies] == ["batch", "batch"]
    assert [r["headers"]["webhook-id"] for r in receiver.requests] == [b["id"] for b in bodies]
    inner = [e for b in bodies for e in b["data"]["events"]]
    assert [e["type"] for e in inner] == ["customer.created"] * 5 + ["customer.updated"]
    assert [e["data"]["name"] for e in inner[:5]] == [f"Kunde {n}" for n in range(1, 6)]
    assert inner[5]["data"]["changed_fields"] == ["city"]
    assert len({e["id"] for e in inner}) == 6
    assert set(WebhookDelivery.objects.values_list("state", flat=True)) == {WebhookDelivery.State.SUCCEEDED}


def test_a_failed_batch_is_sent_again_unchanged(receiver, subscribe):
    subscribe(["customer.created"], batch_size=10)
    customer_create(name="A")
    customer_create(name="B")
    receiver.status = 500
    assert deliver_all()["failed"] == 2
    assert WebhookDelivery.objects.filter(state=WebhookDelivery.State.PENDING).count() == 2
    customer_create(name="C")  # arrives while the batch waits for its retry: goes in a batch of its own
    receiver.status = 204
    deliver_all(now=timezone.now() + timedelta(minutes=5))
    first, again, third = receiver.requests
    assert again["headers"]["webhook-id"] == first["headers"]["webhook-id"]
    assert again["body"] == first["body"]
    assert [e["data"]["name"] for e in json.loads(again["body"])["data"]["events"]] == ["A", "B"]
    assert [e["data"]["name"] for e in json.loads(third["body"])["data"]["events"]] == ["C"]
    assert third["headers"]["webhook-id"] != first["headers"]["webhook-id"]


def test_an_import_arrives_in_a_few_calls(receiver, subscribe, base_data):
    subscribe(["customer.created", "import.finished"], batch_size=500)
    result = run("company_customers", "company_customers_cp1252.csv")
    assert result.created == 3
    deliver_all()
    assert len(receiver.requests) == 1
    inner = json.loads(receiver.requests[0]["body"])["data"]["events"]
    assert [e["type"] for e in inner].count("customer.created") == 3


def test_batch_size_through_the_api(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    api = client_for(make_key("write"))
    answer = api.post("/api/v1/webhooks/", {"url": "http://127.0.0.1:9/x", "events": ["customer.created"], "batch_size": 100}, format="json")
    assert answer.status_code == 201 and answer.json()["batch_size"] == 100
    default = api.post("/api/v1/webhooks/", {"url": "http://127.0.0.1:9/y", "events": ["customer.created"]}, format="json")
    assert "batch_size" not in default.json()  # the contract's fields only, unless opted in
    too_big = api.post("/api/v1/webhooks/", {"url": "http://127.0.0.1:9/z", "events": ["customer.created"], "batch_size": 501}, format="json")
    assert too_big.status_code == 400 and "batch_size" in too_big.json()


def test_feed_stops_before_a_young_gap_and_passes_an_old_one(settings):
    settings.FORTYCRM_EVENT_FEED_DELAY = 0
    settings.FORTYCRM_EVENT_GAP_WAIT = 300
    api = client_for(make_key("read"))
    for name in ["A", "B", "C"]:
        customer_create(name=name)
    a, b, c = Event.objects.order_by("id")
    # B's id taken by a transaction that has not committed yet: C is visible, B is not
    b.delete()
    page = api.get(f"/api/v1/events/?after={a.pk}").json()
    assert page["results"] == [] and page["after"] == a.pk
    # the gap has been there longer than the wait: B was rolled back, the reader moves on
    Event.objects.filter(pk=c.pk).update(created_at=timezone.now() - timedelta(seconds=301))
    page = api.get(f"/api/v1/events/?after={a.pk}").json()
    assert [e["id"] for e in page["results"]] == [c.pk]

"""Webhook delivery end to end with a real receiver (issue 14: items 2-4, 7)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from fortycrm import webhooks
from fortycrm.models import Event, WebhookDelivery, WebhookSubscription
from fortycrm.services.customers import customer_create, customer_delete, customer_update
from fortycrm.webhooks import RETRY_DELAYS, deliver_all

pytestmark = pytest.mark.django_db(transaction=True)


def test_signature_verifies_with_the_reference_library(receiver, subscribe):
    sub = subscribe(["customer.created"])
    assert sub.plain_secret.startswith("whsec_")
    customer = customer_create(name="Acme GmbH")
    assert deliver_all()["sent"] == 1
    request = receiver.requests[0]
    headers = request["headers"]
    assert headers["webhook-signature"].startswith("v1,")
    payload = Webhook(sub.plain_secret).verify(request["body"], headers)
    assert payload["type"] == "customer.created"
    assert payload["data"]["id"] == customer.pk
    assert payload["data"]["name"] == "Acme GmbH"
    assert headers["webhook-id"] == payload["id"]
    assert WebhookDelivery.objects.get().state == WebhookDelivery.State.SUCCEEDED


def test_a_rolled_back_change_sends_nothing(receiver, subscribe):
    subscribe()
    with pytest.raises(RuntimeError), transaction.atomic():
        customer_create(name="Never")
        raise RuntimeError
    assert not Event.objects.exists()
    assert not WebhookDelivery.objects.exists()
    deliver_all()
    assert receiver.requests == []


def test_update_names_changed_fields_and_an_unchanged_save_sends_nothing(receiver, subscribe):
    subscribe()
    customer = customer_create(name="Acme GmbH", city="Berlin")
    customer_update(customer=customer, city="Hamburg")
    customer_update(customer=customer, city="Hamburg")  # nothing changed → no event
    deliver_all()
    assert receiver.types() == ["customer.created", "customer.updated"]
    assert receiver.payloads()[1]["data"]["changed_fields"] == ["city"]


def test_status_change_event_has_old_and_new_status(receiver, subscribe):
    from fortycrm.models import CustomerStatus

    subscribe(["customer.status_changed"])
    customer = customer_create(name="Acme GmbH")
    target = CustomerStatus.objects.get(name="Kunde")
    customer_update(customer=customer, status=target)
    deliver_all()
    data = receiver.payloads()[0]["data"]
    assert data["old_status"]["name"] == "Interessent"
    assert data["new_status"] == {"id": target.pk, "name": "Kunde"}
    assert data["number"] is not None


def test_delete_event(receiver, subscribe):
    subscribe(["customer.deleted"])
    customer = customer_create(name="Acme GmbH")
    pk = customer.pk
    customer_delete(customer=customer)
    deliver_all()
    assert receiver.types() == ["customer.deleted"]
    assert receiver.payloads()[0]["data"]["id"] == pk


@pytest.mark.parametrize("failure", ["500", "close"])
def test_receiver_down_then_up_every_event_arrives_in_order(receiver, subscribe, failure):
    subscribe()
    if failure == "500":
        receiver.status = 500
    else:
        receiver.mode = "close"
    customer = customer_create(name="Acme GmbH")
    for city in ["A", "B", "C"]:
        customer_update(customer=customer, city=city)
    now = timezone.now()
    counts = deliver_all(now=now)
    assert counts["failed"] == 1 and counts["waiting"] == 3  # the later ones wait behind the first
    first = WebhookDelivery.objects.order_by("id").first()
    assert first.state == WebhookDelivery.State.PENDING and first.attempts == 1 and first.error
    assert first.next_attempt_at == now + timedelta(seconds=RETRY_DELAYS[0])
    receiver.requests.clear()
    receiver.status, receiver.mode = 204, "answer"
    deliver_all(now=now + timedelta(seconds=RETRY_DELAYS[0]))
    assert receiver.types() == ["customer.created", "customer.updated", "customer.updated", "customer.updated"]
    assert [p["data"]["city"] for p in receiver.payloads()] == ["", "A", "B", "C"]
    assert WebhookDelivery.objects.filter(state=WebhookDelivery.State.SUCCEEDED).count() == 4


def test_retries_over_a_day_then_failed_and_paused(receiver, subscribe, settings):
    settings.FORTYCRM_WEBHOOK_PAUSE_AFTER = 1
    sub = subscribe(["customer.created"])
    receiver.status = 503
    customer_create(name="Acme GmbH")
    now = timezone.now()
    deliver_all(now=now)
    for delay in RETRY_DELAYS:
        now += timedelta(seconds=delay)
        deliver_all(now=now)
    assert sum(RETRY_DELAYS) >= 24 * 3600
    delivery = WebhookDelivery.objects.get()
    assert delivery.state == WebhookDelivery.State.FAILED
    assert delivery.attempts == len(RETRY_DELAYS) + 1
    assert delivery.response_code == 503
    assert len(receiver.requests) == len(RETRY_DELAYS) + 1
    assert len({r["headers"]["webhook-id"] for r in receiver.requests}) == 1  # same id on every retry
    sub.refresh_from_db()
    assert sub.paused_at is not None
    # paused: new events are kept, not sent
    receiver.status = 204
    customer_create(name="Second")
    deliver_all()
    assert len(receiver.requests) == len(RETRY_DELAYS) + 1
    webhooks.subscription_resume(subscription=sub)
    deliver_all()
    assert receiver.types()[-1] == "customer.created"
    assert receiver.payloads()[-1]["data"]["name"] == "Second"


def test_send_again_and_test_event(receiver, subscribe):
    sub = subscribe(["customer.created"])
    customer_create(name="Acme GmbH")
    deliver_all()
    delivery = WebhookDelivery.objects.get()
    webhooks.delivery_send_again(delivery=delivery)
    deliver_all()
    assert len(receiver.requests) == 2
    assert receiver.requests[0]["headers"]["webhook-id"] == receiver.requests[1]["headers"]["webhook-id"]
    webhooks.send_test_event(subscription=sub)
    deliver_all()
    assert receiver.types()[-1] == "webhook.test"
    Webhook(sub.plain_secret).verify(receiver.requests[-1]["body"], receiver.requests[-1]["headers"])


def test_rotation_signs_with_both_secrets(receiver, subscribe):
    sub = subscribe(["customer.created"])
    old = sub.plain_secret
    new = webhooks.subscription_rotate_secret(subscription=sub)
    customer_create(name="Acme GmbH")
    deliver_all()
    request = receiver.requests[0]
    assert len(request["headers"]["webhook-signature"].split(" ")) == 2
    Webhook(old).verify(request["body"], request["headers"])
    Webhook(new).verify(request["body"], request["headers"])


def test_private_target_refused_without_the_setting(receiver, subscribe, settings):
    sub = subscribe(["customer.created"])
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    customer_create(name="Acme GmbH")
    deliver_all()
    delivery = WebhookDelivery.objects.get()
    assert receiver.requests == []
    assert delivery.state == WebhookDelivery.State.PENDING and "https" in delivery.error
    assert webhooks.url_problem("https://127.0.0.1/hook")
    assert webhooks.url_problem("https://10.1.2.3/hook")
    assert webhooks.url_problem("https://[::1]/hook")
    assert webhooks.url_problem("https://169.254.169.254/latest")
    assert webhooks.url_problem("https://[::ffff:127.0.0.1]/x")
    assert webhooks.url_problem(sub.url)  # http
    assert webhooks.url_problem("https://93.184.215.14/hook") is None


def test_redirects_are_not_followed(receiver, subscribe):
    receiver.status = 302
    subscribe(["customer.created"])
    customer_create(name="Acme GmbH")
    deliver_all()
    delivery = WebhookDelivery.objects.get()
    assert delivery.response_code == 302 and delivery.state == WebhookDelivery.State.PENDING
    assert len(receiver.requests) == 1


def test_filter_by_status(receiver, subscribe):
    from fortycrm.models import CustomerStatus

    subscribe(["customer.created"], filter_status=CustomerStatus.objects.get(name="Kunde"))
    customer_create(name="Lead")
    customer_create(name="Client", status="Kunde")
    deliver_all()
    assert [p["data"]["name"] for p in receiver.payloads()] == ["Client"]


def test_inactive_subscription_gets_nothing(receiver, subscribe):
    subscribe(["customer.created"], is_active=False)
    customer_create(name="Acme GmbH")
    assert not WebhookDelivery.objects.exists()
    assert Event.objects.filter(type="customer.created").count() == 1  # the feed still has it


def test_the_command_delivers(receiver, subscribe):
    from django.core.management import call_command

    subscribe(["customer.created"])
    customer_create(name="Acme GmbH")
    call_command("fortycrm_deliver_webhooks")
    assert receiver.types() == ["customer.created"]


def test_secret_is_not_logged(receiver, subscribe, caplog):
    sub = subscribe(["customer.created"])
    receiver.status = 500
    customer_create(name="Acme GmbH")
    with caplog.at_level("DEBUG"):
        deliver_all()
    assert sub.plain_secret not in caplog.text
    assert sub.plain_secret.removeprefix("whsec_") not in caplog.text
    assert json.dumps(sub.plain_secret) not in str(WebhookSubscription.objects.values("description", "url"))

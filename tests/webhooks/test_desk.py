"""Webhooks in the desk (issue 14, items 1, 4, 5): Administration only, secret once, log, actions."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from fortycrm.models import WebhookDelivery, WebhookSubscription
from fortycrm.services.customers import customer_create
from fortycrm.setup import ROLE_ADMIN
from fortycrm.webhooks import deliver_all

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def admin_desk(client, django_user_model):
    user = django_user_model.objects.create_user("adele", "adele@example.com", "pw-adele-12345", is_staff=True)
    user.groups.add(Group.objects.get(name=ROLE_ADMIN))
    client.force_login(user)
    return client


def _messages(response) -> str:
    return " ".join(str(m) for m in response.context["messages"])


def test_create_shows_the_secret_once(admin_desk, receiver):
    response = admin_desk.post(
        "/desk/fortycrm/webhooksubscription/add/",
        {"url": receiver.url, "events": ["customer.created", "customer.deleted"], "is_active": "on", "description": "Website"},
        follow=True,
    )
    sub = WebhookSubscription.objects.get()
    assert sub.events == ["customer.created", "customer.deleted"]
    assert sub.secret in _messages(response)
    page = admin_desk.get(f"/desk/fortycrm/webhooksubscription/{sub.pk}/change/")
    assert sub.secret not in page.content.decode()


def test_bad_input_in_the_desk(admin_desk, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    response = admin_desk.post("/desk/fortycrm/webhooksubscription/add/", {"url": "https://127.0.0.1/hook", "is_active": "on"})
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "url" in errors and "events" in errors
    assert not WebhookSubscription.objects.exists()


def test_office_and_support_cannot_see_webhooks(client, office_user, support_user):
    for user in (office_user, support_user):
        client.force_login(user)
        assert client.get("/desk/fortycrm/webhooksubscription/").status_code == 403
        assert client.get("/desk/fortycrm/webhookdelivery/").status_code == 403


def test_log_send_again_test_event_and_paused_notice(admin_desk, receiver, subscribe, settings):
    settings.FORTYCRM_WEBHOOK_PAUSE_AFTER = 1
    sub = subscribe(["customer.created"])
    customer_create(name="Acme GmbH")
    deliver_all()
    page = admin_desk.get(f"/desk/fortycrm/webhooksubscription/{sub.pk}/change/").content.decode()
    assert "customer.created" in page and "204" in page
    log = admin_desk.get(f"/desk/fortycrm/webhookdelivery/?subscription__id__exact={sub.pk}")
    assert log.status_code == 200 and "customer.created" in log.content.decode()
    delivery = WebhookDelivery.objects.get()
    admin_desk.post("/desk/fortycrm/webhookdelivery/", {"action": "send_again", "_selected_action": [delivery.pk]}, follow=True)
    deliver_all()
    assert len(receiver.requests) == 2
    admin_desk.post("/desk/fortycrm/webhooksubscription/", {"action": "send_test", "_selected_action": [sub.pk]}, follow=True)
    deliver_all()
    assert receiver.types()[-1] == "webhook.test"
    WebhookSubscription.objects.filter(pk=sub.pk).update(paused_at="2026-01-01T00:00:00Z", consecutive_failures=3)
    listing = admin_desk.get("/desk/fortycrm/webhooksubscription/")
    assert "nach wiederholt fehlgeschlagenen Zustellungen angehalten" in _messages(listing)
    admin_desk.post("/desk/fortycrm/webhooksubscription/", {"action": "resume", "_selected_action": [sub.pk]}, follow=True)
    sub.refresh_from_db()
    assert sub.paused_at is None and sub.consecutive_failures == 0


def test_deleting_contacts_in_bulk_in_the_desk_sends_one_event_each(admin_desk):
    from fortycrm.models import Contact, Event
    from fortycrm.services.contacts import contact_save

    customer = customer_create(name="Acme GmbH")
    contacts = [contact_save(contact=Contact(customer=customer, last_name=name)) for name in ("Meier", "Schulz")]
    admin_desk.post(
        "/desk/fortycrm/contact/",
        {"action": "delete_selected", "_selected_action": [c.pk for c in contacts], "post": "yes"},
        follow=True,
    )
    assert not Contact.objects.exists()
    assert sorted(Event.objects.filter(type="contact.deleted").values_list("object_id", flat=True)) == sorted(c.pk for c in contacts)

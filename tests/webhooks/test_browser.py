"""Einstellungen → Webhooks in a real browser: create, secret shown once, test event in the log."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from fortycrm.models import WebhookSubscription
from fortycrm.webhooks import deliver_all

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_create_webhook_and_send_a_test_event(desk_page, live_server, receiver):
    page = desk_page
    page.goto(f"{live_server.url}/desk/fortycrm/webhooksubscription/add/")
    page.fill("input[name=url]", receiver.url)
    page.check("input[name=events][value='customer.created']")
    page.fill("input[name=description]", "Website")
    page.click("button[name=_save]")
    secret = page.locator(".fortycrm-webhook-secret")
    expect(secret).to_be_visible()
    sub = WebhookSubscription.objects.get()
    assert secret.inner_text() == sub.secret
    page.check(f"input[name=_selected_action][value='{sub.pk}']")
    page.select_option("select[name=action]", "send_test")
    page.click("button[type=submit][name=index]")
    deliver_all()
    assert receiver.types() == ["webhook.test"]
    page.goto(f"{live_server.url}/desk/fortycrm/webhooksubscription/{sub.pk}/change/")
    expect(page.locator(".fortycrm-delivery-log")).to_contain_text("webhook.test")
    expect(page.locator(".fortycrm-delivery-log")).to_contain_text("204")

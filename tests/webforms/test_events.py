"""intake.received: the webhook event of a website form submission (issue 15 + 14)."""

from __future__ import annotations

import pytest

from fortycrm.models import Event
from tests.webforms.conftest import body
from tests.webforms.test_submit import post_json

pytestmark = pytest.mark.django_db


def test_a_website_form_submission_records_intake_received(client, web_form):
    Event.objects.all().delete()
    answer = post_json(client, web_form, body(web_form))
    assert answer.status_code in (200, 201), answer.content
    received = Event.objects.get(type="intake.received")
    assert received.data["web_form"]["name"] == web_form.name
    assert received.data["web_form"]["page_url"].endswith("/kontakt/")
    assert received.data["name"] == "Hausverwaltung Sonne GmbH"
    assert Event.objects.filter(type="customer.created", object_id=received.object_id).count() == 1


def test_a_refused_submission_records_nothing(client, web_form):
    Event.objects.all().delete()
    answer = post_json(client, web_form, body(web_form, fc_consent=None))
    assert answer.status_code == 400
    assert not Event.objects.exists()

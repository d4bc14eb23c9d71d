"""Desk: Einstellungen → Website-Formulare (Administration)."""

from __future__ import annotations

import pytest

from fortycrm.models import WebForm
from fortycrm.webforms.fields import offered_fields

pytestmark = pytest.mark.django_db


def form_post(**extra) -> dict:
    data = {"name": "Kontakt", "allowed_origins": "https://www.gebaeudereinigung-muster.de", "active": "on",
            "thank_you_text": "Danke!", "consent_text": "Ich willige ein.", "unconfirmed_days": "7",
            "min_fill_seconds": "3", "limit_per_address": "5", "limit_per_form": "60"}
    for n, f in enumerate(offered_fields()):
        data[f"field_{f.name}"] = ""
        data[f"position_{f.name}"] = str(n)
    data.update(field_last_name="required", position_last_name="2", field_email="required", position_email="1", field_message="optional", position_message="3")
    data.update(extra)
    return data


def test_create_form_in_the_desk_and_copy_both_snippets(client, admin_user):
    client.force_login(admin_user)
    assert client.get("/desk/fortycrm/webform/add/").status_code == 200
    response = client.post("/desk/fortycrm/webform/add/", form_post())
    assert response.status_code == 302, response.content.decode()[:3000]
    form = WebForm.objects.get()
    assert form.fields == [{"name": "email", "required": True}, {"name": "last_name", "required": True}, {"name": "message", "required": False}]
    page = client.get(f"/desk/fortycrm/webform/{form.pk}/change/").content.decode()
    assert f"http://testserver/forms/{form.public_id}.js" in page
    assert f"&lt;div data-fortycrm-form=&quot;{form.public_id}&quot;&gt;" in page
    assert f"action=&quot;http://testserver/forms/{form.public_id}/submit&quot;" in page
    assert "fortycrm-copy" in page


def test_desk_refuses_a_form_without_last_name_with_a_message(client, admin_user):
    client.force_login(admin_user)
    response = client.post("/desk/fortycrm/webform/add/", form_post(field_last_name="", allowed_origins="ftp://x"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "muss angeboten und Pflichtfeld sein" in page or "must be offered and required" in page
    assert not WebForm.objects.exists()


def test_office_role_has_no_access(client, office_user):
    client.force_login(office_user)
    assert client.get("/desk/fortycrm/webform/").status_code == 403

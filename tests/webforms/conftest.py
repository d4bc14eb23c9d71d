from __future__ import annotations

import time

import pytest

from fortycrm.models import WebForm
from fortycrm.webforms import spam

ORIGIN = "https://www.gebaeudereinigung-muster.de"
CONSENT = "Ich willige ein, dass meine Angaben zur Bearbeitung meiner Anfrage gespeichert werden."


@pytest.fixture
def web_form(db, office_user):
    form = WebForm(
        name="Kontakt Website",
        allowed_origins=f"{ORIGIN}\nhttp://127.0.0.1:8123",
        fields=[
            {"name": "company_name", "required": False},
            {"name": "first_name", "required": False},
            {"name": "last_name", "required": True},
            {"name": "email", "required": True},
            {"name": "message", "required": False},
        ],
        account_manager=office_user,
        thank_you_text="Vielen Dank für Ihre Anfrage!",
        consent_text=CONSENT,
    )
    form.full_clean()
    form.save()
    return form


def token(form, age: float = 60) -> str:
    return spam.issue_token(form.public_id, now=time.time() - age)


def body(form, **extra) -> dict:
    data = {
        "company_name": "Hausverwaltung Sonne GmbH",
        "last_name": "Sonne",
        "first_name": "Petra",
        "email": "petra@sonne.example",
        "message": "Bitte Angebot für das Treppenhaus.",
        "fc_consent": True,
        "fc_page": f"{ORIGIN}/kontakt/",
        "fc_token": token(form),
    }
    data.update(extra)
    return {k: v for k, v in data.items() if v is not None}

"""The OpenAPI schema speaks the request's language (issue 12, item 1).

Swagger UI's own chrome stays English; every description and summary of ours is German in a
German request and English in an English one.
"""

from __future__ import annotations

import pytest

from fortycrm.api.schema import map_texts

pytestmark = pytest.mark.django_db

# texts that are the same in both languages (names, not words)
SAME_IN_BOTH = {"fortycrm API"}


def _texts(schema) -> set[str]:
    found: set[str] = set()
    map_texts(schema, lambda text: found.add(text) or text)
    return found


def _schema(client, **headers):
    response = client.get("/api/v1/schema/", {"format": "json"}, **headers)
    assert response.status_code == 200
    return response.json()


def test_every_description_is_german_in_a_german_request(client):
    german = _texts(_schema(client, HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9"))
    english = _texts(_schema(client, HTTP_ACCEPT_LANGUAGE="en"))
    untranslated = sorted((german & english) - SAME_IN_BOTH)
    assert untranslated == [], f"English in the German schema: {untranslated}"
    assert "Kunden: Firmen und Privatpersonen mit Status, Kundennummer, Schlagwörtern und eigenen Feldern." in german
    assert "Customers (Kunden): companies and private persons with status, number, tags and custom fields." in english
    assert "Zu viele Anfragen; siehe Retry-After" in german


def test_lang_parameter_chooses_the_language(client):
    schema = _schema(client, HTTP_ACCEPT_LANGUAGE="en")
    assert schema["info"]["description"].startswith("Customers, contacts")
    response = client.get("/api/v1/schema/", {"format": "json", "lang": "de"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.json()["info"]["description"] == "Kunden, Ansprechpartner, Objekte, Zähler und Zählerstände von fortycrm."


def test_no_implementation_notes_in_the_schema(client):
    texts = " ".join(_texts(_schema(client, HTTP_ACCEPT_LANGUAGE="en")))
    assert "save_with" not in texts and ".values()" not in texts

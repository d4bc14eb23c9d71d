"""Error shapes (R-API-5): field messages in the caller's language, 4xx never 500, nothing saved."""

from __future__ import annotations

import pytest

from fortycrm.models import Contact, Customer, Location
from tests import factories
from tests.api.conftest import client_for, make_key

pytestmark = pytest.mark.django_db
URL = "/api/v1/customers/"


def test_field_messages_in_english_and_german(db):
    key = make_key("write")
    english = client_for(key, "en").post("/api/v1/intake/", {"kind": "company", "last_name": "Meier"}, format="json")
    assert english.status_code == 400
    assert english.json() == {"company_name": ["A company enquiry needs the company name."]}
    german = client_for(key, "de").post("/api/v1/intake/", {"kind": "company", "last_name": "Meier"}, format="json")
    assert german.json() == {"company_name": ["Eine Anfrage einer Firma braucht den Firmennamen."]}
    assert german["Content-Language"] == "de"
    german = client_for(key, "de-DE,de;q=0.9").post(URL, {"name": "X", "email": "keine-adresse"}, format="json")
    assert german.status_code == 400 and german.json()["email"] == ["Geben Sie eine gültige E-Mail-Adresse ein."]  # "Sie", not DRF's "du"
    assert not Customer.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "X", "number": 10**30}, "number"),
        ({"name": "X", "status": 10**30}, "status"),
        ({"name": "X", "status": "Stammkunde"}, "status"),
        ({"name": "X", "status": ""}, "status"),
        ({"name": "X", "tags": "VIP"}, "tags"),
        ({"name": "X", "tags": [{"a": 1}]}, "tags"),
        ({"name": "X", "start_date": "2025-02-30"}, "start_date"),
        ({"name": "X", "start_date": "2025-03-01", "end_date": "2025-01-01"}, "end_date"),
        ({"name": "X", "kind": "alien"}, "kind"),
        ({"name": "X", "country": "DEU"}, "country"),
        ({"name": "X", "country": "1x"}, "country"),
        ({"name": "X" * 201}, "name"),
        ({"name": "X", "website": "kein link"}, "website"),
        ({"name": "X", "combine_invoices": "vielleicht"}, "combine_invoices"),
        ({"name": "X", "account_manager": -3}, "account_manager"),
    ],
)
def test_bad_customer_input_is_400_on_the_field_and_saves_nothing(write_api, body, field):
    response = write_api.post(URL, body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json() and response.json()[field][0]
    assert not Customer.objects.exists()


@pytest.mark.parametrize("raw", ['{"name": "X"', "[]", '"text"', "null", "{\"name\": \"\\ud800\"}"])
def test_malformed_json_is_400(write_api, raw):
    response = write_api.generic("POST", URL, raw, content_type="application/json")
    assert response.status_code == 400
    assert not Customer.objects.exists()


def test_unknown_ids_are_404(read_api, write_api):
    for path in (f"{URL}999999/", f"{URL}{10**30}/", f"{URL}abc/", "/api/v1/contacts/5/", "/api/v1/invoices/77/"):
        assert read_api.get(path).status_code == 404
    assert write_api.patch(f"{URL}999999/", {"name": "Y"}, format="json").status_code == 404
    assert write_api.delete(f"{URL}999999/").status_code == 404


def test_unknown_related_ids_are_400(write_api):
    response = write_api.post("/api/v1/contacts/", {"customer": 424242, "last_name": "Meier"}, format="json")
    assert response.status_code == 400 and "424242" in response.json()["customer"][0]
    response = write_api.post("/api/v1/locations/", {"customer": 10**30, "name": "X"}, format="json")
    assert response.status_code == 400
    assert not Contact.objects.exists() and not Location.objects.exists()


def test_bad_query_parameters_are_400_or_ignored_never_500(read_api):
    factories.company("X GmbH")
    assert read_api.get(URL, {"page": "abc"}).status_code == 404
    assert read_api.get(URL, {"page": 99}).status_code == 404
    assert read_api.get(URL, {"page_size": "viele"}).status_code == 200
    assert read_api.get("/api/v1/contacts/", {"customer": "abc"}).status_code == 400
    assert read_api.get("/api/v1/readings/", {"read_after": "gestern"}).status_code == 400
    assert read_api.get("/api/v1/meters/", {"customer": "1e400"}).status_code in (200, 400)


def test_403_and_409_shapes(read_api, write_api):
    response = read_api.post(URL, {"name": "X"}, format="json")
    assert response.status_code == 403 and set(response.json()) == {"detail"}
    holder = factories.company("Halter GmbH", status="Kunde")
    response = write_api.post(URL, {"name": "Y", "status": holder.status_id, "number": holder.number}, format="json")
    assert response.status_code == 409 and set(response.json()) == {"number"}


def test_not_found_and_bad_json_messages_follow_the_language(write_api):
    from tests.api.conftest import client_for, make_key

    german = client_for(make_key("write", "de key"), language="de")
    assert german.get(f"{URL}99999999999999999999/").json() == {"detail": "Nicht gefunden."}
    body = german.generic("POST", URL, "{bad", content_type="application/json").json()
    assert body["detail"].startswith("Der Inhalt der Anfrage ist kein gültiges JSON")


def test_birthday_in_the_future_is_refused(write_api):
    customer = write_api.post(URL, {"kind": "private", "last_name": "Zukunft"}, format="json").json()
    response = write_api.post("/api/v1/contacts/", {"customer": customer["id"], "last_name": "Meier", "birthday": "2099-01-01"}, format="json")
    assert response.status_code == 400 and "birthday" in response.json()


def test_impossible_date_message_says_the_date_does_not_exist(write_api):
    from tests.api.conftest import client_for, make_key

    german = client_for(make_key("write", "de dates"), language="de")
    response = german.post(URL, {"name": "X", "start_date": "2026-02-30"}, format="json")
    assert response.status_code == 400
    assert response.json()["start_date"][0].startswith("Das Datum gibt es nicht")

"""Custom fields in the API (R-FLD): every type round trip, validation, cf_ filters, definitions, schema."""

from __future__ import annotations

import pytest

from fortycrm.models import Customer, CustomField
from tests import factories
from tests.api.conftest import client_for, make_key
from tests.fields.conftest import CONTRACT_CHOICES, define

pytestmark = pytest.mark.django_db

ALL_VALUES = {
    "schluessel_ort": "Hausmeister",
    "hinweise": "Zeile 1\nZeile 2",
    "flaeche": 250,
    "stundensatz": "32.50",
    "vertragsbeginn": "2026-03-31",
    "schluessel": True,
    "vertragsart": "premium",
    "leistungen": ["boden", "glas"],
    "portal": "https://portal.example.de/kunde",
    "rechnung_mail": "rechnung@example.de",
}


@pytest.fixture
def write_api(db):
    return client_for(make_key("write"))


@pytest.fixture
def read_api(db):
    return client_for(make_key("read"))


def test_every_type_is_written_and_read_back(write_api, all_types):
    response = write_api.post("/api/v1/customers/", {"name": "Sonne GmbH", "custom_fields": ALL_VALUES}, format="json")
    assert response.status_code == 201, response.json()
    expected = {**ALL_VALUES, "leistungen": ["glas", "boden"]}  # in the order of the choices
    assert response.json()["custom_fields"] == expected
    pk = response.json()["id"]
    assert write_api.get(f"/api/v1/customers/{pk}/").json()["custom_fields"] == expected
    listed = write_api.get("/api/v1/customers/").json()["results"][0]
    assert listed["custom_fields"] == expected
    assert Customer.objects.get(pk=pk).custom_field_data == expected


def test_patch_changes_only_the_named_fields_and_null_clears(write_api, all_types):
    customer = factories.company(custom_field_data={"flaeche": 10, "vertragsart": "standard"})
    response = write_api.patch(f"/api/v1/customers/{customer.pk}/", {"custom_fields": {"flaeche": 12, "vertragsart": None}}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["custom_fields"] == {"flaeche": 12}


@pytest.mark.parametrize(
    ("values", "name", "fragment"),
    [
        ({"flaeche": "250"}, "flaeche", "whole number"),
        ({"flaeche": 0}, "flaeche", "at least 1"),
        ({"stundensatz": "abc"}, "stundensatz", "not a decimal"),
        ({"stundensatz": "500"}, "stundensatz", "at most"),
        ({"vertragsbeginn": "31.03.2026"}, "vertragsbeginn", "YYYY-MM-DD"),
        ({"vertragsbeginn": "2026-02-31"}, "vertragsbeginn", "not a valid date"),
        ({"schluessel": "ja"}, "schluessel", "true or false"),
        ({"vertragsart": "gold"}, "vertragsart", "not one of the choices"),
        ({"leistungen": "glas"}, "leistungen", "list"),
        ({"leistungen": ["glas", "fenster"]}, "leistungen", "fenster"),
        ({"portal": "kein link"}, "portal", "web address"),
        ({"rechnung_mail": "nope"}, "rechnung_mail", "e-mail"),
    ],
)
def test_bad_values_give_400_naming_the_field(write_api, all_types, values, name, fragment):
    response = write_api.post("/api/v1/customers/", {"name": "Sonne GmbH", "custom_fields": values}, format="json")
    assert response.status_code == 400
    message = " ".join(response.json()["custom_fields"])  # the API's flat shape: "name: Label: problem"
    assert message.startswith(f"{name}: {all_types[_type_of(name)].label}: ") and fragment in message
    assert not Customer.objects.exists()


def _type_of(name: str) -> str:
    return {"flaeche": "integer", "stundensatz": "decimal", "vertragsbeginn": "date", "schluessel": "boolean", "vertragsart": "select",
            "leistungen": "multiselect", "portal": "url", "rechnung_mail": "email"}[name]


def test_unknown_name_gives_400_listing_the_known_ones(write_api, contract_type, area):
    response = write_api.post("/api/v1/customers/", {"name": "Sonne GmbH", "custom_fields": {"farbe": "rot"}}, format="json")
    assert response.status_code == 400
    message = " ".join(response.json()["custom_fields"])
    assert "farbe" in message and "flaeche" in message and "vertragsart" in message


def test_required_field_missing_gives_400(write_api):
    define(name="flaeche", label="Fläche m²", type="integer", required=True)
    response = write_api.post("/api/v1/customers/", {"name": "Sonne GmbH"}, format="json")
    assert response.status_code == 400
    assert response.json()["custom_fields"] == ["flaeche: Fläche m²: a value is required."]


def test_contacts_and_locations_carry_custom_fields(write_api):
    define(name="pflegegrad", label="Pflegegrad", type="integer", object_type="contact", min_value=1, max_value=5)
    define(name="schluessel", label="Schlüssel hinterlegt", type="boolean", object_type="location")
    customer = factories.private()
    response = write_api.post("/api/v1/contacts/", {"customer": customer.pk, "last_name": "Schmidt", "custom_fields": {"pflegegrad": 6}}, format="json")
    assert response.status_code == 400 and response.json()["custom_fields"] == ["pflegegrad: Pflegegrad: The value must be at most 5."]
    response = write_api.post("/api/v1/contacts/", {"customer": customer.pk, "last_name": "Schmidt", "custom_fields": {"pflegegrad": 3}}, format="json")
    assert response.status_code == 201 and response.json()["custom_fields"] == {"pflegegrad": 3}
    response = write_api.post("/api/v1/locations/", {"customer": customer.pk, "name": "Haus", "custom_fields": {"schluessel": True}}, format="json")
    assert response.status_code == 201 and response.json()["custom_fields"] == {"schluessel": True}
    assert write_api.get("/api/v1/locations/", {"cf_schluessel": "true"}).json()["count"] == 1
    assert write_api.get("/api/v1/contacts/", {"cf_pflegegrad__gte": "4"}).json()["count"] == 0


def test_cf_filters_on_the_customer_list(read_api, all_types):
    factories.company(name="A GmbH", custom_field_data={"vertragsart": "premium", "flaeche": 100, "stundensatz": "30.5",
                                                        "vertragsbeginn": "2026-01-15", "schluessel": True, "leistungen": ["glas", "boden"]})
    factories.company(name="B GmbH", status="Kunde", custom_field_data={"vertragsart": "standard", "flaeche": 900, "stundensatz": "9.75" if False else "120",
                                                                          "vertragsbeginn": "2025-06-01", "schluessel": False, "leistungen": ["boden"]})
    factories.company(name="C GmbH", custom_field_data={})

    def names(**params):
        response = read_api.get("/api/v1/customers/", params)
        assert response.status_code == 200, response.json()
        return sorted(row["name"] for row in response.json()["results"])

    assert names(cf_vertragsart="premium") == ["A GmbH"]
    assert names(cf_vertragsart="Standard") == ["B GmbH"]  # by label too
    assert names(cf_vertragsart="standard", status="Kunde") == ["B GmbH"]
    assert names(cf_vertragsart="standard", status="Interessent") == []
    assert names(cf_flaeche__gte="100") == ["A GmbH", "B GmbH"]
    assert names(cf_flaeche__gte="101") == ["B GmbH"]
    assert names(cf_flaeche__lte="100") == ["A GmbH"]
    assert names(cf_flaeche="900") == ["B GmbH"]
    assert names(cf_stundensatz__gte="100") == ["B GmbH"]  # numeric, not text order
    assert names(cf_stundensatz__lte="30.5") == ["A GmbH"]
    assert names(cf_vertragsbeginn__gte="2026-01-01") == ["A GmbH"]
    assert names(cf_vertragsbeginn__lte="2025-12-31") == ["B GmbH"]
    assert names(cf_schluessel="true") == ["A GmbH"]
    assert names(cf_schluessel="false") == ["B GmbH"]
    assert names(cf_leistungen="glas") == ["A GmbH"]
    assert names(cf_leistungen="boden") == ["A GmbH", "B GmbH"]
    # the cached count follows the filter
    assert read_api.get("/api/v1/customers/", {"cf_vertragsart": "premium"}).json()["count"] == 1
    assert read_api.get("/api/v1/customers/", {"cf_vertragsart": "standard"}).json()["count"] == 1


@pytest.mark.parametrize(
    ("params", "key"),
    [({"cf_farbe": "rot"}, "cf_farbe"), ({"cf_flaeche": "viel"}, "cf_flaeche"), ({"cf_vertragsart__gte": "a"}, "cf_vertragsart__gte"),
     ({"cf_vertragsbeginn__gte": "31.02.2026"}, "cf_vertragsbeginn__gte"), ({"cf_flaeche__in": "1"}, "cf_flaeche__in")],
)
def test_bad_cf_filters_give_400(read_api, all_types, params, key):
    response = read_api.get("/api/v1/customers/", params)
    assert response.status_code == 400
    assert key in response.json()


def test_definitions_endpoint_crud_with_the_desk_rules(read_api, write_api):
    body = {"object_type": "customer", "name": "vertragsart", "label": "Vertragsart", "label_en": "Contract type", "type": "select",
            "choices": CONTRACT_CHOICES, "list_filter": True, "applies_to": "company", "position": 5}
    assert read_api.post("/api/v1/custom-fields/", body, format="json").status_code == 403
    response = write_api.post("/api/v1/custom-fields/", body, format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    for key in ("object_type", "name", "label", "label_en", "help_text", "type", "required", "default", "choices", "min_value",
                "max_value", "applies_to", "position", "list_column", "list_filter"):
        assert key in data
    assert data["choices"] == CONTRACT_CHOICES
    assert read_api.get("/api/v1/custom-fields/").json()["results"][0]["name"] == "vertragsart"
    again = write_api.post("/api/v1/custom-fields/", body, format="json")
    assert again.status_code == 400 and "already used" in str(again.json())
    bad = write_api.post("/api/v1/custom-fields/", {**body, "name": "Vertrags-Art"}, format="json")
    assert bad.status_code == 400 and "name" in bad.json()
    factories.company(custom_field_data={"vertragsart": "premium"})
    pk = data["id"]
    refused = write_api.patch(f"/api/v1/custom-fields/{pk}/", {"choices": CONTRACT_CHOICES[:1]}, format="json")
    assert refused.status_code == 400 and "1 record" in str(refused.json())
    assert write_api.delete(f"/api/v1/custom-fields/{pk}/").status_code == 204
    assert not CustomField.objects.exists()
    assert Customer.objects.get().custom_field_data == {}


def test_schema_describes_the_defined_fields(client, all_types):
    schema = client.get("/api/v1/schema/", {"format": "json"}).json()
    properties = schema["components"]["schemas"]["Customer"]["properties"]["custom_fields"]["properties"]
    assert properties["flaeche"]["type"] == "integer" and properties["flaeche"]["minimum"] == 1
    assert properties["stundensatz"]["type"] == "string"
    assert properties["vertragsbeginn"]["format"] == "date"
    assert properties["schluessel"]["type"] == "boolean"
    assert properties["vertragsart"]["enum"] == ["standard", "premium", "rahmen"]
    assert properties["leistungen"]["type"] == "array"
    assert properties["rechnung_mail"]["format"] == "email"
    assert "/api/v1/custom-fields/" in schema["paths"]

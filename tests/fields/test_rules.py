"""Custom field values and definitions: the rules held by fortycrm.custom_fields and its services (R-FLD)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from fortycrm.models import Contact, Customer, CustomField, Location
from fortycrm.services.contacts import contact_save
from fortycrm.services.custom_fields import customfield_delete, customfield_save, customfield_usage
from fortycrm.services.customers import customer_update
from fortycrm.services.locations import location_save
from tests import factories
from tests.fields.conftest import CONTRACT_CHOICES, define

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    from django.utils import translation

    with translation.override("en"):
        yield


def errors_of(exc_info) -> dict[str, list[str]]:
    return exc_info.value.message_dict


# --- values (bad input list of the issue) ----------------------------------------------------

def test_wrong_type_is_refused_naming_the_field(area):
    with pytest.raises(ValidationError) as exc:
        factories.company(custom_field_data={"flaeche": "viel"})
    assert "Fläche m²" in errors_of(exc)["cf_flaeche"][0]
    assert not Customer.objects.exists()


def test_a_choice_that_does_not_exist_is_refused(contract_type):
    with pytest.raises(ValidationError) as exc:
        factories.company(custom_field_data={"vertragsart": "gold"})
    message = errors_of(exc)["cf_vertragsart"][0]
    assert "gold" in message and "Vertragsart" in message and "Premium" in message
    assert not Customer.objects.exists()


def test_a_required_value_missing_is_refused(db):
    define(name="flaeche", label="Fläche m²", type="integer", required=True)
    with pytest.raises(ValidationError) as exc:
        factories.company()
    assert "Fläche m²" in errors_of(exc)["cf_flaeche"][0]
    assert not Customer.objects.exists()


def test_a_number_outside_min_max_is_refused(area):
    with pytest.raises(ValidationError) as exc:
        factories.company(custom_field_data={"flaeche": 0})
    assert "at least 1" in errors_of(exc)["cf_flaeche"][0]
    with pytest.raises(ValidationError):
        factories.company(custom_field_data={"flaeche": 100001})
    assert factories.company(custom_field_data={"flaeche": 100000}).custom_field_data == {"flaeche": 100000}


def test_a_date_before_the_minimum_is_refused(all_types):
    with pytest.raises(ValidationError) as exc:
        factories.company(custom_field_data={"vertragsbeginn": "1999-12-31"})
    assert "Vertragsbeginn" in errors_of(exc)["cf_vertragsbeginn"][0]


def test_unknown_names_are_refused_listing_the_known_ones(area, contract_type):
    with pytest.raises(ValidationError) as exc:
        factories.company(custom_field_data={"farbe": "rot"})
    message = errors_of(exc)["custom_fields"][0]
    assert "farbe" in message and "flaeche" in message and "vertragsart" in message


def test_default_fills_a_new_record_but_not_an_update(db):
    define(name="intervall", label="Reinigungsintervall", type="select", default="woche",
           choices=[{"value": "woche", "label": "wöchentlich"}, {"value": "monat", "label": "monatlich"}])
    customer = factories.company()
    assert customer.custom_field_data == {"intervall": "woche"}
    customer_update(customer=customer, custom_field_data={})
    customer.refresh_from_db()
    assert customer.custom_field_data == {}


def test_applies_to_company_only(db):
    define(name="handelsregister", label="Handelsregister", type="text", required=True, applies_to="company")
    factories.private()  # not required for private customers
    with pytest.raises(ValidationError) as exc:
        factories.private(last_name="Meier", custom_field_data={"handelsregister": "HRB 1"})
    assert "cf_handelsregister" in errors_of(exc)
    with pytest.raises(ValidationError):
        factories.company()


def test_contacts_and_locations_are_checked_by_their_services(db):
    define(name="pflegegrad", label="Pflegegrad", type="integer", object_type="contact", min_value=1, max_value=5)
    define(name="objektgroesse", label="Objektgröße m²", type="decimal", object_type="location")
    customer = factories.private()
    with pytest.raises(ValidationError) as exc:
        contact_save(contact=Contact(customer=customer, last_name="Schmidt", custom_field_data={"pflegegrad": 7}))
    assert "Pflegegrad" in errors_of(exc)["cf_pflegegrad"][0]
    contact = contact_save(contact=Contact(customer=customer, last_name="Schmidt", custom_field_data={"pflegegrad": 2}))
    assert Contact.objects.get(pk=contact.pk).custom_field_data == {"pflegegrad": 2}
    with pytest.raises(ValidationError):
        location_save(location=Location(customer=customer, name="Haus", custom_field_data={"objektgroesse": "zwölf"}))
    location = location_save(location=Location(customer=customer, name="Haus", custom_field_data={"objektgroesse": 120.5}))
    assert Location.objects.get(pk=location.pk).custom_field_data == {"objektgroesse": "120.5"}


# --- definitions --------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["Vertragsart", "1feld", "feld-x", "feld x", "_feld", "feld\n", "ä"])
def test_technical_name_must_be_an_identifier(db, name):
    with pytest.raises(ValidationError) as exc:
        define(name=name, label="X", type="text")
    assert "name" in errors_of(exc)


def test_technical_name_is_unique_per_object_type(contract_type):
    with pytest.raises(ValidationError) as exc:
        define(name="vertragsart", label="Noch einmal", type="text")
    assert "already used" in " ".join(sum(errors_of(exc).values(), []))
    define(name="vertragsart", label="Vertragsart", type="text", object_type="location")  # other type: fine


def test_technical_name_is_fixed_once_values_exist(contract_type):
    contract_type.name = "art"
    customfield_save(field=contract_type)  # no values yet: allowed
    factories.company(custom_field_data={"art": "premium"})
    contract_type.name = "vertrag"
    with pytest.raises(ValidationError) as exc:
        customfield_save(field=contract_type)
    assert "1 record" in errors_of(exc)["name"][0]


def test_a_choice_in_use_cannot_be_removed(contract_type):
    factories.company(custom_field_data={"vertragsart": "premium"})
    factories.company(name="Zwei GmbH", custom_field_data={"vertragsart": "premium"})
    contract_type.choices = [c for c in CONTRACT_CHOICES if c["value"] != "premium"]
    with pytest.raises(ValidationError) as exc:
        customfield_save(field=contract_type)
    assert "2 records" in errors_of(exc)["choices"][0]
    contract_type.choices = [c for c in CONTRACT_CHOICES if c["value"] != "rahmen"]
    customfield_save(field=contract_type)  # unused: fine
    assert [c["value"] for c in CustomField.objects.get().choices] == ["standard", "premium"]


def test_choices_can_be_reordered(contract_type):
    contract_type.choices = list(reversed(CONTRACT_CHOICES))
    customfield_save(field=contract_type)
    assert [c["value"] for c in CustomField.objects.get().choices] == ["rahmen", "premium", "standard"]


def test_type_change_refused_unless_every_value_converts(db):
    field = define(name="groesse", label="Größe", type="text")
    factories.company(custom_field_data={"groesse": "120"})
    factories.company(name="B GmbH", custom_field_data={"groesse": "groß"})
    factories.company(name="C GmbH", custom_field_data={"groesse": "viel"})
    field.type = "integer"
    with pytest.raises(ValidationError) as exc:
        customfield_save(field=field)
    assert "2 stored values" in errors_of(exc)["type"][0]
    Customer.objects.exclude(name="Müller Gebäudereinigung GmbH").delete()
    customfield_save(field=field)
    assert Customer.objects.get().custom_field_data == {"groesse": 120}


def test_making_a_field_required_needs_values_or_a_default(db):
    field = define(name="intervall", label="Intervall", type="integer")
    factories.company()
    factories.company(name="B GmbH", custom_field_data={"intervall": 4})
    field.required = True
    with pytest.raises(ValidationError) as exc:
        customfield_save(field=field)
    assert "1 record" in errors_of(exc)["required"][0]
    field.default = 2
    customfield_save(field=field)
    assert sorted(c.custom_field_data["intervall"] for c in Customer.objects.all()) == [2, 4]


def test_deleting_a_field_removes_its_values_and_says_how_many(contract_type, area):
    factories.company(custom_field_data={"vertragsart": "premium", "flaeche": 10})
    factories.company(name="B GmbH", custom_field_data={"flaeche": 20})
    assert customfield_usage(contract_type) == 1
    assert customfield_delete(field=contract_type) == 1
    assert sorted((c.custom_field_data for c in Customer.objects.all()), key=str) == [{"flaeche": 10}, {"flaeche": 20}]


def test_default_and_bounds_are_checked_against_the_type(db):
    with pytest.raises(ValidationError) as exc:
        define(name="f", label="F", type="integer", default="abc")
    assert "default" in errors_of(exc)
    with pytest.raises(ValidationError) as exc:
        define(name="g", label="G", type="integer", min_value=10, max_value=5)
    assert "max_value" in errors_of(exc)
    with pytest.raises(ValidationError) as exc:
        define(name="h", label="H", type="select", choices=[])
    assert "choices" in errors_of(exc)
    with pytest.raises(ValidationError) as exc:
        define(name="i", label="I", type="text", min_value=3)
    assert "min_value" in errors_of(exc)


def test_history_shows_label_old_new(contract_type):
    from fortycrm.selectors import history_of

    customer = factories.company(custom_field_data={"vertragsart": "standard"})
    customer_update(customer=customer, custom_field_data={"vertragsart": "premium"})
    rows = history_of(customer)
    assert ("Vertragsart", "Standard → Premium") in rows[0]["what"]
    customer_update(customer=customer, custom_field_data={"vertragsart": "premium"})
    assert len(history_of(customer)) == 2  # a save that changes nothing writes no history


# --- the import's memo of checked values (custom_fields.data_clean(memo=...)) ----------------

def test_data_clean_with_a_memo_gives_the_same_values_and_errors(all_types):
    """The bulk import passes one memo per import: each field's value is checked once per
    distinct value; the cleaned dict and every error are those without the memo."""
    from fortycrm import custom_fields

    samples = {
        "schluessel_ort": ["Briefkasten", "", "x" * 300, 5],
        "hinweise": ["lang " * 10, None],
        "flaeche": [120, 0, 100001, "120", True, 12.0, -5],
        "stundensatz": ["12.50", "9.99", "200.6", "abc", 15, 15.5, -0.0, "1e3"],
        "vertragsbeginn": ["2024-05-01", "1999-12-31", "01.05.2024", "2024-02-30", 20240501],
        "schluessel": [True, False, "ja", 1, None],
        "vertragsart": ["premium", "Premium", "gold", ""],
        "leistungen": [["glas", "winter"], ["gold"], "glas", []],
        "portal": ["https://example.de", "kein portal"],
        "rechnung_mail": ["rechnung@example.de", "kaputt"],
        "unbekannt": [None, "x"],
    }
    defs = custom_fields.definitions("customer")
    memo: dict = {}
    rows = []
    for i in range(60):
        rows.append({name: values[(i * (k + 3)) % len(values)] for k, (name, values) in enumerate(samples.items()) if (i + k) % 4})
    for data in rows * 2:  # the second pass answers from the memo
        outcomes = []
        for kwargs in ({}, {"memo": memo}):
            try:
                outcomes.append(("ok", custom_fields.data_clean("customer", dict(data), kind="company", creating=True, defs=defs, **kwargs)))
            except ValidationError as exc:
                outcomes.append(("error", exc.message_dict))
        assert outcomes[0] == outcomes[1], data
    assert memo  # it was used

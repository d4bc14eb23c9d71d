"""Custom fields in the desk (R-FLD): definitions under Einstellungen, the "Weitere Angaben" section, lists."""

from __future__ import annotations

import pytest

from fortycrm.models import Contact, Customer, CustomField, Location
from tests import factories
from tests.customers.test_desk import ADD_URL, form_data
from tests.fields.conftest import CONTRACT_CHOICES, define

pytestmark = pytest.mark.django_db

FIELD_ADD = "/desk/fortycrm/customfield/add/"


@pytest.fixture
def desk(client, admin_user):
    client.force_login(admin_user)
    return client


def definition_form(**overrides):
    data = {
        "object_type": "customer", "name": "vertragsart", "label": "Vertragsart", "label_en": "Contract type", "help_text": "",
        "type": "select", "choices_text": "standard = Standard\npremium = Premium\nrahmen = Rahmenvertrag", "default_text": "",
        "min_text": "", "max_text": "", "applies_to": "both", "position": "0",
    }
    data.update(overrides)
    return data


def test_admin_defines_a_choice_field_in_the_desk(desk):
    response = desk.post(FIELD_ADD, definition_form(list_filter="on", list_column="on"))
    assert response.status_code == 302, response.context["adminform"].form.errors
    field = CustomField.objects.get()
    assert field.choices == CONTRACT_CHOICES and field.list_filter and field.label_en == "Contract type"


def test_definition_form_shows_the_service_rules(desk, contract_type):
    response = desk.post(FIELD_ADD, definition_form())
    assert "bereits verwendet" in response.content.decode()
    response = desk.post(FIELD_ADD, definition_form(name="Vertrags Art"))
    assert "Kleinbuchstaben" in response.content.decode()
    response = desk.post(FIELD_ADD, definition_form(name="flaeche", type="integer", choices_text="", min_text="10", max_text="5"))
    assert "nicht kleiner als das Minimum" in response.content.decode()
    response = desk.post(FIELD_ADD, definition_form(name="start", type="date", choices_text="", default_text="31.02.2026"))
    assert "31.02.2026" in response.content.decode()
    assert CustomField.objects.count() == 1
    factories.company(custom_field_data={"vertragsart": "premium"})
    response = desk.post(f"/desk/fortycrm/customfield/{contract_type.pk}/change/", definition_form(choices_text="standard = Standard"))
    assert "kann nicht entfernt werden" in response.content.decode()


def test_settings_are_for_administration_only(client, office_user):
    client.force_login(office_user)
    assert client.get("/desk/fortycrm/customfield/").status_code == 403


def test_add_page_has_the_section_with_default_and_required(desk):
    define(name="flaeche", label="Fläche m²", type="integer", required=True, help_text="Reinigungsfläche")
    define(name="intervall", label="Intervall", type="select", default="woche",
           choices=[{"value": "woche", "label": "wöchentlich"}, {"value": "monat", "label": "monatlich"}])
    define(name="beginn", label="Vertragsbeginn", type="date")
    page = desk.get(ADD_URL).content.decode()
    assert "Weitere Angaben" in page and "Fläche m²" in page and "Reinigungsfläche" in page
    assert 'name="cf_flaeche"' in page and "required" in page.split('name="cf_flaeche"')[1].split(">")[0]
    assert '<option value="woche" selected>' in page


def test_office_user_fills_custom_fields_with_german_formats(client, office_user):
    client.force_login(office_user)
    define(name="flaeche", label="Fläche m²", type="integer", required=True, min_value=1)
    define(name="stundensatz", label="Stundensatz", type="decimal")
    define(name="beginn", label="Vertragsbeginn", type="date")
    define(name="schluessel", label="Schlüssel hinterlegt", type="boolean")
    define(name="leistungen", label="Leistungen", type="multiselect", choices=[{"value": "glas", "label": "Glas"}, {"value": "boden", "label": "Boden"}])
    response = client.post(ADD_URL, form_data(cf_flaeche="", cf_stundensatz="32,5", cf_beginn="31.03.2026"))
    assert response.status_code == 200 and not Customer.objects.exists()
    response = client.post(ADD_URL, form_data(cf_flaeche="0", cf_stundensatz="32,5", cf_beginn="31.03.2026"))
    assert "at least 1" in response.content.decode() or "mindestens 1" in response.content.decode()
    response = client.post(ADD_URL, form_data(cf_flaeche="120", cf_stundensatz="32,5", cf_beginn="31.03.2026", cf_schluessel="true",
                                              cf_leistungen=["boden", "glas"]))
    assert response.status_code == 302
    assert Customer.objects.get().custom_field_data == {
        "flaeche": 120, "stundensatz": "32.5", "beginn": "2026-03-31", "schluessel": True, "leistungen": ["glas", "boden"],
    }
    customer = Customer.objects.get()
    page = client.get(f"/desk/fortycrm/customer/{customer.pk}/change/").content.decode()
    assert 'value="32,5"' in page and 'value="31.03.2026"' in page


def test_list_column_filter_and_search(desk, contract_type):
    define(name="schluessel_ort", label="Schlüssel-Ort", type="text", searchable=True)
    factories.company(name="Alpha GmbH", custom_field_data={"vertragsart": "premium", "schluessel_ort": "beim Hausmeister"})
    factories.company(name="Beta GmbH", custom_field_data={"vertragsart": "standard"})
    page = desk.get("/desk/fortycrm/customer/").content.decode()
    assert "Vertragsart" in page and "Premium" in page
    page = desk.get("/desk/fortycrm/customer/", {"cf_vertragsart": "premium"}).content.decode()
    assert "Alpha GmbH" in page and "Beta GmbH" not in page
    page = desk.get("/desk/fortycrm/customer/", {"q": "Hausmeister"}).content.decode()
    assert "Alpha GmbH" in page and "Beta GmbH" not in page


def test_contact_and_location_forms_have_the_section(desk):
    define(name="pflegegrad", label="Pflegegrad", type="integer", object_type="contact")
    define(name="schluessel", label="Schlüssel hinterlegt", type="boolean", object_type="location")
    customer = factories.private()
    assert "Pflegegrad" in desk.get("/desk/fortycrm/contact/add/").content.decode()
    assert "Schlüssel hinterlegt" in desk.get("/desk/fortycrm/location/add/").content.decode()
    contact = Contact.objects.create(customer=customer, last_name="Schmidt")
    response = desk.post(f"/desk/fortycrm/contact/{contact.pk}/change/", {
        "customer": customer.pk, "last_name": "Schmidt", "priority": "1", "cf_pflegegrad": "3",
    })
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Contact.objects.get().custom_field_data == {"pflegegrad": 3}
    assert not Location.objects.exists()


def test_deleting_a_definition_says_how_many_records_hold_it(desk, contract_type):
    factories.company(custom_field_data={"vertragsart": "premium"})
    page = desk.get(f"/desk/fortycrm/customfield/{contract_type.pk}/delete/").content.decode()
    assert "1 record" in page or "1 Datens" in page
    desk.post(f"/desk/fortycrm/customfield/{contract_type.pk}/delete/", {"post": "yes"})
    assert not CustomField.objects.exists() and Customer.objects.get().custom_field_data == {}


def test_list_filters_for_yes_no_and_date_fields(desk):
    define(name="schluessel", label="Schlüssel hinterlegt", type="boolean", list_filter=True)
    define(name="beginn", label="Vertragsbeginn", type="date", list_filter=True)
    factories.company(name="Alt GmbH", custom_field_data={"schluessel": True, "beginn": "2020-01-01"})
    factories.company(name="Neu GmbH", custom_field_data={"schluessel": False, "beginn": "2999-01-01"})
    factories.company(name="Leer GmbH")

    def names(**params):
        page = desk.get("/desk/fortycrm/customer/", params).content.decode()
        return [n for n in ("Alt GmbH", "Neu GmbH", "Leer GmbH") if n in page]

    assert names(cf_schluessel="true") == ["Alt GmbH"]
    assert names(cf_schluessel="false") == ["Neu GmbH"]
    assert names(cf_beginn="past") == ["Alt GmbH"]
    assert names(cf_beginn="future") == ["Neu GmbH"]
    assert names(cf_beginn="empty") == ["Leer GmbH"]

"""The issue's scenario in a real browser (Debian chromium via Playwright), R-FLD.

An admin defines a choice field "Vertragsart" with three choices and a required integer
field "Fläche m²"; an office user fills them on a new customer, filters the list by
"Vertragsart" and sees the change in the history.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from fortycrm.models import Customer, CustomField

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _sign_in(page, live_server, username, password):
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/desk/login/?next=/desk/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/desk/")


def _define(page, live_server, *, name, label, type_, choices="", required=False, list_filter=False):
    page.goto(f"{live_server.url}/desk/fortycrm/customfield/add/")
    page.select_option("select[name=object_type]", "customer")
    page.fill("input[name=name]", name)
    page.fill("input[name=label]", label)
    page.select_option("select[name=type]", type_)
    if choices:
        page.fill("textarea[name=choices_text]", choices)
    if required:
        page.check("input[name=required]")
    if list_filter:
        page.check("input[name=list_filter]")
        page.check("input[name=list_column]")
    page.click("button[name=_save]")
    page.wait_for_url(f"{live_server.url}/desk/fortycrm/customfield/")


def test_admin_defines_fields_office_user_fills_filters_and_sees_history(page, live_server, django_user_model):
    from django.contrib.auth.models import Group

    from fortycrm.setup import ROLE_ADMIN, ROLE_OFFICE

    admin = django_user_model.objects.create_user("anna", password="pw-anna-12345", first_name="Anna")
    admin.groups.add(Group.objects.get(name=ROLE_ADMIN))
    office = django_user_model.objects.create_user("bea", password="pw-bea-12345", first_name="Bea")
    office.groups.add(Group.objects.get(name=ROLE_OFFICE))

    _sign_in(page, live_server, "anna", "pw-anna-12345")
    expect(page.locator('a[href="/desk/fortycrm/customfield/"]', has_text="Eigene Felder").first).to_be_attached()  # Einstellungen → Eigene Felder
    _define(page, live_server, name="vertragsart", label="Vertragsart", type_="select",
            choices="standard = Standard\npremium = Premium\nrahmen = Rahmenvertrag", list_filter=True)
    _define(page, live_server, name="flaeche", label="Fläche m²", type_="integer", required=True)
    assert CustomField.objects.count() == 2

    _sign_in(page, live_server, "bea", "pw-bea-12345")
    expect(page.locator('a[href="/desk/fortycrm/customfield/"]')).to_have_count(0)
    page.goto(f"{live_server.url}/desk/fortycrm/customer/add/")
    page.fill("input[name=name]", "Sonnenschein Hausverwaltung GmbH")
    page.locator("a", has_text="Weitere Angaben").first.click()
    flaeche = page.locator("input[name=cf_flaeche]")
    expect(flaeche).to_be_visible()
    assert flaeche.get_attribute("required") is not None
    page.select_option("select[name=cf_vertragsart]", label="Standard")
    flaeche.fill("1250")
    page.click("button[name=_continue]")
    page.wait_for_selector("text=wurde erfolgreich hinzugefügt")
    customer = Customer.objects.get()
    assert customer.custom_field_data == {"vertragsart": "standard", "flaeche": 1250}

    page.locator("a", has_text="Weitere Angaben").first.click()
    page.select_option("select[name=cf_vertragsart]", label="Premium")
    page.click("button[name=_continue]")
    page.wait_for_selector("text=erfolgreich geändert")

    # the list shows the column and filters by the choice field
    page.goto(f"{live_server.url}/desk/fortycrm/customer/?cf_vertragsart=premium")
    expect(page.locator("tr", has_text="Sonnenschein Hausverwaltung GmbH")).to_have_count(1)
    expect(page.locator("th", has_text="Vertragsart").first).to_be_visible()
    page.goto(f"{live_server.url}/desk/fortycrm/customer/?cf_vertragsart=rahmen")
    expect(page.locator("tr", has_text="Sonnenschein Hausverwaltung GmbH")).to_have_count(0)

    # the history names the field with old and new value
    page.goto(f"{live_server.url}/desk/fortycrm/customer/{customer.pk}/change/")
    history = page.locator("text=Standard → Premium")  # in the record's history tab
    expect(history).to_be_attached()
    expect(page.locator("text=Vertragsart").first).to_be_attached()

"""Issue 12 items 3, 5 and 11 in a real browser (Debian chromium via Playwright)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """The hash speed plays no part here: a fast hasher keeps these tests quick (sign-ins included)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_staff_screen_invites_a_buero_user_who_signs_in_and_works_at_once(desk_page, live_server, django_user_model):
    page = desk_page
    page.goto(f"{live_server.url}/desk/fortycrm/staffmember/add/")
    expect(page.locator("body")).not_to_contain_text("Mitarbeiter-Status")
    page.fill("#id_first_name", "Bea")
    page.fill("#id_last_name", "Büro")
    page.fill("#id_email", "bea@example.com")
    page.fill("#id_username", "b.buero")
    page.get_by_label("Büro", exact=True).check()
    page.get_by_label("Einladungslink: Die Person wählt ihr Passwort selbst").check()
    page.click("button[name=_save]")
    link = page.locator("code").filter(has_text="/invitation/").first.inner_text().strip()
    expect(page.locator("#result_list")).to_contain_text("Bea Büro")

    page.context.clear_cookies()  # the new colleague opens the link on her own computer
    page.goto(link)
    page.fill("#id_new_password1", "Treppenhaus-2026")
    page.fill("#id_new_password2", "Treppenhaus-2026")
    page.get_by_role("button", name="Passwort speichern und anmelden").click()
    page.wait_for_url(f"{live_server.url}/desk/")
    page.goto(f"{live_server.url}/desk/fortycrm/customer/add/")
    page.select_option("#id_kind", "company")
    page.fill("#id_name", "Erster Auftrag GmbH")
    page.click("button[name=_save]")
    expect(page.locator("#result_list")).to_contain_text("Erster Auftrag GmbH")
    assert django_user_model.objects.get(username="b.buero").check_password("Treppenhaus-2026")


def test_forms_know_the_rules_unit_birthday_and_locations(desk_page, live_server):
    from fortycrm.models import Location
    from fortycrm.services.locations import location_save
    from tests import factories

    page = desk_page
    nord = factories.company("Nord GmbH")
    location_save(location=Location(customer=nord, name="Objekt Nord", city="Hamburg"))
    location_save(location=Location(customer=factories.company("Süd GmbH"), name="Objekt Süd", city="München"))

    page.goto(f"{live_server.url}/desk/fortycrm/meter/add/")
    page.select_option("#id_kind", "gas")
    expect(page.locator("#id_unit")).to_have_value("m³")
    page.select_option("#id_kind", "heat")
    expect(page.locator("#id_unit")).to_have_value("kWh")
    page.fill("#id_unit", "MWh")  # still editable, and kept when the kind changes
    page.select_option("#id_kind", "electricity")
    expect(page.locator("#id_unit")).to_have_value("MWh")

    page.goto(f"{live_server.url}/desk/fortycrm/customer/add/")
    page.select_option("#id_kind", "private")
    page.get_by_role("link", name="Ansprechpartner", exact=True).first.click()  # the tab's rows load when it opens
    page.locator("#contacts-group a.add-row").dispatch_event("click")  # a new contact row
    birthday = page.locator('input[name="contacts-0-birthday"]')
    hidden = "el => (el.closest('.field-birthday') || el.parentElement).style.display === 'none'"
    assert birthday.evaluate(hidden) is False
    page.get_by_role("link", name="Allgemein", exact=True).first.click()
    page.select_option("#id_kind", "company")
    assert birthday.evaluate(hidden) is True

    # the standalone contact form: the birthday goes when a company customer is chosen in it
    factories.private("Privat-Schulz")
    page.goto(f"{live_server.url}/desk/fortycrm/contact/add/")
    contact_birthday = page.locator('input[name="birthday"]')
    assert contact_birthday.evaluate(hidden) is False
    page.locator(".field-customer .select2-selection").click()
    page.locator(".select2-search__field").fill("Nord")
    page.locator(".select2-results__option", has_text="Nord GmbH").click()
    expect(contact_birthday).to_be_hidden()
    page.locator(".field-customer .select2-selection").click()
    page.locator(".select2-search__field").fill("Schulz")
    page.locator(".select2-results__option", has_text="Schulz").click()
    expect(contact_birthday).to_be_visible()

    page.goto(f"{live_server.url}/desk/fortycrm/order/add/")
    page.locator(".field-customer .select2-selection").click()
    page.locator(".select2-search__field").fill("Nord")
    page.locator(".select2-results__option", has_text="Nord GmbH").click()
    page.locator(".field-location .select2-selection").click()
    expect(page.locator(".select2-results__option", has_text="Objekt Nord")).to_be_visible()
    expect(page.locator(".select2-results__option", has_text="Objekt Süd")).to_have_count(0)


def test_customer_with_issued_invoice_is_not_deleted_but_becomes_former_customer(desk_page, live_server):
    from fortycrm.models import Customer, Invoice
    from fortycrm.services import billing
    from tests import factories
    from tests.billing.conftest import draft_with_lines

    page = desk_page
    customer = factories.company("Alte Kunde GmbH")
    billing.invoice_issue(invoice=draft_with_lines(customer, [{"description": "Reinigung", "quantity": Decimal("1"), "unit_price": Decimal("80")}]))
    page.goto(f"{live_server.url}/desk/fortycrm/customer/{customer.pk}/delete/")
    expect(page.locator("#fortycrm-delete-refused")).to_contain_text("GoBD")
    page.locator("#fortycrm-set-former").click()
    expect(page.locator("#result_list")).to_contain_text("ehemaliger Kunde")
    customer.refresh_from_db()
    assert customer.status.name == "ehemaliger Kunde" and Invoice.objects.filter(customer=customer).count() == 1
    assert Customer.objects.filter(pk=customer.pk).exists()

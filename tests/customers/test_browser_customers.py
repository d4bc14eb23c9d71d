"""The customer desk in a real browser (Debian chromium via Playwright)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from fortycrm.models import Customer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_create_private_customer_make_it_kunde_and_find_it_by_tag(desk_page, live_server):
    page = desk_page
    page.goto(f"{live_server.url}/desk/fortycrm/customer/add/")
    assert page.locator("h1, header").first.is_visible()
    page.select_option("select[name=kind]", "private")
    # private fields appear, the company name disappears
    expect(page.locator("input[name=first_name]")).to_be_visible()
    expect(page.locator("input[name=name]")).to_be_hidden()
    # a prospect shows no customer number
    expect(page.locator("input[name=number]")).to_be_hidden()
    page.select_option("select[name=salutation]", "ms")
    page.fill("input[name=title]", "Dr.")
    page.fill("input[name=first_name]", "Erika")
    page.fill("input[name=last_name]", "Mustermann")
    page.fill("input[name=tag_names]", "Weihnachtskarte, Pflegegrad 2")
    page.click("button[name=_continue]")
    page.wait_for_selector("text=wurde erfolgreich hinzugefügt")
    customer = Customer.objects.get()
    assert customer.number is None and customer.status.name == "Interessent"

    # switch to "Kunde": the suggested number shows up
    page.select_option("select[name=status]", label="Kunde")
    number = page.locator("input[name=number]")
    expect(number).to_be_visible()
    expect(number).to_have_value("10000")
    page.click("button[name=_save]")
    page.wait_for_url(f"{live_server.url}/desk/fortycrm/customer/")
    customer.refresh_from_db()
    assert customer.number == 10000 and customer.status.name == "Kunde"

    # the list shows the tag; a click filters by it
    row = page.locator("tr", has_text="Dr. Erika Mustermann")
    expect(row.locator("td", has_text="10000")).to_have_count(1)
    row.locator("a.fortycrm-tag", has_text="Weihnachtskarte").click()
    page.wait_for_url("**/customer/?tags__id__exact=*")
    expect(page.locator("tr", has_text="Dr. Erika Mustermann")).to_have_count(1)


def test_duplicate_number_error_is_shown_next_to_the_field(desk_page, live_server):
    from tests import factories

    factories.company(name="Sauber AG", status="Kunde", number=10000)
    page = desk_page
    page.goto(f"{live_server.url}/desk/fortycrm/customer/add/")
    page.fill("input[name=name]", "Zweite GmbH")
    page.select_option("select[name=status]", label="Kunde")
    page.fill("input[name=number]", "10000")
    page.click("button[name=_save]")
    expect(page.locator(".errorlist, .text-red-600", has_text="Sauber AG").first).to_be_visible()
    assert Customer.objects.count() == 1

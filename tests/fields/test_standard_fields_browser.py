"""Standard field rules in a real browser (R-FLD-8): a hidden field is gone, a required one is marked."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from fortycrm.models import StandardFieldRule
from fortycrm.services.custom_fields import standardfield_rule_save

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_hidden_field_is_gone_and_required_one_marked(desk_page, live_server):
    for field, behaviour, applies_to in (("phone", "hidden", "both"), ("city", "required", "both"), ("website", "hidden", "company")):
        standardfield_rule_save(rule=StandardFieldRule(object_type="customer", field=field, behaviour=behaviour, applies_to=applies_to))
    page = desk_page
    page.goto(f"{live_server.url}/desk/fortycrm/customer/add/")
    page.locator("a", has_text="Adresse").first.click()
    expect(page.locator("input[name=mobile]")).to_be_visible()
    expect(page.locator("input[name=phone]")).to_have_count(0)  # hidden for every customer: not in the form at all
    assert page.locator("input[name=city]").get_attribute("required") is not None  # required: marked
    website = page.locator("input[name=website]")
    expect(website).to_be_hidden()  # hidden for company customers (the default kind) …
    page.locator("a", has_text="Stammdaten").first.click()
    page.select_option("select[name=kind]", "private")
    page.locator("a", has_text="Adresse").first.click()
    expect(website).to_be_visible()  # … shown for private customers

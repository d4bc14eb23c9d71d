"""Issue 10 in a real browser: a Pflegekasse with IK, assigned to a private customer with a
monthly budget (accrued/remaining on the record), and one customer's own payment terms."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def save_and_continue(page):
    page.click("button[name=_continue]")
    page.wait_for_load_state("domcontentloaded")


def test_care_insurer_budget_and_own_payment_terms(desk_page, live_server):
    from fortycrm.models import CostBearer, CustomerCostBearer
    from fortycrm.selectors import customer_effective_settings

    page = desk_page
    page.set_default_timeout(15000)
    customer = factories.private("Berger", "Hanna")

    # a Pflegekasse with its IK, through the menu "Kostenträger"
    page.locator("a[href='/desk/fortycrm/costbearer/']", has_text="Kostenträger").first.click()
    page.wait_for_url("**/desk/fortycrm/costbearer/**")
    page.goto(f"{live_server.url}/desk/fortycrm/costbearer/add/")
    page.fill("#id_name", "AOK Pflegekasse Nordost")
    page.select_option("#id_kind", "care_insurer")
    page.fill("#id_ik", "260326821")  # wrong check digit first
    save_and_continue(page)
    assert page.get_by_text("falsche Prüfziffer").first.is_visible()
    page.fill("#id_ik", "260326822")
    save_and_continue(page)
    assert CostBearer.objects.get().ik == "260326822"

    # assign it to the customer with the monthly relief amount, from the first of the month two months ago
    today = timezone.localdate()
    previous = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    start = (previous - dt.timedelta(days=1)).replace(day=1)  # three months accrued: 3 × 131 €
    page.goto(f"{live_server.url}/desk/fortycrm/customer/{customer.pk}/change/")
    page.get_by_role("link", name="Kostenträger", exact=True).last.click()
    page.locator("#cost_bearer_links-group a.add-row").click()
    page.select_option("#id_cost_bearer_links-0-cost_bearer", label="AOK Pflegekasse Nordost")
    page.fill("#id_cost_bearer_links-0-insurance_number", "A123456780")
    page.fill("#id_cost_bearer_links-0-monthly_budget", "131.00")
    page.fill("#id_cost_bearer_links-0-valid_from", start.strftime("%d.%m.%Y"))
    save_and_continue(page)
    assert CustomerCostBearer.objects.get(customer=customer).monthly_budget == 131
    page.get_by_role("link", name="Kostenträger", exact=True).last.click()
    budget = page.locator(".fortycrm-budget").first
    expect(budget).to_be_visible()  # the tab's rows load when it opens
    assert "angespart: 393,00 €" in budget.inner_text()
    assert "verbleibend: 393,00 €" in budget.inner_text()

    # override the payment terms for this customer and see the effective value and its source
    page.get_by_role("link", name="Einstellungen", exact=True).last.click()
    row = page.locator('tr[data-setting="payment_days"]')
    assert "14" in row.inner_text() and "Vorgabe" in row.inner_text()
    page.fill("#id_own_settings-0-payment_days", "30")
    save_and_continue(page)
    assert customer_effective_settings(customer).payment_days == 30
    page.get_by_role("link", name="Einstellungen", exact=True).last.click()
    row = page.locator('tr[data-setting="payment_days"]')
    assert "30" in row.inner_text() and "eigener Wert des Kunden" in row.inner_text()

"""The desk in a real browser: one cause in many rows is listed once; the red cell tells its problem on hover."""

import pytest
from playwright.sync_api import expect

from tests.imports.conftest import fixture_path


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_grouped_problems_and_the_problem_on_hover(live_server, desk_page):
    page = desk_page
    page.goto(f"{live_server.url}/desk/fortycrm/importlog/add/")
    page.select_option("select[name=template]", "company_customers")
    page.set_input_files("input[name=file]", str(fixture_path("unknown_account_manager.csv")))
    page.get_by_role("button", name="Datei prüfen (Vorschau)").click()

    causes = page.locator("#fortycrm-import-groups .fortycrm-import-group")
    expect(causes).to_have_count(2)  # "bernd" and "olga" are both unknown on this site: two lines, not 40
    expect(causes.filter(has_text="„bernd“")).to_contain_text("10 Zeilen: 2, 6, 10, 14, 18, 22, 26, 30, 34, 38")
    expect(causes.filter(has_text="„olga“")).to_contain_text("30 Zeilen: 3, 4, 5, 7, 8, 9, 11, 12, 13, 15, …")
    expect(causes.first.locator(".fortycrm-import-group-hint")).to_contain_text("Benutzergruppe")

    cell = page.locator("tr[data-row='2'] td.fortycrm-cell-bad").first
    tip = cell.locator(".fortycrm-cell-problem")
    expect(tip).to_be_hidden()
    cell.hover()
    expect(tip).to_be_visible()
    expect(tip).to_contain_text("bernd")

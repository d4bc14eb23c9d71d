"""The desk in a real browser: two bad rows → both hints → fix → preview → commit → customer list."""

import pytest
from playwright.sync_api import expect

from tests.imports.conftest import fixture_path


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_upload_two_bad_rows_fix_preview_commit(live_server, desk_page):
    page = desk_page

    # the settings area of the sidebar links to the import log; its "add" is the upload
    expect(page.locator("a[href='/desk/fortycrm/importlog/']").first).to_contain_text("Datenimport")
    page.goto(f"{live_server.url}/desk/fortycrm/importlog/")
    page.goto(f"{live_server.url}/desk/fortycrm/importlog/add/")
    expect(page.get_by_text("1. Vorlage herunterladen")).to_be_visible()

    page.select_option("select[name=template]", "company_customers")
    page.set_input_files("input[name=file]", str(fixture_path("desk_two_bad_rows.csv")))
    page.get_by_role("button", name="Datei prüfen (Vorschau)").click()

    expect(page.get_by_text("2 Probleme gefunden")).to_be_visible()
    bad_status = page.locator("tr[data-row='3'] .fortycrm-row-hints")
    expect(bad_status).to_contain_text("Stammkunde")
    expect(bad_status).to_contain_text("Status")
    bad_date = page.locator("tr[data-row='4'] .fortycrm-row-hints")
    expect(bad_date).to_contain_text("32.04.2023")
    expect(bad_date).to_contain_text("31.12.2026")
    expect(page.locator("tr[data-row='2'] .fortycrm-row-hints")).to_contain_text("✓")
    expect(page.get_by_role("button", name="Jetzt importieren")).to_have_count(0)

    # fix the file, upload again: preview without problems, then commit
    page.get_by_role("link", name="(Korrigierte) Datei hochladen").click()
    page.set_input_files("input[name=file]", str(fixture_path("desk_two_bad_rows_fixed.csv")))
    page.get_by_role("button", name="Datei prüfen (Vorschau)").click()
    expect(page.get_by_text("Vorschau ohne Probleme.")).to_be_visible()
    expect(page.get_by_text("3 würden angelegt")).to_be_visible()
    page.get_by_role("button", name="Jetzt importieren").click()
    expect(page.get_by_text("Importiert.")).to_be_visible()

    page.get_by_role("link", name="Kunden anzeigen").click()
    for name in ("Nordlicht Reinigung GmbH", "Südwind Service GmbH", "Westwerk Hausmeister GmbH"):
        expect(page.get_by_text(name).first).to_be_visible()

"""Issue 8, item 18: the Content Security Policy is on and the desk, the import pages and
Swagger UI work under it (no violation reported by the browser, pages do their job)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.imports.conftest import fixture_path


def _watch_csp(page) -> list[str]:
    """Collect every CSP violation the page reports (console and securitypolicyviolation)."""
    problems: list[str] = []

    def on_console(message) -> None:
        text = message.text
        if "Content Security Policy" in text or "Refused to" in text:
            problems.append(f"{page.url}: {text}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(f"{page.url}: page error {error}"))
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e => "
        "console.error('Content Security Policy violation: ' + e.violatedDirective + ' ' + e.blockedURI));"
    )
    return problems


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_desk_import_and_swagger_work_under_the_csp(live_server, page, django_user_model):
    from fortycrm.models import ImportLog

    problems = _watch_csp(page)
    user = django_user_model.objects.create_superuser("chefin", "chefin@example.com", "pw-chefin-12345")

    # the login page itself
    response = page.goto(f"{live_server.url}/desk/login/?next=/desk/")
    policy = response.headers["content-security-policy"]
    # the nonce is added on pages that use it (the running import)
    assert "script-src 'self' 'unsafe-eval'" in policy
    assert "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in policy
    page.fill("#id_username", "chefin")
    page.fill("#id_password", "pw-chefin-12345")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/desk/")

    # desk: list, record with tabs (Alpine.js), sidebar search
    page.goto(f"{live_server.url}/desk/fortycrm/customer/")
    expect(page.locator("#changelist-form, #result_list, .changelist").first).to_be_attached()
    page.goto(f"{live_server.url}/desk/fortycrm/customer/add/")
    page.fill("input[name=name]", "CSP Reinigung GmbH")
    page.select_option("select[name=status]", label="Kunde")
    expect(page.locator("input[name=number]")).to_have_value("10000")  # the desk's own script
    page.click("button[name=_save]")
    page.wait_for_url(f"{live_server.url}/desk/fortycrm/customer/")
    expect(page.locator("tr", has_text="CSP Reinigung GmbH")).to_have_count(1)

    # import: upload and preview
    page.goto(f"{live_server.url}/desk/fortycrm/importlog/add/")
    page.select_option("select[name=template]", "company_customers")
    page.set_input_files("input[name=file]", str(fixture_path("desk_two_bad_rows_fixed.csv")))
    page.get_by_role("button", name="Datei prüfen (Vorschau)").click()
    expect(page.get_by_text("Vorschau ohne Probleme.")).to_be_visible()

    # a running import: the progress script (with the page's nonce) polls and reloads
    log = ImportLog.objects.create(template="company_customers", file_name="gross.csv", state=ImportLog.State.RUNNING, total_rows=10, user=user)
    page.goto(f"{live_server.url}/desk/fortycrm/importlog/{log.pk}/change/")
    with page.expect_response(lambda r: f"/importlog/{log.pk}/progress/" in r.url):
        pass
    ImportLog.objects.filter(pk=log.pk).update(state=ImportLog.State.DONE, processed_rows=10)
    page.wait_for_load_state()

    # Swagger UI renders the operations from the schema
    page.goto(f"{live_server.url}/api/v1/docs/")
    expect(page.locator(".opblock").first).to_be_visible(timeout=15000)
    expect(page.get_by_text("/api/v1/customers/").first).to_be_visible()

    assert problems == []

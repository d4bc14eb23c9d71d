"""The billing flow in a real browser: run a month with preview, commit, issue, PDF, revenue by account manager."""

from __future__ import annotations

import datetime as dt

import pytest

from tests import factories
from tests.billing.conftest import make_order

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_billing_run_issue_pdf_and_revenue(desk_page, live_server, django_user_model):
    from django.contrib.auth.models import Group

    from fortycrm.models import Invoice
    from fortycrm.services.customers import customer_update

    page = desk_page
    page.set_default_timeout(20000)
    manager = django_user_model.objects.create_user("betreuerin", first_name="Bea", last_name="Betreuerin", is_staff=True)
    manager.groups.add(Group.objects.first())
    mine = factories.company("Hausverwaltung Nord GmbH")
    customer_update(customer=mine, account_manager=manager)
    other = factories.company("Andere Verwaltung AG")
    make_order(mine, "Unterhaltsreinigung", price="250.00", start=dt.date(2026, 1, 1))
    make_order(other, "Glasreinigung", price="99.00", start=dt.date(2026, 1, 1))

    # invoices → "Abrechnungslauf": preview, then create the drafts
    page.goto(f"{live_server.url}/desk/fortycrm/invoice/")
    page.click("#billing-run-link")
    page.fill("#id_month", "2026-01")
    page.click("#billing-run-preview")
    preview = page.locator("#billing-run-preview-result")
    assert "2 Rechnungen würden angelegt" in preview.inner_text()
    assert "Unterhaltsreinigung" in preview.inner_text() and "415,31" in preview.inner_text()  # gross of 349.00
    assert Invoice.objects.count() == 0
    page.click("#billing-run-commit")
    page.wait_for_url("**/desk/fortycrm/invoice/**")
    assert Invoice.objects.filter(is_draft=True).count() == 2

    # issue one invoice and download its PDF
    invoice = Invoice.objects.get(customer=mine)
    page.goto(f"{live_server.url}/desk/fortycrm/invoice/{invoice.pk}/change/")
    page.click("#issue-invoice")
    page.wait_for_selector("#download-pdf")
    invoice.refresh_from_db()
    assert invoice.number is not None and page.get_by_text(f"Rechnung {invoice.number} gestellt").is_visible()
    with page.expect_download() as download:
        page.click("#download-pdf")
    assert download.value.suggested_filename == f"Rechnung-{invoice.number}.pdf"

    # the revenue list filtered by account manager
    page.goto(f"{live_server.url}/desk/fortycrm/invoice/")
    page.click("#revenue-link")
    page.select_option("#id_account_manager", str(manager.pk))
    page.click("#revenue-filter")
    page.wait_for_url("**account_manager=**")
    table = page.locator("#revenue-table").inner_text()
    assert "Hausverwaltung Nord GmbH" in table and "250,00" in table and "Andere Verwaltung" not in table

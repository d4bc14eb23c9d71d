"""Desk: billing run page, issue/cancel/PDF buttons, immutability, revenue list, customer delete protection."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from fortycrm.models import Customer, Invoice
from fortycrm.services import billing
from tests.billing.conftest import draft_with_lines, make_order

pytestmark = pytest.mark.django_db
LINE = {"description": "Reinigung", "quantity": Decimal("1"), "unit_price": Decimal("80.00")}


@pytest.fixture
def desk(client, django_user_model):
    user = django_user_model.objects.create_superuser("chefin", "chefin@example.com", "pw-chefin-123")
    client.force_login(user)
    return client


def test_billing_run_preview_and_commit(desk, customer):
    make_order(customer, "Unterhaltsreinigung", start=dt.date(2026, 1, 1))
    url = reverse("admin:fortycrm_invoice_billing_run")
    assert desk.get(url).status_code == 200
    preview = desk.post(url, {"month": "2026-02", "preview": "1"})
    assert preview.status_code == 200 and "Unterhaltsreinigung" in preview.content.decode()
    assert not Invoice.objects.exists()
    done = desk.post(url, {"month": "2026-02", "commit": "1"})
    assert done.status_code == 302 and Invoice.objects.count() == 1
    bad = desk.post(url, {"month": "2026-2", "preview": "1"})
    assert bad.status_code == 200 and "JJJJ-MM" in bad.content.decode()


def test_issue_pdf_cancel_in_desk_and_issued_is_read_only(desk, customer):
    draft = draft_with_lines(customer, [LINE])
    change = reverse("admin:fortycrm_invoice_change", args=[draft.pk])
    assert "issue-invoice" in desk.get(change).content.decode()
    desk.post(reverse("admin:fortycrm_invoice_issue", args=[draft.pk]))
    draft.refresh_from_db()
    assert draft.number is not None
    page = desk.get(change).content.decode()
    assert "download-pdf" in page and "issue-invoice" not in page
    # no edit, no delete
    assert desk.post(change, {"customer": customer.pk, "date": "01.01.2020"}).status_code == 403
    assert desk.post(reverse("admin:fortycrm_invoice_delete", args=[draft.pk]), {"post": "yes"}).status_code == 403
    desk.post(reverse("admin:fortycrm_invoice_changelist"), {"action": "delete_selected", "_selected_action": [draft.pk], "post": "yes"})
    assert Invoice.objects.filter(pk=draft.pk).exists()
    pdf = desk.get(reverse("admin:fortycrm_invoice_pdf", args=[draft.pk]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    desk.post(reverse("admin:fortycrm_invoice_cancel", args=[draft.pk]))
    copy = Invoice.objects.get(cancels=draft)
    assert copy.total == Decimal("-80.00")
    response = desk.post(reverse("admin:fortycrm_invoice_cancel", args=[copy.pk]), follow=True)
    assert "Stornorechnung" in response.content.decode()
    assert Invoice.objects.count() == 2


def test_issue_without_lines_shows_message(desk, customer):
    draft = draft_with_lines(customer, [])
    response = desk.post(reverse("admin:fortycrm_invoice_issue", args=[draft.pk]), follow=True)
    assert "ohne Positionen" in response.content.decode()
    draft.refresh_from_db()
    assert draft.is_draft


def test_customer_with_issued_invoice_not_deleted_in_desk(desk, customer):
    billing.invoice_issue(invoice=draft_with_lines(customer, [LINE]))
    response = desk.post(reverse("admin:fortycrm_customer_delete", args=[customer.pk]), {"post": "yes"}, follow=True)
    assert "ehemaliger Kunde" in response.content.decode()
    desk.post(reverse("admin:fortycrm_customer_changelist"), {"action": "delete_selected", "_selected_action": [customer.pk], "post": "yes"})
    assert Customer.objects.filter(pk=customer.pk).exists()


def test_revenue_page_and_csv(desk, customer):
    billing.invoice_issue(invoice=draft_with_lines(customer, [LINE]), today=dt.date(2026, 2, 3))
    url = reverse("admin:fortycrm_invoice_revenue")
    page = desk.get(url, {"month_from": "2026-02", "month_to": "2026-02"})
    assert page.status_code == 200 and "Hausverwaltung Nord GmbH" in page.content.decode() and "80,00" in page.content.decode()
    csv = desk.get(url, {"month_from": "2026-02", "export": "csv"})
    assert "80,00" in csv.content.decode()
    xlsx = desk.get(url, {"month_from": "2026-02", "export": "xlsx"})
    assert xlsx.content[:2] == b"PK"
    bad = desk.get(url, {"month_from": "Feb"})
    assert bad.status_code == 200 and "JJJJ-MM" in bad.content.decode()


def test_large_run_becomes_a_job_with_progress(desk, customer, settings):
    """With Redis (jobs async) a run over the threshold is queued; here the queue runs it right away."""
    from fortycrm import jobs
    from fortycrm.models import BillingRunLog

    settings.FORTYCRM_JOBS_ASYNC = True
    settings.FORTYCRM_BILLING_JOB_THRESHOLD = 1
    calls = []
    real_enqueue = jobs.enqueue
    jobs.enqueue = lambda func, *args: calls.append((func, args)) or func(*args)
    try:
        make_order(customer, "A", start=dt.date(2026, 1, 1))
        make_order(customer, "B", start=dt.date(2026, 1, 1))
        response = desk.post(reverse("admin:fortycrm_invoice_billing_run"), {"month": "2026-02", "commit": "1"})
    finally:
        jobs.enqueue = real_enqueue
    log = BillingRunLog.objects.get()
    assert calls and calls[0][0] is jobs.billing_run_job
    assert response.status_code == 302 and response["Location"].endswith(f"/billing-run/{log.pk}/")
    assert log.state == BillingRunLog.State.DONE and log.created == 2 and Invoice.objects.count() == 2
    progress = desk.get(reverse("admin:fortycrm_invoice_billing_run_progress", args=[log.pk])).json()
    assert progress["state"] == "done" and progress["percent"] == 100
    assert "2 von 2" in desk.get(response["Location"]).content.decode()


def test_failed_job_is_recorded(customer):
    from fortycrm import jobs
    from fortycrm.models import BillingRunLog

    make_order(customer, "Gratis", price="0", start=dt.date(2026, 1, 1))
    log = BillingRunLog.objects.create(month="2026-02")
    jobs.billing_run_job(log.pk)
    log.refresh_from_db()
    assert log.state == BillingRunLog.State.FAILED and "Gratis" in log.message and not Invoice.objects.exists()

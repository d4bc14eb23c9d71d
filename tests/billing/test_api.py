"""API contract of billing: billing runs, issue, cancel, 409 on issued invoices, PDF, revenue."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from fortycrm.models import Invoice
from fortycrm.services import billing
from tests.api.conftest import client_for, make_key
from tests.billing.conftest import draft_with_lines, make_order

pytestmark = pytest.mark.django_db
API = "/api/v1"
LINE = {"description": "Reinigung", "quantity": Decimal("2"), "unit_price": Decimal("50.00")}


@pytest.fixture
def write_api(db):
    return client_for(make_key("write"))


@pytest.fixture
def read_api(db):
    return client_for(make_key("read"))


def test_billing_run_dry_run_then_commit(write_api, customer):
    make_order(customer, "A", start=dt.date(2026, 1, 1))
    preview = write_api.post(f"{API}/billing-runs/", {"month": "2026-02", "dry_run": True}, format="json")
    assert preview.status_code == 200, preview.content
    assert preview.json()["invoice_count"] == 1 and preview.json()["gross_total"] == "119.00"
    assert not Invoice.objects.exists()
    done = write_api.post(f"{API}/billing-runs/", {"month": "2026-02"}, format="json")
    assert done.status_code == 201 and len(done.json()["created_ids"]) == 1
    again = write_api.post(f"{API}/billing-runs/", {"month": "2026-02"}, format="json")
    assert again.status_code == 201 and again.json()["created_ids"] == [] and again.json()["already_billed"] == 1


@pytest.mark.parametrize(("month", "text"), [("2026-13", "YYYY-MM"), ("Dezember", "YYYY-MM"), ("2999-01", "future")])
def test_billing_run_bad_month(write_api, month, text):
    response = write_api.post(f"{API}/billing-runs/", {"month": month}, format="json")
    assert response.status_code == 400 and text in response.json()["month"][0]


def test_billing_run_needs_write_key(read_api):
    assert read_api.post(f"{API}/billing-runs/", {"month": "2026-01"}, format="json").status_code == 403


def test_issue_cancel_and_409_on_issued(write_api, customer):
    draft = draft_with_lines(customer, [LINE])
    url = f"{API}/invoices/{draft.pk}/"
    assert write_api.patch(url, {"date": "2026-02-01"}, format="json").status_code == 200  # drafts are editable
    issued = write_api.post(f"{url}issue/")
    assert issued.status_code == 200, issued.content
    data = issued.json()
    assert data["number"] == 1 and data["is_draft"] is False and data["issued_at"] and data["due_date"]
    assert data["gross_total"] == "119.00" and data["lines"][0]["vat_rate"] == "19.0"
    patched = write_api.patch(url, {"date": "2020-01-01"}, format="json")
    assert patched.status_code == 409 and "issued" in str(patched.json())
    assert write_api.patch(url, {"date": "kein Datum"}, format="json").status_code == 409
    assert write_api.delete(url).status_code == 409
    assert write_api.post(f"{url}issue/").status_code == 409
    assert Invoice.objects.get(pk=draft.pk).date != dt.date(2020, 1, 1)
    cancel = write_api.post(f"{url}cancel/")
    assert cancel.status_code == 201 and cancel.json()["cancels"] == draft.pk and cancel.json()["total"] == "-100.00"
    twice = write_api.post(f"{API}/invoices/{cancel.json()['id']}/cancel/")
    assert twice.status_code == 400 and "cancellation invoice" in str(twice.json())


def test_issue_without_lines_400(write_api, customer):
    draft = draft_with_lines(customer, [])
    response = write_api.post(f"{API}/invoices/{draft.pk}/issue/")
    assert response.status_code == 400 and "without lines" in response.json()["lines"][0]


def test_vat_rate_not_in_list_400(write_api, customer):
    body = {"customer": customer.pk, "date": "2026-01-05", "lines": [{**{k: str(v) for k, v in LINE.items()}, "vat_rate": "16"}]}
    response = write_api.post(f"{API}/invoices/", body, format="json")
    assert response.status_code == 400 and "16" in str(response.json())
    assert not Invoice.objects.exists()


def test_customer_with_issued_invoice_delete_409(write_api, customer):
    billing.invoice_issue(invoice=draft_with_lines(customer, [LINE]))
    response = write_api.delete(f"{API}/customers/{customer.pk}/")
    assert response.status_code == 409 and "ehemaliger Kunde" in str(response.json())


def test_pdf_download(read_api, customer):
    draft = draft_with_lines(customer, [LINE])
    assert read_api.get(f"{API}/invoices/{draft.pk}/pdf/").status_code == 409
    billing.invoice_issue(invoice=draft)
    response = read_api.get(f"{API}/invoices/{draft.pk}/pdf/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_revenue_filtered_by_account_manager(read_api, customer, django_user_model):
    from django.contrib.auth.models import Group

    from fortycrm.services.customers import customer_update
    from tests import factories

    manager = django_user_model.objects.create_user("betreuer", is_staff=True)
    manager.groups.add(Group.objects.first())
    customer_update(customer=customer, account_manager=manager)
    other = factories.company("Andere GmbH")
    for who, price in ((customer, "100.00"), (other, "40.00")):
        billing.invoice_issue(invoice=draft_with_lines(who, [{**LINE, "quantity": Decimal("1"), "unit_price": Decimal(price)}]),
                              today=dt.date(2026, 2, 10))
    draft_with_lines(customer, [LINE])  # drafts are no revenue
    month = "2026-02"
    everything = read_api.get(f"{API}/revenue/", {"month": month}).json()
    assert everything["total"] == "140.00" and everything["count"] == 2
    mine = read_api.get(f"{API}/revenue/", {"month": month, "account_manager": manager.pk}).json()
    assert mine["total"] == "100.00" and mine["results"][0]["customer"] == customer.pk and mine["results"][0]["month"] == month
    assert read_api.get(f"{API}/revenue/", {"month": "2026-03"}).json()["total"] == "0.00"
    csv = read_api.get(f"{API}/revenue/", {"month": month, "export": "csv"})
    assert csv.status_code == 200 and "100,00" in csv.content.decode()


@pytest.mark.parametrize(("params", "field"), [({"month": "02/2026"}, "month"), ({"account_manager": "x"}, "account_manager"),
                                               ({"from": "2026-05", "to": "2026-01"}, "to")])
def test_revenue_bad_input(read_api, params, field):
    response = read_api.get(f"{API}/revenue/", params)
    assert response.status_code == 400 and field in response.json()

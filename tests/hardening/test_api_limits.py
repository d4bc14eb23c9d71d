"""Issue 8 items 5 (API key guessing), 7 (deep JSON) and 12 (invoice lines, body size)."""

from __future__ import annotations

import datetime as dt
import json
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fortycrm.api.parsers import MAX_JSON_DEPTH, json_depth_exceeds
from fortycrm.models import Customer, Invoice, InvoiceLine
from fortycrm.services import billing
from tests import factories
from tests.api.conftest import client_for, make_key

pytestmark = pytest.mark.django_db
API = "/api/v1"


# --- item 5: API key guessing ---------------------------------------------------------------


def test_guessing_api_keys_gets_429_with_retry_after_and_valid_keys_are_not_slowed(settings):
    settings.FORTYCRM_API_KEY_FAILURES_PER_MINUTE = 5
    valid = client_for(make_key("read"))
    valid.get(f"{API}/statuses/")  # records the key's last use (once a minute)
    with CaptureQueriesContext(connection) as before:
        assert valid.get(f"{API}/statuses/").status_code == 200
    answers = [client_for(f"guess{i}.secret{i}").get(f"{API}/customers/") for i in range(8)]
    assert [a.status_code for a in answers] == [401] * 5 + [429] * 3
    limited = answers[-1]
    assert 1 <= int(limited["Retry-After"]) <= 120
    assert limited["Content-Type"].startswith("application/json") and "detail" in limited.json()
    assert client_for("no-dot-at-all").get(f"{API}/customers/").status_code == 429  # malformed keys count too
    # a valid key still works from the same address, with no extra query
    with CaptureQueriesContext(connection) as after:
        assert valid.get(f"{API}/statuses/").status_code == 200
    assert len(after.captured_queries) == len(before.captured_queries)
    # another address has its own count
    other = client_for("guess.other")
    assert other.get(f"{API}/customers/", REMOTE_ADDR="10.0.0.7").status_code == 401


def test_forwarded_for_header_does_not_dodge_the_limit(settings):
    settings.FORTYCRM_API_KEY_FAILURES_PER_MINUTE = 3
    codes = [client_for("x.y").get(f"{API}/customers/", HTTP_X_FORWARDED_FOR=f"198.51.100.{i}").status_code for i in range(5)]
    assert codes == [401, 401, 401, 429, 429]


# --- item 7: deeply nested JSON ----------------------------------------------------------------


@pytest.mark.parametrize(
    "url, body",
    [
        ("/customers/", "[" * 100_000),
        ("/customers/", json.dumps({"kind": "company", "name": "Tief GmbH"})[:-1] + ', "tags": ' + "[" * 100_000 + "]" * 100_000 + "}"),
        ("/intake/", '{"last_name": "Tief", "tags": ' + "[" * 50_000 + "]" * 50_000 + "}"),
        ("/intake/", "{" + '"a": {' * 5_000 + "}" * 5_001),
        ("/invoices/", '{"lines": ' + "[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1) + "}"),
    ],
)
def test_deeply_nested_json_is_400_with_a_clear_message(url, body):
    client = client_for(make_key("write"))
    response = client.generic("POST", f"{API}{url}", body, content_type="application/json")
    assert response.status_code == 400, response.content[:300]
    assert "nested too deeply" in response.json()["detail"]
    assert not Customer.objects.exists()


def test_depth_scan_ignores_brackets_inside_strings():
    assert not json_depth_exceeds(json.dumps({"notes": "[" * 1000 + '\\"{' * 100, "tags": ["a", ["b"]]}))
    assert json_depth_exceeds("[" * (MAX_JSON_DEPTH + 1))
    assert not json_depth_exceeds("[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH)


def test_normal_json_still_works_and_broken_json_is_400():
    client = client_for(make_key("write"))
    created = client.post(f"{API}/customers/", {"kind": "company", "name": "Flach GmbH", "tags": ["A [x]"]}, format="json")
    assert created.status_code == 201, created.content
    broken = client.generic("POST", f"{API}/customers/", '{"kind": ', content_type="application/json")
    assert broken.status_code == 400 and "not valid JSON" in broken.json()["detail"]


# --- item 12: invoice lines and body size ----------------------------------------------------


def lines(count: int) -> list[dict]:
    return [{"description": f"Position {i}", "quantity": "1", "unit_price": "1.00"} for i in range(count)]


def test_invoice_lines_are_capped_in_the_service():
    customer = factories.company("Viele Zeilen GmbH")
    with pytest.raises(Exception) as exc:
        billing.invoice_create(invoice=Invoice(customer=customer, date=dt.date(2026, 1, 1)), lines=lines(billing.MAX_INVOICE_LINES + 1))
    assert "lines" in exc.value.message_dict and "500" in exc.value.message_dict["lines"][0]
    assert not Invoice.objects.exists()
    invoice = billing.invoice_create(invoice=Invoice(customer=customer, date=dt.date(2026, 1, 1)), lines=lines(billing.MAX_INVOICE_LINES))
    assert invoice.lines.count() == 500 and invoice.total == 500
    with pytest.raises(Exception) as exc:
        billing.invoice_line_save(line=InvoiceLine(invoice=invoice, description="eine zu viel", quantity=1, unit_price=1))
    assert "lines" in exc.value.message_dict
    assert invoice.lines.count() == 500
    first = invoice.lines.first()
    first.unit_price = 2
    billing.invoice_line_save(line=first)  # changing an existing line is fine
    invoice.refresh_from_db()
    assert invoice.total == 501


def test_invoice_lines_are_capped_in_the_api():
    customer = factories.company("Viele Zeilen GmbH")
    client = client_for(make_key("write"))
    response = client.post(f"{API}/invoices/", {"customer": customer.pk, "date": "2026-01-01", "lines": lines(501)}, format="json")
    assert response.status_code == 400 and "lines" in response.json(), response.content[:300]
    assert not Invoice.objects.exists()


def test_request_body_size_is_limited_with_413_json(settings):
    settings.FORTYCRM_API_MAX_BODY_BYTES = 64 * 1024
    customer = factories.company("Gross GmbH")
    client = client_for(make_key("write"))
    body = {"customer": customer.pk, "date": "2026-01-01", "lines": [{"description": "x" * 300, "quantity": "1", "unit_price": "1"}] * 300}
    response = client.post(f"{API}/invoices/", body, format="json")
    assert response.status_code == 413
    assert "64 KB" in response.json()["detail"]
    intake_client = client_for(make_key("intake"))
    form = intake_client.generic("POST", f"{API}/intake/", urlencode({"last_name": "Lang", "message": "x" * 70_000}), content_type="application/x-www-form-urlencoded")
    assert form.status_code == 413 and "detail" in form.json()
    multipart = intake_client.post(f"{API}/intake/", {"last_name": "Lang", "message": "x" * 70_000})
    assert multipart.status_code == 413 and "detail" in multipart.json()
    assert not Invoice.objects.exists() and Customer.objects.count() == 1


def test_desk_invoice_formset_refuses_more_than_500_lines(rf, django_user_model):
    from django.contrib import admin

    from fortycrm.admin.billing import InvoiceLineInline

    customer = factories.company("Viele Zeilen GmbH")
    invoice = billing.invoice_create(invoice=Invoice(customer=customer, date=dt.date(2026, 1, 1)))
    request = rf.post("/")
    request.user = django_user_model.objects.create_superuser("chefin", "c@example.com", "pw-chefin-12345")
    FormSet = InvoiceLineInline(Invoice, admin.site).get_formset(request, invoice)

    def data(count: int) -> dict:
        prefix = FormSet.get_default_prefix()
        body = {f"{prefix}-TOTAL_FORMS": str(count), f"{prefix}-INITIAL_FORMS": "0"}
        for i in range(count):
            body.update({f"{prefix}-{i}-description": f"Zeile {i}", f"{prefix}-{i}-quantity": "1", f"{prefix}-{i}-unit_price": "1"})
        return body

    too_many = FormSet(data(501), instance=invoice)
    assert not too_many.is_valid()
    assert "500" in str(too_many.non_form_errors())
    assert FormSet(data(500), instance=invoice).is_valid()

"""R-BIL-3: the monthly billing run – occurrences, grouping, idempotency, bad input."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from fortycrm.models import Invoice, InvoiceLine, Order
from fortycrm.services.billing_run import billing_run, occurrences, parse_month
from tests.billing.conftest import make_location, make_order

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    from django.utils import translation

    with translation.override("en"):
        yield
TODAY = dt.date(2026, 11, 27)


def run(month="2026-03", **kwargs):
    return billing_run(month, today=TODAY, **kwargs)


def _order(recurrence, start, end=None):
    return Order(recurrence=recurrence, start=start, end=end, price=Decimal("1"))


def test_weekly_occurrences_across_month_boundaries():
    weekly = _order("weekly", dt.date(2026, 1, 29))  # a Thursday
    assert [p[0] for p in occurrences(weekly, dt.date(2026, 1, 1), dt.date(2026, 1, 31))] == [dt.date(2026, 1, 29)]
    assert [p[0].day for p in occurrences(weekly, dt.date(2026, 2, 1), dt.date(2026, 2, 28))] == [5, 12, 19, 26]
    assert [p[0].day for p in occurrences(weekly, dt.date(2026, 3, 1), dt.date(2026, 3, 31))] == [5, 12, 19, 26]
    ended = _order("weekly", dt.date(2026, 1, 29), dt.date(2026, 2, 12))
    assert [p[0].day for p in occurrences(ended, dt.date(2026, 2, 1), dt.date(2026, 2, 28))] == [5, 12]


def test_monthly_once_and_one_off_in_start_month():
    monthly = _order("monthly", dt.date(2026, 1, 15), dt.date(2026, 3, 10))
    assert occurrences(monthly, dt.date(2026, 1, 1), dt.date(2026, 1, 31)) == [(dt.date(2026, 1, 15), dt.date(2026, 1, 31))]
    assert occurrences(monthly, dt.date(2026, 3, 1), dt.date(2026, 3, 31)) == [(dt.date(2026, 3, 1), dt.date(2026, 3, 10))]
    assert occurrences(monthly, dt.date(2026, 4, 1), dt.date(2026, 4, 30)) == []
    once = _order("once", dt.date(2026, 2, 3))
    assert len(occurrences(once, dt.date(2026, 2, 1), dt.date(2026, 2, 28))) == 1
    assert occurrences(once, dt.date(2026, 3, 1), dt.date(2026, 3, 31)) == []


def test_one_invoice_per_order_without_combining(customer):
    make_order(customer, "A")
    make_order(customer, "B", recurrence="weekly", price="10.00", start=dt.date(2026, 3, 2))
    result = run()
    assert len(result.created_ids) == 2
    invoices = Invoice.objects.filter(pk__in=result.created_ids)
    assert all(i.is_draft and i.number is None for i in invoices)
    weekly = invoices.filter(lines__description__startswith="B").distinct().get()
    assert weekly.lines.count() == 5 and weekly.total == Decimal("50.00")
    assert weekly.gross_total == Decimal("59.50") and weekly.vat_total == Decimal("9.50")


def test_combined_invoice_per_customer(combined):
    make_order(combined, "A")
    make_order(combined, "B", price="20.00")
    result = run()
    assert len(result.created_ids) == 1
    invoice = Invoice.objects.get()
    assert invoice.lines.count() == 2 and invoice.total == Decimal("120.00")
    assert invoice.period_start == dt.date(2026, 3, 1) and invoice.period_end == dt.date(2026, 3, 31)


def test_location_billing_separately_gets_its_own_invoice(combined):
    separate = make_location(combined, "Objekt Süd", bill_separately=True)
    other = make_location(combined, "Objekt Nord")
    make_order(combined, "Süd 1", location=separate)
    make_order(combined, "Süd 2", location=separate)
    make_order(combined, "Nord", location=other)
    make_order(combined, "Ohne Objekt")
    run()
    by_location = {i.location_id: i for i in Invoice.objects.all()}
    assert set(by_location) == {separate.pk, None}
    assert by_location[separate.pk].lines.count() == 2
    assert by_location[None].lines.count() == 2
    line = by_location[separate.pk].lines.first()
    assert "Objekt Süd" in line.description and "01.03.2026" in line.description  # order, location and period


def test_second_run_creates_nothing(customer):
    make_order(customer, "A")
    make_order(customer, "B", recurrence="weekly", start=dt.date(2026, 3, 2))
    first = run()
    assert len(first.created_ids) == 2
    again = run()
    assert again.created_ids == [] and again.skipped_already_billed == 6
    assert Invoice.objects.count() == 2 and InvoiceLine.objects.count() == 6
    # a new order in the same month is billed, the others not again
    make_order(customer, "C")
    third = run()
    assert len(third.created_ids) == 1 and InvoiceLine.objects.count() == 7


def test_deleting_a_draft_makes_its_orders_billable_again(customer):
    from fortycrm.services.billing import invoice_delete

    make_order(customer, "A")
    invoice = Invoice.objects.get(pk=run().created_ids[0])
    invoice_delete(invoice=invoice)
    assert len(run().created_ids) == 1


def test_unique_order_period_backstop(customer):
    order = make_order(customer, "A")
    run()
    invoice = Invoice.objects.get()
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        InvoiceLine.objects.create(invoice=invoice, order=order, description="x", unit_price=1, period_start=dt.date(2026, 3, 1))


def test_dry_run_previews_with_totals_and_writes_nothing(customer):
    make_order(customer, "A", price="100.00")
    make_order(customer, "B", price="0.99")
    result = run(dry_run=True)
    data = result.as_dict()
    assert data["invoice_count"] == 2 and data["net_total"] == "100.99" and data["gross_total"] == "120.18"
    assert data["invoices"][0]["lines"][0]["period_start"] == "2026-03-01"
    assert Invoice.objects.count() == 0


@pytest.mark.parametrize("month", ["2026-13", "März", "2026-3", "", "26-03"])
def test_malformed_month_refused(month):
    with pytest.raises(ValidationError, match="YYYY-MM"):
        parse_month(month, today=TODAY)


def test_month_after_next_refused():
    assert parse_month("2026-12", today=TODAY) == dt.date(2026, 12, 1)
    with pytest.raises(ValidationError, match="too far in the future"):
        parse_month("2027-01", today=TODAY)


def test_order_without_price_refuses_the_whole_run(customer):
    make_order(customer, "A", price="100.00")
    make_order(customer, "Gratis", price="0")
    with pytest.raises(ValidationError, match="Gratis"):
        run()
    assert Invoice.objects.count() == 0


def test_command(customer, capsys):
    make_order(customer, "A")
    call_command("fortycrm_billing_run", "--month", "2026-03", "--dry-run")
    assert Invoice.objects.count() == 0
    call_command("fortycrm_billing_run", "--month", "2026-03")
    assert Invoice.objects.count() == 1
    out = capsys.readouterr().out
    assert "1" in out
    with pytest.raises(CommandError, match="YYYY-MM"):
        call_command("fortycrm_billing_run", "--month", "nope")

"""R-BIL-5: issuing, immutability, cancellation, VAT arithmetic, customer delete protection."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError

from fortycrm.models import Customer, Invoice, InvoiceLine, SiteSettings
from fortycrm.services import billing
from fortycrm.services.customers import customer_delete
from tests.billing.conftest import draft_with_lines

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    from django.utils import translation

    with translation.override("en"):
        yield
LINE = {"description": "Unterhaltsreinigung März", "quantity": Decimal("1"), "unit_price": Decimal("100.00")}


def L(qty, price, rate):  # noqa: N802
    return SimpleNamespace(quantity=Decimal(qty), unit_price=Decimal(price), vat_rate=Decimal(rate))


def test_vat_rounded_per_line_and_per_rate():
    lines = [L("3", "0.335", "19"), L("1", "10.00", "19"), L("1", "0.05", "7"), L("2", "4.99", "0")]
    totals = billing.invoice_totals(lines)
    # per line: 3 × 0.335 = 1.005 → 1.01 (half up); 19 % on 11.01 = 2.0919 → 2.09; 7 % on 0.05 = 0.0035 → 0.00
    assert [(r.rate, r.net, r.vat) for r in totals.by_rate] == [
        (Decimal("19"), Decimal("11.01"), Decimal("2.09")),
        (Decimal("7"), Decimal("0.05"), Decimal("0.00")),
        (Decimal("0"), Decimal("9.98"), Decimal("0.00")),
    ]
    assert (totals.net, totals.vat, totals.gross) == (Decimal("21.04"), Decimal("2.09"), Decimal("23.13"))
    # VAT is computed on the rate's sum: 19 % of 7 × 0.10 = 0.133 → 0.13 (per line it would be 7 × 0.02 = 0.14)
    assert billing.invoice_totals([L("1", "0.10", "19")] * 7).vat == Decimal("0.13")


def test_small_business_charges_no_vat():
    totals = billing.invoice_totals([L("1", "100", "19"), L("1", "50", "7")], small_business=True)
    assert (totals.net, totals.vat, totals.gross) == (Decimal("150.00"), Decimal("0.00"), Decimal("150.00"))


def test_vat_rate_not_in_list_refused(customer):
    with pytest.raises(ValidationError, match="VAT rate 16"):
        draft_with_lines(customer, [{**LINE, "vat_rate": Decimal("16")}])
    assert not Invoice.objects.exists()


def test_draft_totals_and_issue(customer):
    invoice = draft_with_lines(customer, [LINE, {**LINE, "unit_price": Decimal("10.00"), "vat_rate": Decimal("7")}])
    assert invoice.number is None and invoice.is_draft
    assert (invoice.total, invoice.vat_total, invoice.gross_total) == (Decimal("110.00"), Decimal("19.70"), Decimal("129.70"))
    issued = billing.invoice_issue(invoice=invoice, today=dt.date(2026, 3, 31))
    assert issued.number == SiteSettings.load().invoice_number_start and not issued.is_draft
    assert issued.issued_at is not None and issued.date == dt.date(2026, 3, 31)
    assert issued.due_date == dt.date(2026, 4, 14)  # site default: 14 days


def test_payment_days_from_the_customer_defaults(customer):
    from fortycrm.payer_selectors import customer_defaults

    defaults = customer_defaults()
    defaults.payment_days = 30
    defaults.save()
    issued = billing.invoice_issue(invoice=draft_with_lines(customer, [LINE]), today=dt.date(2026, 3, 1))
    assert issued.due_date == dt.date(2026, 3, 31)


def test_payment_terms_from_the_customers_own_settings(customer):
    """The customer's own payment terms (Kundeneinstellungen) win over the site default."""
    from fortycrm.models import CustomerSettings

    CustomerSettings.objects.create(customer=customer, payment_days=7, discount_percent=Decimal("2"), discount_days=5)
    terms = billing.billing_terms_for(customer)
    assert (terms.payment_days, terms.discount_percent, terms.discount_days) == (7, Decimal("2"), 5)
    issued = billing.invoice_issue(invoice=draft_with_lines(customer, [LINE]), today=dt.date(2026, 3, 1))
    assert issued.due_date == dt.date(2026, 3, 8)


def test_numbers_sequential_without_reuse(customer):
    first = billing.invoice_issue(invoice=draft_with_lines(customer, [LINE]))
    draft = draft_with_lines(customer, [LINE])
    billing.invoice_delete(invoice=draft)  # a deleted draft used no number
    second = billing.invoice_issue(invoice=draft_with_lines(customer, [LINE]))
    assert second.number == first.number + 1


def test_issue_without_lines_refused(customer):
    invoice = draft_with_lines(customer, [])
    with pytest.raises(ValidationError, match="without lines"):
        billing.invoice_issue(invoice=invoice)
    invoice.refresh_from_db()
    assert invoice.is_draft and invoice.number is None


def test_issued_invoice_is_immutable(customer):
    issued = billing.invoice_issue(invoice=draft_with_lines(customer, [LINE]))
    issued.date = dt.date(2020, 1, 1)
    with pytest.raises(ValidationError) as exc:
        billing.invoice_update(invoice=issued)
    assert exc.value.code == billing.INVOICE_ISSUED
    with pytest.raises(ValidationError, match="issued"):
        billing.invoice_delete(invoice=issued)
    line = issued.lines.get()
    line.unit_price = Decimal("1")
    with pytest.raises(ValidationError, match="issued"):
        billing.invoice_line_save(line=line)
    with pytest.raises(ValidationError, match="issued"):
        billing.invoice_line_save(line=InvoiceLine(invoice=issued, description="neu", unit_price=Decimal("1")))
    with pytest.raises(ValidationError, match="issued"):
        billing.invoice_line_delete(line=line)
    stored = Invoice.objects.get(pk=issued.pk)
    assert stored.date != dt.date(2020, 1, 1) and stored.lines.get().unit_price == Decimal("100.00")
    with pytest.raises(ValidationError, match="already issued"):
        billing.invoice_issue(invoice=issued)


def test_cancellation_is_negative_copy_and_cannot_be_cancelled(customer):
    original = billing.invoice_issue(invoice=draft_with_lines(customer, [LINE, {**LINE, "vat_rate": Decimal("7")}]))
    copy = billing.invoice_cancel(invoice=original)
    assert copy.cancels_id == original.pk and not copy.is_draft and copy.number == original.number + 1
    assert copy.total == -original.total and copy.gross_total == -original.gross_total and copy.vat_total == -original.vat_total
    with pytest.raises(ValidationError, match="itself a cancellation"):
        billing.invoice_cancel(invoice=copy)
    with pytest.raises(ValidationError, match="already cancelled"):
        billing.invoice_cancel(invoice=original)
    with pytest.raises(ValidationError, match="draft cannot be cancelled"):
        billing.invoice_cancel(invoice=draft_with_lines(customer, [LINE]))
    assert Invoice.objects.filter(cancels__isnull=False).count() == 1


def test_customer_with_issued_invoice_cannot_be_deleted(customer):
    draft = draft_with_lines(customer, [LINE])
    billing.invoice_issue(invoice=draft_with_lines(customer, [LINE]))
    with pytest.raises(ValidationError, match="ehemaliger Kunde"):
        customer_delete(customer=customer)
    assert Customer.objects.filter(pk=customer.pk).exists() and Invoice.objects.filter(pk=draft.pk).exists()


def test_customer_with_only_drafts_can_be_deleted(customer):
    draft_with_lines(customer, [LINE])
    customer_delete(customer=customer)
    assert not Invoice.objects.exists()

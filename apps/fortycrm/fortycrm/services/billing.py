"""Orders and invoices as far as customer management needs them (R-BIL-1/2, R-STA-6)."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from fortycrm.models import Customer, Invoice, InvoiceLine, Order
from fortycrm.models.billing import MAX_AMOUNT, money
from fortycrm.services import numbers
from fortycrm.services.customers import customer_convert_prospect
from fortycrm.services.statuses import conversion_target

MAX_INVOICE_LINES = 500


def conversion_check(*, customer: Customer) -> None:
    """R-STA-6 can be applied: a customer without number needs a target status to switch to."""
    if customer.status.with_number and customer.number is not None:
        return
    try:
        conversion_target()
    except ValidationError as exc:
        raise ValidationError({"customer": exc.messages}) from None


@transaction.atomic
def order_create(*, order: Order) -> Order:
    """Save a new order; a prospect becomes a customer with number in the same transaction."""
    order.full_clean()
    order.save()
    customer_convert_prospect(customer=order.customer)
    return order


@transaction.atomic
def order_update(*, order: Order) -> Order:
    order.full_clean()
    order.save()
    return order


@transaction.atomic
def invoice_create(*, invoice: Invoice, lines: Iterable[dict[str, Any]] = ()) -> Invoice:
    """Number and save an invoice with its lines; converts a prospect like an order (R-STA-6)."""
    lines = list(lines)
    problem = invoice_lines_problem(len(lines))
    if problem:
        raise ValidationError({"lines": problem})
    numbers.number_check_cap(invoice.number)
    if not invoice.number:
        invoice.number = numbers.number_allocate(numbers.INVOICE)
    invoice.full_clean(exclude=["total"])
    invoice.save()
    for position, data in enumerate(lines, start=1):
        line = InvoiceLine(invoice=invoice, **data)
        try:
            line.full_clean()
        except ValidationError as exc:
            raise ValidationError(
                {"lines": [_("Line %(position)d: %(message)s") % {"position": position, "message": m} for m in exc.messages]}
            ) from None
        line.save()
    invoice_recalculate(invoice=invoice)
    customer_convert_prospect(customer=invoice.customer)
    return invoice


@transaction.atomic
def invoice_update(*, invoice: Invoice) -> Invoice:
    """Change an invoice's header (date, draft flag, location); the total follows its lines."""
    numbers.number_check_cap(invoice.number)
    invoice.full_clean(exclude=["total"])
    invoice.save()
    invoice_recalculate(invoice=invoice)
    return invoice


@transaction.atomic
def invoice_line_save(*, line: InvoiceLine) -> InvoiceLine:
    """Save one line; the invoice total follows. An invoice holds at most ``MAX_INVOICE_LINES`` lines."""
    if line.pk is None and line.invoice_id:
        # the invoice row is locked (MariaDB), so two parallel additions cannot both pass the cap
        Invoice.objects.select_for_update().filter(pk=line.invoice_id).values_list("pk", flat=True).first()
        problem = invoice_lines_problem(InvoiceLine.objects.filter(invoice_id=line.invoice_id).count() + 1)
        if problem:
            raise ValidationError({"lines": problem})
    line.full_clean()
    line.save()
    invoice_recalculate(invoice=line.invoice)
    return line


@transaction.atomic
def invoice_line_delete(*, line: InvoiceLine) -> None:
    invoice = line.invoice
    line.delete()
    invoice_recalculate(invoice=invoice)


def invoice_lines_problem(count: int) -> str | None:
    """Why an invoice cannot have ``count`` lines, or None."""
    if count > MAX_INVOICE_LINES:
        return _("An invoice can have at most %(max)d lines (%(count)d given). Split it into several invoices.") % {
            "max": MAX_INVOICE_LINES, "count": count,
        }
    return None


def invoice_total_problem(total: Decimal) -> str | None:
    """Why an invoice cannot have this total, or None (it must fit the total column)."""
    if abs(total) > MAX_AMOUNT:
        return _("The invoice total %(total)s is too large; an invoice can hold at most %(max)s. Split it into several invoices.") % {
            "total": money(total), "max": money(MAX_AMOUNT),
        }
    return None


def invoice_recalculate(*, invoice: Invoice) -> Decimal:
    total = sum((line.amount for line in invoice.lines.all()), Decimal("0"))
    problem = invoice_total_problem(total)
    if problem:
        raise ValidationError({"lines": problem})
    invoice.total = total.quantize(Decimal("0.01"))
    invoice.save(update_fields=["total", "updated_at"])
    return invoice.total

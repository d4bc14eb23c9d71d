"""Orders and invoices as far as customer management needs them (R-BIL-1/2, R-STA-6)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fortycrm import events
from fortycrm.models import Customer, Invoice, InvoiceLine, Order, SiteSettings
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
    """Number and save an invoice with its lines. A draft leaves a prospect as it is; issuing converts it (R-STA-6)."""
    lines = list(lines)
    problem = invoice_lines_problem(len(lines))
    if problem:
        raise ValidationError({"lines": problem})
    numbers.number_check_cap(invoice.number)
    if invoice.number is not None:
        raise ValidationError({"number": _("An invoice gets its number when it is issued; leave the number empty.")})
    issue = not invoice.is_draft
    invoice.is_draft = True
    invoice.full_clean(exclude=TOTAL_FIELDS)
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
    if issue:
        invoice = invoice_issue(invoice=invoice)
    return invoice


@transaction.atomic
def invoice_update(*, invoice: Invoice) -> Invoice:
    """Change a draft's header (date, location); ``is_draft=False`` issues it. Issued invoices are immutable."""
    stored = Invoice.objects.select_for_update().get(pk=invoice.pk)
    invoice_check_editable(stored)
    if invoice.number != stored.number:
        raise ValidationError({"number": _("An invoice gets its number when it is issued; leave the number empty.")})
    issue = not invoice.is_draft
    invoice.is_draft = True
    invoice.full_clean(exclude=TOTAL_FIELDS)
    invoice.save()
    invoice_recalculate(invoice=invoice)
    if issue:
        invoice = invoice_issue(invoice=invoice)
    return invoice


@transaction.atomic
def invoice_line_save(*, line: InvoiceLine) -> InvoiceLine:
    """Save one line; the invoice total follows. An invoice holds at most ``MAX_INVOICE_LINES`` lines."""
    if line.invoice_id:
        invoice_check_editable(Invoice.objects.get(pk=line.invoice_id))
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
    invoice_check_editable(Invoice.objects.get(pk=invoice.pk))
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
    """Net total, VAT per rate and gross total from the lines (cent-exact); returns the net total."""
    totals = invoice_totals(list(invoice.lines.all()), small_business=invoice.small_business)
    for value in (totals.net, totals.gross):
        problem = invoice_total_problem(value)
        if problem:
            raise ValidationError({"lines": problem})
    changed = (invoice.total, invoice.vat_total, invoice.gross_total) != (totals.net, totals.vat, totals.gross)
    invoice.total, invoice.vat_total, invoice.gross_total = totals.net, totals.vat, totals.gross
    if changed and invoice.pk:
        Invoice.objects.filter(pk=invoice.pk).update(total=totals.net, vat_total=totals.vat, gross_total=totals.gross)
    return invoice.total


# --- amounts and VAT (R-BIL-5) ---------------------------------------------------------------

TOTAL_FIELDS = ["total", "vat_total", "gross_total", "number", "issued_at", "due_date"]
CENT = Decimal("0.01")
INVOICE_ISSUED = "invoice_issued"
"""Error code of a change refused because the invoice is issued (the API answers 409)."""


def cents(value: Decimal) -> Decimal:
    """Commercial rounding to the cent (half up), as German invoices round."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class RateTotal:
    rate: Decimal
    net: Decimal
    vat: Decimal


@dataclass(frozen=True)
class Totals:
    net: Decimal
    vat: Decimal
    gross: Decimal
    by_rate: tuple[RateTotal, ...]


def line_amount(quantity: Decimal, unit_price: Decimal) -> Decimal:
    """A line's net amount, rounded to the cent per line."""
    return cents((quantity or Decimal("0")) * (unit_price or Decimal("0")))


def invoice_totals(lines: Iterable[Any], *, small_business: bool = False) -> Totals:
    """Net per line (rounded per line), VAT per rate on the rate's net sum (rounded per rate), gross.

    ``lines`` are InvoiceLines or objects with ``quantity``, ``unit_price`` and ``vat_rate``.
    Under § 19 UStG (``small_business``) no VAT is charged.
    """
    nets: dict[Decimal, Decimal] = {}
    for line in lines:
        rate = Decimal("0") if small_business else Decimal(line.vat_rate)
        nets[rate] = nets.get(rate, Decimal("0")) + line_amount(line.quantity, line.unit_price)
    by_rate = tuple(
        RateTotal(rate=rate, net=net, vat=cents(net * rate / Decimal("100")))
        for rate, net in sorted(nets.items(), key=lambda item: -item[0])
    )
    net = sum((r.net for r in by_rate), Decimal("0.00"))
    vat = sum((r.vat for r in by_rate), Decimal("0.00"))
    return Totals(net=cents(net), vat=cents(vat), gross=cents(net + vat), by_rate=by_rate)


# --- payment terms (adapter to the customer settings) ----------------------------------------


@dataclass(frozen=True)
class BillingTerms:
    payment_days: int
    discount_percent: Decimal | None = None
    discount_days: int | None = None
    letterhead: str = ""  # header text (site setting "default letterhead")
    letterhead_file: Any = None  # the customer's letterhead (Briefpapier) as a FieldFile, or None
    invoice_email: str = ""
    hourly_rate: Decimal | None = None


def billing_terms_for(customer: Customer) -> BillingTerms:
    """Payment terms and letterhead for ``customer``, from ``selectors.customer_effective_settings``:
    the customer's own settings where set, else the site's customer defaults. The one place
    billing reads customer settings."""
    from fortycrm.selectors import customer_effective_settings

    effective = customer_effective_settings(customer)
    letterhead = effective.letterhead
    return BillingTerms(
        payment_days=int(effective.payment_days),
        discount_percent=effective.discount_percent or None,
        discount_days=effective.discount_days,
        letterhead=SiteSettings.load().invoice_letterhead,
        letterhead_file=letterhead.file if letterhead is not None and letterhead.file else None,
        invoice_email=effective.invoice_email,
        hourly_rate=effective.hourly_rate,
    )


def order_price_for(order: Order) -> Decimal | None:
    """The price a billing run charges for one occurrence of ``order`` (the order's own price)."""
    return order.price if order.price else None


# --- invoice recipient -------------------------------------------------------------------------


@dataclass(frozen=True)
class Recipient:
    """Who an invoice is addressed to (printed on the PDF, the buyer of the e-invoice)."""

    source: str  # "cost_bearer" | "location" | "customer"
    name: str
    street: str
    postcode: str
    city: str
    country: str
    vat_id: str = ""
    references: tuple[tuple[str, str], ...] = ()  # (label, value) printed with the invoice data

    @property
    def address_lines(self) -> list[str]:
        lines = [self.street, " ".join(p for p in (self.postcode, self.city) if p)]
        if self.country and self.country != "DE":
            lines.append(self.country)
        return [line for line in lines if line]


REFERENCE_LABELS = {
    "service_recipient": _("Service recipient"),
    "customer_number": _("Customer number"),
    "insurance_number": _("Insurance number"),
}
"""Labels of the references printed for a cost bearer's invoice (stored by key, shown in the reader's language)."""


def recipient_snapshot(recipient: Recipient) -> dict:
    """What an issued invoice keeps of its recipient (GoBD: a later change of the address does
    not change an issued invoice)."""
    return {
        "source": recipient.source, "name": recipient.name, "street": recipient.street, "postcode": recipient.postcode,
        "city": recipient.city, "country": recipient.country, "vat_id": recipient.vat_id,
        "references": [list(pair) for pair in recipient.references],
    }


def invoice_recipient(invoice: Invoice) -> Recipient:
    """The address an invoice goes to: for an issued invoice the one stored at issue; else the
    cost bearer for its invoices (referencing the customer and the insurance number), the
    location's invoice address where the location bills separately and has one, or the customer."""
    stored = invoice.recipient or recipient_snapshot(_current_recipient(invoice))
    references = tuple((str(REFERENCE_LABELS.get(key, key)), value) for key, value in stored.get("references", []))
    return Recipient(stored["source"], stored["name"], stored["street"], stored["postcode"], stored["city"], stored["country"],
                     stored.get("vat_id", ""), references)


def _current_recipient(invoice: Invoice) -> Recipient:
    """The recipient from the live records; references by key (see ``REFERENCE_LABELS``)."""
    customer = invoice.customer
    if invoice.cost_bearer_id:
        bearer = invoice.cost_bearer
        references = [("service_recipient", customer.display_name)]
        if customer.number:
            references.append(("customer_number", str(customer.number)))
        if invoice.insurance_number:
            references.append(("insurance_number", invoice.insurance_number))
        return Recipient("cost_bearer", bearer.name, bearer.street, bearer.postcode, bearer.city, bearer.country or "DE",
                         references=tuple(references))
    location = invoice.location
    if location is not None and location.bill_separately and location.has_billing_address:
        return Recipient("location", location.billing_name or customer.display_name, location.billing_street, location.billing_postcode,
                         location.billing_city, location.country or "DE", customer.vat_id)
    return Recipient("customer", customer.display_name, customer.street, customer.postcode, customer.city, customer.country or "DE",
                     customer.vat_id)


# --- issuing, immutability, cancellation ------------------------------------------------------


def invoice_issued_error(invoice: Invoice, what: str) -> ValidationError:
    return ValidationError(
        _("Invoice %(number)s is issued and can no longer be %(what)s. Correct it with a cancellation invoice and a new invoice.")
        % {"number": invoice.number, "what": what},
        code=INVOICE_ISSUED,
    )


def invoice_check_editable(invoice: Invoice) -> None:
    """Refuse any change to an issued invoice (GoBD)."""
    if not invoice.is_draft:
        raise invoice_issued_error(invoice, _("changed"))


@transaction.atomic
def invoice_delete(*, invoice: Invoice) -> None:
    """Delete a draft; issued invoices are kept (GoBD)."""
    stored = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if not stored.is_draft:
        raise invoice_issued_error(stored, _("deleted"))
    stored.delete()


@transaction.atomic
def invoice_issue(*, invoice: Invoice, today: dt.date | None = None) -> Invoice:
    """"Rechnung stellen": the next invoice number, issue date, due date; immutable from then on."""
    locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if not locked.is_draft:
        raise ValidationError(_("Invoice %(number)s is already issued.") % {"number": locked.number}, code=INVOICE_ISSUED)
    if not locked.lines.exists():
        raise ValidationError({"lines": _("An invoice without lines cannot be issued. Add at least one line.")})
    # R-STA-6: an issued invoice makes a prospect a customer with number (a draft does not)
    customer_convert_prospect(customer=locked.customer)
    today = today or timezone.localdate()
    terms = billing_terms_for(locked.customer)
    locked.small_business = SiteSettings.load().small_business
    if not locked.recipient:  # a cancellation invoice carries its original's
        locked.recipient = recipient_snapshot(_current_recipient(locked))
    invoice_recalculate(invoice=locked)
    locked.number = numbers.number_allocate(numbers.INVOICE)
    locked.issued_at = timezone.now()
    locked.date = today
    locked.due_date = today + dt.timedelta(days=terms.payment_days)
    locked.is_draft = False
    locked.save()
    events.event_record("invoice.issued", locked)  # outbox, same transaction
    return locked


@transaction.atomic
def invoice_cancel(*, invoice: Invoice) -> Invoice:
    """"Stornorechnung": an issued negative copy of ``invoice`` that references it."""
    original = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if original.is_draft:
        raise ValidationError(_("A draft cannot be cancelled; change or delete it instead."), code="invalid")
    if original.cancels_id:
        raise ValidationError(
            _("Invoice %(number)s is itself a cancellation invoice and cannot be cancelled.") % {"number": original.number}, code="invalid"
        )
    if Invoice.objects.filter(cancels=original).exists():
        raise ValidationError(_("Invoice %(number)s is already cancelled.") % {"number": original.number}, code="invalid")
    copy = Invoice.objects.create(
        customer=original.customer, location=original.location, date=timezone.localdate(), cancels=original,
        period_start=original.period_start, period_end=original.period_end, small_business=original.small_business,
        cost_bearer=original.cost_bearer, insurance_number=original.insurance_number, recipient=original.recipient,
    )
    InvoiceLine.objects.bulk_create(
        InvoiceLine(
            invoice=copy, description=(_("Cancellation: %(text)s") % {"text": line.description})[:300],
            quantity=-line.quantity, unit_price=line.unit_price, vat_rate=line.vat_rate, vat_exemption=line.vat_exemption,
            period_start=line.period_start, period_end=line.period_end, charged_to_id=line.charged_to_id,
        )
        for line in original.lines.all()
    )
    invoice_recalculate(invoice=copy)
    issued = invoice_issue(invoice=copy)
    return issued


def customer_has_issued_invoices(customer: Customer) -> bool:
    return Invoice.objects.filter(customer=customer, is_draft=False).exists()


def customer_delete_problem(customer: Customer) -> str | None:
    """Why ``customer`` cannot be deleted (issued invoices are kept, GoBD), or None."""
    if not customer.pk:
        return None
    count = Invoice.objects.filter(customer=customer, is_draft=False).count()
    if not count:
        return None
    return _(
        "“%(customer)s” has %(count)d issued invoice(s), which must be kept for 10 years (GoBD), so the customer "
        "cannot be deleted. Set the status to “ehemaliger Kunde” instead."
    ) % {"customer": customer.display_name, "count": count}


def customer_delete_check(customer: Customer) -> None:
    """A customer with issued invoices is kept (retention): offer the status "ehemaliger Kunde"."""
    problem = customer_delete_problem(customer)
    if problem:
        raise ValidationError(problem, code=INVOICE_ISSUED)


def location_delete_problem(location) -> str | None:
    """Why ``location`` cannot be deleted: issued invoices name it and must be kept (GoBD)."""
    if not location.pk:
        return None
    count = Invoice.objects.filter(location=location, is_draft=False).count()
    if not count:
        return None
    return _(
        "The location “%(location)s” appears on %(count)d issued invoice(s), which must be kept for 10 years (GoBD), "
        "so it cannot be deleted."
    ) % {"location": location.name, "count": count}


def location_delete_check(location) -> None:
    problem = location_delete_problem(location)
    if problem:
        raise ValidationError(problem, code=INVOICE_ISSUED)

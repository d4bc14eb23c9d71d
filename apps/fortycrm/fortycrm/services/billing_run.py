"""The monthly billing run ("Abrechnungslauf", R-BIL-3): draft invoices from the orders of a month.

Rules:
- monthly orders once per month, weekly orders once per occurrence (start + 7 days × n) in the
  month, one-off orders in the month of their start;
- grouping: one invoice per location that bills separately; otherwise one combined invoice
  per customer with "Rechnungen zusammenfassen"; otherwise one invoice per order;
- idempotent: every line records the order and the period it bills (unique together), and a
  second run skips what is billed already;
- all or nothing: the whole run is one transaction. A crash (even ``kill -9``) leaves no
  invoice of that run behind; running it again bills everything.
"""

from __future__ import annotations

import calendar
import datetime as dt
import os
import re
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from fortycrm.models import Customer, Invoice, InvoiceLine, Order, SiteSettings
from fortycrm.services.billing import cents, invoice_totals, order_price_for

MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")
BATCH = 1000
PAUSE_ENV = "FORTYCRM_BILLING_RUN_PAUSE_AFTER"
"""Test hook: after writing this many invoices the run prints a marker and sleeps (kill -9 test)."""


def parse_month(value, *, today: dt.date | None = None) -> dt.date:
    """``"YYYY-MM"`` → the first day of that month; refuses malformed months and months after next."""
    text = str(value or "").strip()
    match = MONTH_RE.match(text)
    if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 1900:
        raise ValidationError({"month": _("“%(value)s” is not a month. Enter it as YYYY-MM, for example 2026-12.") % {"value": text}})
    first = dt.date(int(match.group(1)), int(match.group(2)), 1)
    today = today or timezone.localdate()
    next_month = (today.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    if first > next_month:
        raise ValidationError(
            {"month": _("%(month)s is too far in the future: a billing run can bill at most the next month (%(next)s).")
             % {"month": text, "next": next_month.strftime("%Y-%m")}}
        )
    return first


def month_end(first: dt.date) -> dt.date:
    return first.replace(day=calendar.monthrange(first.year, first.month)[1])


def occurrences(order: Order, first: dt.date, last: dt.date) -> list[tuple[dt.date, dt.date]]:
    """The periods (from, to) of ``order`` billed in the month ``first``..``last``."""
    end = min(last, order.end) if order.end else last
    if order.start > end:
        return []
    if order.recurrence == Order.Recurrence.ONCE:
        return [(order.start, order.start)] if first <= order.start <= last else []
    if order.recurrence == Order.Recurrence.MONTHLY:
        start = max(first, order.start)
        return [(start, end)] if start <= end else []
    # weekly: every 7 days from the start, the ones inside the month
    if order.start >= first:
        day = order.start
    else:
        day = order.start + dt.timedelta(days=-(-(first - order.start).days // 7) * 7)
    found = []
    while day <= end:
        found.append((day, day))
        day += dt.timedelta(days=7)
    return found


@dataclass
class PlannedLine:
    order_id: int
    description: str
    quantity: Decimal
    unit_price: Decimal
    vat_rate: Decimal
    period_start: dt.date
    period_end: dt.date


@dataclass
class PlannedInvoice:
    customer_id: int
    customer_name: str
    location_id: int | None
    grouping: str
    lines: list[PlannedLine] = field(default_factory=list)

    def totals(self, small_business: bool):
        return invoice_totals(self.lines, small_business=small_business)


@dataclass
class RunResult:
    month: str
    dry_run: bool
    invoices: list[PlannedInvoice]
    skipped_already_billed: int
    small_business: bool
    created_ids: list[int] = field(default_factory=list)

    @property
    def line_count(self) -> int:
        return sum(len(i.lines) for i in self.invoices)

    def totals(self) -> tuple[Decimal, Decimal, Decimal]:
        net = vat = gross = Decimal("0.00")
        for invoice in self.invoices:
            t = invoice.totals(self.small_business)
            net, vat, gross = net + t.net, vat + t.vat, gross + t.gross
        return cents(net), cents(vat), cents(gross)

    def as_dict(self, *, limit: int | None = 200) -> dict:
        net, vat, gross = self.totals()
        shown = self.invoices if limit is None else self.invoices[:limit]
        return {
            "month": self.month,
            "dry_run": self.dry_run,
            "invoice_count": len(self.invoices),
            "line_count": self.line_count,
            "already_billed": self.skipped_already_billed,
            "net_total": str(net),
            "vat_total": str(vat),
            "gross_total": str(gross),
            "created_ids": self.created_ids[: limit or None],
            "invoices": [
                {
                    "customer": inv.customer_id,
                    "customer_name": inv.customer_name,
                    "location": inv.location_id,
                    "grouping": inv.grouping,
                    "net_total": str(inv.totals(self.small_business).net),
                    "gross_total": str(inv.totals(self.small_business).gross),
                    "lines": [
                        {"order": ln.order_id, "description": ln.description, "period_start": ln.period_start.isoformat(),
                         "period_end": ln.period_end.isoformat(), "quantity": str(ln.quantity), "unit_price": str(ln.unit_price),
                         "vat_rate": str(ln.vat_rate)}
                        for ln in inv.lines
                    ],
                }
                for inv in shown
            ],
        }


def _orders_in(first: dt.date, last: dt.date):
    return (
        Order.objects.filter(start__lte=last)
        .filter(Q(end__isnull=True) | Q(end__gte=first))
        .select_related("customer", "location")
        .order_by("customer_id", "id")
    )


def _line_text(order: Order, period: tuple[dt.date, dt.date]) -> str:
    start, end = period
    when = start.strftime("%d.%m.%Y") if start == end else f"{start:%d.%m.%Y} – {end:%d.%m.%Y}"
    parts = [order.title]
    if order.location_id:
        parts.append(order.location.name)
    parts.append(when)
    return ", ".join(parts)[:300]


def billing_plan(month, *, today: dt.date | None = None) -> RunResult:
    """What a run for ``month`` would create (nothing is written)."""
    first = parse_month(month, today=today)
    last = month_end(first)
    site = SiteSettings.load()
    billed = set(
        InvoiceLine.objects.filter(order__isnull=False, period_start__gte=first, period_start__lte=last).values_list("order_id", "period_start")
    )
    groups: dict[tuple, PlannedInvoice] = {}
    unpriced: list[str] = []
    skipped = 0
    for order in _orders_in(first, last).iterator(chunk_size=2000):
        periods = [p for p in occurrences(order, first, last)]
        if not periods:
            continue
        todo = [p for p in periods if (order.id, p[0]) not in billed]
        skipped += len(periods) - len(todo)
        if not todo:
            continue
        price = order_price_for(order)
        if not price:
            unpriced.append(f"“{order.title}” ({order.customer})")
            continue
        customer: Customer = order.customer
        if order.location_id and order.location.bill_separately:
            key, grouping, location_id = ("location", order.location_id), "location", order.location_id
        elif customer.combine_invoices:
            key, grouping, location_id = ("customer", customer.id), "customer", None
        else:
            key, grouping, location_id = ("order", order.id), "order", order.location_id
        planned = groups.get(key)
        if planned is None:
            planned = groups[key] = PlannedInvoice(customer.id, str(customer), location_id, grouping)
        for period in todo:
            planned.lines.append(
                PlannedLine(order.id, _line_text(order, period), Decimal("1"), price, Decimal("19"), period[0], period[1])
            )
    if unpriced:
        shown = ", ".join(unpriced[:10]) + (" …" if len(unpriced) > 10 else "")
        raise ValidationError(
            {"orders": _("%(count)d order(s) of this month have no price: %(orders)s. Enter a price and run again; nothing was created.")
             % {"count": len(unpriced), "orders": shown}}
        )
    return RunResult(first.strftime("%Y-%m"), True, list(groups.values()), skipped, site.small_business)


def _batches(items: list, size: int) -> Iterator[list]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def billing_run(month, *, dry_run: bool = False, today: dt.date | None = None,
                progress: Callable[[int, int], None] | None = None) -> RunResult:
    """Plan the month and, unless ``dry_run``, create the draft invoices in one transaction."""
    if dry_run:
        return billing_plan(month, today=today)
    first = parse_month(month, today=today)
    last = month_end(first)
    pause_after = int(os.environ.get(PAUSE_ENV, "0") or 0)
    draft_date = today or timezone.localdate()
    with transaction.atomic():
        # one run at a time: a second run in parallel waits here and then finds this run's lines
        from fortycrm.services.numbers import _locked_sequence

        _locked_sequence("billing-run")
        result = billing_plan(month, today=today)
        result.dry_run = False
        total = len(result.invoices)
        done = 0
        for batch in _batches(result.invoices, min(BATCH, pause_after) if pause_after else BATCH):
            invoices = []
            for planned in batch:
                t = planned.totals(result.small_business)
                invoices.append(Invoice(
                    customer_id=planned.customer_id, location_id=planned.location_id, date=draft_date, is_draft=True,
                    period_start=first, period_end=last, small_business=result.small_business,
                    total=t.net, vat_total=t.vat, gross_total=t.gross,
                ))
            Invoice.objects.bulk_create(invoices)
            lines = [
                InvoiceLine(invoice_id=inv.pk, order_id=ln.order_id, description=ln.description, quantity=ln.quantity,
                            unit_price=ln.unit_price, vat_rate=ln.vat_rate, period_start=ln.period_start, period_end=ln.period_end)
                for inv, planned in zip(invoices, batch, strict=True) for ln in planned.lines
            ]
            InvoiceLine.objects.bulk_create(lines, batch_size=BATCH)
            result.created_ids += [inv.pk for inv in invoices]
            done += len(batch)
            if progress:
                progress(done, total)
            if pause_after and done >= pause_after:
                print("BILLING-RUN-PAUSED", flush=True)
                sys.stdout.flush()
                time.sleep(600)
        # customers without number (prospects) become customers as with any order (R-STA-6)
        from fortycrm.services.customers import customer_convert_prospect

        for customer in Customer.objects.filter(pk__in={p.customer_id for p in result.invoices}, number__isnull=True):
            customer_convert_prospect(customer=customer)
    return result

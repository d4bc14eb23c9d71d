"""The monthly billing run ("Abrechnungslauf", R-BIL-3): draft invoices from the orders of a month.

Rules:
- monthly orders once per month, weekly orders once per occurrence (start + 7 days × n) in the
  month, one-off orders in the month of their start;
- grouping: one invoice per location that bills separately; otherwise one combined invoice
  per customer with "Rechnungen zusammenfassen"; otherwise one invoice per order;
- prices: the price list of the customer settings for the order's service kind (flat rate, or
  hourly rate × the order's hours), else the customer's hourly rate for orders with hours,
  else the order price; the VAT rate (and exemption reason) comes from the order;
- cost bearers: a customer's assignments valid on a line's day take their share or what their
  budget has left (by priority); their parts go on an invoice to the cost bearer (one per
  assignment and month), the rest stays on the customer's invoice; the lines record the
  assignment they are charged to, which is what the budget's "used" reads;
- idempotent: every line records the order, the period and the part it bills (unique
  together), and a second run skips what is billed already;
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
from decimal import ROUND_DOWN, Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from fortycrm.models import Customer, CustomerCostBearer, Invoice, InvoiceLine, Order, ServicePrice, SiteSettings
from fortycrm.payer_selectors import (
    PriceList,
    active_cost_bearer_links,
    budget_usages_many,
    cost_bearer_budget,
    customer_defaults,
    customer_effective_settings,
    line_charge,
    price_list,
)
from fortycrm.services.billing import cents, invoice_totals, line_amount, order_price_for

MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")
BATCH = 1000
HUNDRED = Decimal("100")
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


@dataclass(eq=False)  # lines compare by identity (the split finds and removes exactly this line)
class PlannedLine:
    order_id: int
    description: str
    quantity: Decimal
    unit_price: Decimal
    vat_rate: Decimal
    period_start: dt.date
    period_end: dt.date
    vat_exemption: str = ""
    part: int = 0  # 0: the customer's part; n: the part of the customer's n-th cost bearer
    charged_to_id: int | None = None


@dataclass
class PlannedInvoice:
    customer_id: int
    customer_name: str
    location_id: int | None
    grouping: str
    lines: list[PlannedLine] = field(default_factory=list)
    cost_bearer_id: int | None = None
    cost_bearer_name: str = ""
    insurance_number: str = ""

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
                    "cost_bearer": inv.cost_bearer_id,
                    "cost_bearer_name": inv.cost_bearer_name,
                    "net_total": str(inv.totals(self.small_business).net),
                    "gross_total": str(inv.totals(self.small_business).gross),
                    "lines": [
                        {"order": ln.order_id, "description": ln.description, "period_start": ln.period_start.isoformat(),
                         "period_end": ln.period_end.isoformat(), "quantity": str(ln.quantity), "unit_price": str(ln.unit_price),
                         "vat_rate": str(ln.vat_rate), "charged_to": ln.charged_to_id}
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


def _order_charge(order: Order, prices: PriceList, hourly_rate: Callable[[Customer], Decimal | None]) -> tuple[Decimal, Decimal, str] | str:
    """(quantity, unit price, note) of one occurrence of ``order``, or why it has no price.

    An order whose service kind is in the price list (the customer's own entry, else the
    default) is billed by it: a flat rate once per occurrence, an hourly rate × the order's
    hours. Otherwise an order with hours is billed with the customer's hourly rate (customer
    settings), else with its own price.
    """
    entry = prices.entry_for(order.customer_id, order.service_kind)
    if entry is not None:
        if entry.unit == ServicePrice.Unit.FLAT:
            return Decimal("1"), entry.price, ""
        if not order.hours:
            return _("its service kind “%(kind)s” is priced per hour, but the order has no hours") % {"kind": entry.service_kind}
        return order.hours, entry.price, _("%(hours)s h") % {"hours": f"{order.hours.normalize():f}".replace(".", ",")}
    if order.hours:
        rate = hourly_rate(order.customer)
        if rate:
            return order.hours, rate, _("%(hours)s h") % {"hours": f"{order.hours.normalize():f}".replace(".", ",")}
    price = order_price_for(order)
    if not price:
        return _("it has no price")
    return Decimal("1"), price, ""


def _group_for(order: Order, customer: Customer) -> tuple[tuple, str, int | None]:
    if order.location_id and order.location.bill_separately:
        return ("location", order.location_id), "location", order.location_id
    if customer.combine_invoices:
        return ("customer", customer.id), "customer", None
    return ("order", order.id), "order", order.location_id


def _split_to_cost_bearers(groups: dict[tuple, PlannedInvoice], links: dict[int, list[CustomerCostBearer]],
                           lines_by_customer: dict[int, list[tuple[PlannedLine, PlannedInvoice]]], small_business: bool, last: dt.date) -> None:
    """Charge the cost bearers of each customer: per line (in date order) every assignment valid
    on the line's day takes, by priority, its share of the line or what its budget has left
    (accrued and carried over, minus what earlier lines used); the customer keeps the rest.
    A bearer's parts go on one invoice per assignment and month, addressed to the bearer."""
    customer_links = {cid: ls for cid, ls in links.items() if cid in lines_by_customer}
    usages = budget_usages_many(link.pk for ls in customer_links.values() for link in ls)
    for customer_id, its_links in customer_links.items():
        for line, customer_invoice in sorted(lines_by_customer[customer_id], key=lambda item: (item[0].period_start, item[0].order_id)):
            day = line.period_start
            net = line_amount(line.quantity, line.unit_price)
            left = net
            rate = Decimal("0") if small_business else line.vat_rate
            parts: list[tuple[int, CustomerCostBearer, Decimal]] = []
            for position, link in enumerate(its_links, start=1):
                if left <= 0 or link.valid_from > day or (link.valid_until is not None and link.valid_until < day):
                    continue
                if link.share_percent is not None:
                    take = min(left, cents(net * link.share_percent / HUNDRED))
                else:
                    budget_end = min(last, link.valid_until) if link.valid_until else last
                    available = min(
                        cost_bearer_budget(link, on=day, usages=usages[link.pk]).remaining,
                        cost_bearer_budget(link, on=budget_end, usages=usages[link.pk]).remaining,
                    )
                    take = _net_within(available, left, rate)
                if take <= 0:
                    continue
                parts.append((position, link, take))
                usages[link.pk].append(
                    (day, line_charge(quantity=Decimal("1"), unit_price=take, vat_rate=line.vat_rate, small_business=small_business))
                )
                left -= take
            if not parts:
                continue
            for position, link, take in parts:
                key = ("bearer", link.pk)
                planned = groups.get(key)
                if planned is None:
                    planned = groups[key] = PlannedInvoice(
                        customer_id, customer_invoice.customer_name, None, "cost_bearer",
                        cost_bearer_id=link.cost_bearer_id, cost_bearer_name=link.cost_bearer.name,
                        insurance_number=link.insurance_number,
                    )
                share = _("share of %(bearer)s") % {"bearer": link.cost_bearer.name}
                planned.lines.append(PlannedLine(
                    line.order_id, f"{line.description} ({share})"[:300], Decimal("1"), take, line.vat_rate,
                    line.period_start, line.period_end, line.vat_exemption, position, link.pk,
                ))
            if left > 0:
                note = _("your part after cost bearers")
                line.description = f"{line.description} ({note})"[:300]
                line.quantity, line.unit_price = Decimal("1"), left
            else:
                customer_invoice.lines.remove(line)
    for key in [k for k, inv in groups.items() if not inv.lines]:
        del groups[key]


def _net_within(available: Decimal, left: Decimal, rate: Decimal) -> Decimal:
    """The largest net amount ≤ ``left`` whose gross (with ``rate`` %) fits into ``available``."""
    if available <= 0:
        return Decimal("0.00")
    factor = Decimal("1") + rate / HUNDRED
    if cents(left * factor) <= available:
        return left
    net = (available / factor).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
    while net > 0 and cents(net * factor) > available:
        net -= Decimal("0.01")
    return min(net, left)


def billing_plan(month, *, today: dt.date | None = None) -> RunResult:
    """What a run for ``month`` would create (nothing is written)."""
    first = parse_month(month, today=today)
    last = month_end(first)
    site = SiteSettings.load()
    billed = set(
        InvoiceLine.objects.filter(order__isnull=False, period_start__gte=first, period_start__lte=last).values_list("order_id", "period_start")
    )
    prices = price_list()
    defaults = customer_defaults()
    rates: dict[int, Decimal | None] = {}

    def hourly_rate(customer: Customer) -> Decimal | None:
        if customer.pk not in rates:
            rates[customer.pk] = customer_effective_settings(customer, defaults=defaults).hourly_rate
        return rates[customer.pk]

    links = active_cost_bearer_links(first, last)
    lines_by_customer: dict[int, list[tuple[PlannedLine, PlannedInvoice]]] = {}
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
        charge = _order_charge(order, prices, hourly_rate)
        if isinstance(charge, str):
            unpriced.append(f"“{order.title}” ({order.customer}): {charge}")
            continue
        quantity, unit_price, note = charge
        customer: Customer = order.customer
        key, grouping, location_id = _group_for(order, customer)
        planned = groups.get(key)
        if planned is None:
            planned = groups[key] = PlannedInvoice(customer.id, str(customer), location_id, grouping)
        for period in todo:
            text = _line_text(order, period)
            line = PlannedLine(
                order.id, f"{text}, {note}"[:300] if note else text, quantity, unit_price, order.vat_rate,
                period[0], period[1], order.vat_exemption,
            )
            planned.lines.append(line)
            if customer.id in links:
                lines_by_customer.setdefault(customer.id, []).append((line, planned))
    if unpriced:
        shown = "; ".join(unpriced[:10]) + (" …" if len(unpriced) > 10 else "")
        raise ValidationError(
            {"orders": _("%(count)d order(s) of this month cannot be priced: %(orders)s. Enter a price (or hours) and run again; nothing was created.")
             % {"count": len(unpriced), "orders": shown}}
        )
    if lines_by_customer:
        _split_to_cost_bearers(groups, links, lines_by_customer, site.small_business, last)
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
                    cost_bearer_id=planned.cost_bearer_id, insurance_number=planned.insurance_number,
                    period_start=first, period_end=last, small_business=result.small_business,
                    total=t.net, vat_total=t.vat, gross_total=t.gross,
                ))
            Invoice.objects.bulk_create(invoices)
            lines = [
                InvoiceLine(invoice_id=inv.pk, order_id=ln.order_id, description=ln.description, quantity=ln.quantity,
                            unit_price=ln.unit_price, vat_rate=ln.vat_rate, period_start=ln.period_start, period_end=ln.period_end,
                            vat_exemption=ln.vat_exemption, part=ln.part, charged_to_id=ln.charged_to_id)
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

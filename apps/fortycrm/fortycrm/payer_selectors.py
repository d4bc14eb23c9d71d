"""Reads of R-PAY: effective customer settings and cost-bearer budgets.

``customer_effective_settings`` is the only place that resolves a customer's settings
(own value, else the site default); ``fortycrm.selectors`` re-exports both selectors.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from fortycrm.models.payers import SETTING_NAMES, CarryOver, CustomerCostBearer, CustomerDefaults, CustomerSettings, Letterhead, ServicePrice

ZERO = Decimal("0.00")
CENT = Decimal("0.01")

#: where an effective value comes from
SOURCE_CUSTOMER = "customer"
SOURCE_DEFAULT = "default"
SOURCE_EMAIL = "customer_email"  # the invoice e-mail falls back to the customer's e-mail address
SOURCE_LABELS = {
    SOURCE_CUSTOMER: _("own value of the customer"),
    SOURCE_DEFAULT: _("default (Customer settings)"),
    SOURCE_EMAIL: _("the customer's e-mail address"),
}


@dataclass(frozen=True)
class EffectiveSettings:
    """A customer's settings as they apply, and where each value comes from (``sources``)."""

    payment_days: int
    discount_percent: Decimal
    discount_days: int | None
    letterhead: Letterhead | None
    delivery: str
    invoice_email: str
    calendar_color: str
    hourly_rate: Decimal | None
    sources: dict[str, str] = field(default_factory=dict)

    @property
    def overrides(self) -> list[str]:
        """Names the customer sets itself, in ``SETTING_NAMES`` order."""
        return [name for name in SETTING_NAMES if self.sources.get(name) == SOURCE_CUSTOMER]

    def source(self, name: str) -> str:
        return self.sources[name]

    def as_api(self) -> dict:
        """The API's ``settings`` object: decimals as strings, the letterhead as its id."""
        answer = {}
        for name in SETTING_NAMES:
            value = getattr(self, name)
            if isinstance(value, Decimal):
                value = f"{value:.2f}"
            elif isinstance(value, Letterhead):
                value = value.pk
            answer[name] = value
        return answer


def _resolve(own: CustomerSettings | None, defaults: CustomerDefaults, customer_email: str) -> EffectiveSettings:
    values, sources = {}, {}
    for name in SETTING_NAMES:
        mine = None
        if own is not None:
            mine = own.letterhead if name == "letterhead" and own.letterhead_id else (getattr(own, name) if name != "letterhead" else None)
        if mine not in (None, ""):
            values[name], sources[name] = mine, SOURCE_CUSTOMER
        elif name == "invoice_email":
            values[name], sources[name] = customer_email or "", SOURCE_EMAIL
        else:
            values[name] = defaults.letterhead if name == "letterhead" and defaults.letterhead_id else (getattr(defaults, name) if name != "letterhead" else None)
            sources[name] = SOURCE_DEFAULT
    return EffectiveSettings(**values, sources=sources)


def customer_defaults() -> CustomerDefaults:
    return CustomerDefaults.objects.select_related("letterhead").filter(pk=1).first() or CustomerDefaults.load()


def customer_effective_settings(customer, *, defaults: CustomerDefaults | None = None) -> EffectiveSettings:
    """The settings that apply to ``customer``: its own value where set, else the site default.

    Two queries (own settings with letterhead, defaults); pass ``defaults`` to save one.
    """
    own = CustomerSettings.objects.select_related("letterhead").filter(customer_id=customer.pk).first() if customer.pk else None
    return _resolve(own, defaults or customer_defaults(), customer.email)


#: ``.values()`` lookups of a customer's own settings (one LEFT JOIN), see ``customer_effective_settings_from_rows``
SETTINGS_VALUES = tuple(f"own_settings__{name}" for name in SETTING_NAMES)


def customer_effective_settings_from_rows(rows: list[dict], defaults: CustomerDefaults) -> dict[int, EffectiveSettings]:
    """Effective settings from customer ``.values()`` rows that carry ``id``, ``email`` and
    ``SETTINGS_VALUES``; a query only if some customer has its own letterhead."""
    letterhead_ids = {row["own_settings__letterhead"] for row in rows if row.get("own_settings__letterhead")}
    letterheads = Letterhead.objects.in_bulk(letterhead_ids) if letterhead_ids else {}
    answer = {}
    for row in rows:
        own = None
        values = {name: row[f"own_settings__{name}"] for name in SETTING_NAMES}
        if any(v not in (None, "") for v in values.values()):
            letterhead = letterheads.get(values.pop("letterhead"))
            own = CustomerSettings(**values, letterhead=letterhead)
        answer[row["id"]] = _resolve(own, defaults, row["email"])
    return answer


def customer_effective_settings_many(rows: Iterable[tuple[int, str]], *, defaults: CustomerDefaults | None = None) -> dict[int, EffectiveSettings]:
    """Effective settings for many customers, given as (id, e-mail): two queries in all (one with ``defaults``)."""
    rows = list(rows)
    defaults = defaults or customer_defaults()
    own = {s.customer_id: s for s in CustomerSettings.objects.select_related("letterhead").filter(customer_id__in=[pk for pk, _email in rows])}
    return {pk: _resolve(own.get(pk), defaults, email) for pk, email in rows}


# --- budgets --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Budget:
    accrued: Decimal
    used: Decimal
    expired: Decimal
    remaining: Decimal
    expiring: list[tuple[Decimal, dt.date]]  # (amount, last day it can be used), soonest first

    def as_api(self) -> dict:
        return {
            "accrued": f"{self.accrued:.2f}",
            "used": f"{self.used:.2f}",
            "remaining": f"{self.remaining:.2f}",
            "expiring": [{"amount": f"{amount:.2f}", "on": day.isoformat()} for amount, day in self.expiring],
        }


def _month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def carry_over_deadline(year: int, month: int, rule: str) -> dt.date:
    """The last day the amount of ``month`` can be used."""
    if rule == CarryOver.NEXT_JUNE:
        return dt.date(year + 1, 6, 30)
    if rule == CarryOver.YEAR_END:
        return dt.date(year, 12, 31)
    return _month_end(year, month)


def budget_compute(
    *,
    monthly: Decimal,
    valid_from: dt.date,
    valid_until: dt.date | None,
    carry_over: str,
    usages: Iterable[tuple[dt.date, Decimal]],
    on: dt.date,
) -> Budget:
    """The budget on day ``on``: every month of the assignment accrues ``monthly`` (in full, on
    its first day or on ``valid_from`` in the starting month); usages take the amounts that
    expire soonest; what is unused on its deadline expires the day after."""
    events: list[tuple[dt.date, int, Decimal, dt.date | None]] = []
    year, month = valid_from.year, valid_from.month
    while True:
        first = dt.date(year, month, 1)
        accrues = max(first, valid_from)
        if accrues > on or (valid_until is not None and accrues > valid_until):
            break
        events.append((accrues, 0, monthly, carry_over_deadline(year, month, carry_over)))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    events += [(day, 1, amount, None) for day, amount in usages if day <= on]
    events.sort(key=lambda e: (e[0], e[1]))

    pools: list[list] = []  # [amount left, deadline], soonest deadline first
    accrued = used = expired = debt = ZERO

    def expire_before(day: dt.date) -> Decimal:
        gone = sum((p[0] for p in pools if p[1] < day), ZERO)
        pools[:] = [p for p in pools if p[1] >= day]
        return gone

    for day, kind, amount, deadline in events:
        expired += expire_before(day)
        if kind == 0:
            accrued += amount
            paid = min(debt, amount)
            debt -= paid
            if amount - paid:
                pools.append([amount - paid, deadline])
                pools.sort(key=lambda p: p[1])
        else:
            used += amount
            need = amount
            for pool in pools:
                take = min(pool[0], need)
                pool[0] -= take
                need -= take
                if not need:
                    break
            pools[:] = [p for p in pools if p[0] > 0]
            debt += need
    expired += expire_before(on)
    by_day: dict[dt.date, Decimal] = {}
    for amount, deadline in pools:
        by_day[deadline] = by_day.get(deadline, ZERO) + amount
    remaining = sum(by_day.values(), ZERO) - debt
    return Budget(
        accrued=accrued.quantize(CENT), used=used.quantize(CENT), expired=expired.quantize(CENT),
        remaining=remaining.quantize(CENT), expiring=[(a.quantize(CENT), d) for d, a in sorted(by_day.items())],
    )


def line_charge(*, quantity: Decimal, unit_price: Decimal, vat_rate: Decimal, small_business: bool) -> Decimal:
    """What a line charged to a cost bearer takes from its budget: the line's gross amount
    (net rounded per line, plus its VAT; no VAT for a small business under § 19 UStG)."""
    from fortycrm.services.billing import cents, line_amount

    net = line_amount(quantity, unit_price)
    rate = Decimal("0") if small_business else Decimal(vat_rate)
    return cents(net + net * rate / Decimal("100"))


def budget_usages_many(link_ids: Iterable[int]) -> dict[int, list[tuple[dt.date, Decimal]]]:
    """``budget_usages`` for many assignments in one query: {link id: [(day, amount), …]}."""
    from fortycrm.models import InvoiceLine

    answer: dict[int, list] = {pk: [] for pk in link_ids}
    if not answer:
        return answer
    rows = (
        InvoiceLine.objects.filter(charged_to_id__in=list(answer))
        .values_list("charged_to_id", "period_start", "invoice__date", "quantity", "unit_price", "vat_rate", "invoice__small_business")
        .order_by("period_start", "id")
    )
    for link_id, start, invoice_date, quantity, unit_price, vat_rate, small_business in rows:
        answer[link_id].append(
            (start or invoice_date, line_charge(quantity=quantity, unit_price=unit_price, vat_rate=vat_rate, small_business=small_business))
        )
    return answer


def budget_usages(link: CustomerCostBearer) -> list[tuple[dt.date, Decimal]]:
    """What was charged to this assignment: (day of the service, gross amount) of every invoice
    line charged to it (drafts and issued invoices; a cancellation's negative lines give it back)."""
    if link.pk is None:
        return []
    return budget_usages_many([link.pk])[link.pk]


def cost_bearer_budget(link: CustomerCostBearer, *, on: dt.date, usages: list[tuple[dt.date, Decimal]] | None = None) -> Budget:
    """Accrued, used, remaining and expiring amounts of an assignment's budget on ``on``."""
    if link.monthly_budget is None:
        return Budget(accrued=ZERO, used=ZERO, expired=ZERO, remaining=ZERO, expiring=[])
    return budget_compute(
        monthly=link.monthly_budget,
        valid_from=link.valid_from,
        valid_until=link.valid_until,
        carry_over=link.carry_over,
        usages=budget_usages(link) if usages is None else usages,
        on=on,
    )


# --- prices ---------------------------------------------------------------------------------
def service_kind_key(kind: str) -> str:
    return " ".join((kind or "").split()).casefold()


@dataclass(frozen=True)
class PriceList:
    """The price list entries (site defaults and customers' own) the billing run looks up."""

    entries: dict[tuple[int | None, str], ServicePrice]

    def entry_for(self, customer_id: int, service_kind: str) -> ServicePrice | None:
        """The customer's own entry for the service kind, else the site default's, else None."""
        key = service_kind_key(service_kind)
        if not key:
            return None
        return self.entries.get((customer_id, key)) or self.entries.get((None, key))


def price_list(customer_ids: Iterable[int] | None = None) -> PriceList:
    """The defaults plus the entries of ``customer_ids`` (all customers when None): one query."""
    from django.db.models import Q

    qs = ServicePrice.objects.all()
    if customer_ids is not None:
        qs = qs.filter(Q(customer__isnull=True) | Q(customer_id__in=list(customer_ids)))
    return PriceList({(p.customer_id, service_kind_key(p.service_kind)): p for p in qs.order_by("id")})


def active_cost_bearer_links(first: dt.date, last: dt.date) -> dict[int, list[CustomerCostBearer]]:
    """The assignments valid on some day of [first, last], by customer id, each list by priority: one query."""
    from django.db.models import Q

    answer: dict[int, list[CustomerCostBearer]] = {}
    qs = (
        CustomerCostBearer.objects.filter(valid_from__lte=last)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=first))
        .select_related("cost_bearer")
        .order_by("customer_id", "priority", "valid_from", "id")
    )
    for link in qs:
        answer.setdefault(link.customer_id, []).append(link)
    return answer


# --- history on the customer record ---------------------------------------------------------
def _shown(record, name: str, value) -> str:
    from django.utils import formats

    from fortycrm.selectors import _display

    if isinstance(value, Decimal):
        return formats.number_format(value, 2, use_l10n=True, force_grouping=True)
    if isinstance(value, dt.date):
        return formats.date_format(value, "SHORT_DATE_FORMAT")
    return _display(record, name, value)


def _related_rows(records: list, title) -> list[dict]:
    """History rows of related records (of several objects): "title: field" old → new.

    ``records`` are historical records of one model, ``title(record)`` names the object
    (e.g. "Cost bearer AOK"). Saves that changed nothing give no row.
    """
    skip = {"id", "customer", "created_at", "updated_at"}
    by_object: dict[int, list] = {}
    for record in sorted(records, key=lambda r: (r.history_date, r.history_id)):
        by_object.setdefault(record.id, []).append(record)
    rows = []
    for versions in by_object.values():
        for older, newer in zip([None, *versions[:-1]], versions):
            who = str(newer.history_user) if newer.history_user_id else (newer.history_change_reason or _("system / API"))
            name = title(newer)
            if newer.history_type == "+":
                what = [(name, str(_("added")))]
            elif newer.history_type == "-":
                what = [(name, str(_("removed")))]
            elif older is None:
                what = [(name, str(_("changed")))]
            else:
                what = []
                for change in newer.diff_against(older, foreign_keys_are_objs=False).changes:
                    if change.field in skip:
                        continue
                    field = newer.instance._meta.get_field(change.field)
                    label = f"{name}: {getattr(field, 'verbose_name', change.field)}"
                    what.append((label, f"{_shown(older, change.field, change.old)} → {_shown(newer, change.field, change.new)}"))
                if not what:
                    continue
            rows.append({"when": newer.history_date, "who": who, "what": what})
    return rows


def customer_history(customer, *, limit: int = 15) -> list[dict]:
    """The customer's history tab: its own changes plus those of its cost-bearer assignments,
    its own settings and its own prices, newest first (a fixed number of queries)."""
    from fortycrm.selectors import history_of

    window = limit * 10  # versions read per related model (a diff needs the version before)
    links = list(
        CustomerCostBearer.history.filter(customer_id=customer.pk).select_related("history_user", "cost_bearer").order_by("-history_date")[:window]
    )
    own = list(CustomerSettings.history.filter(customer_id=customer.pk).select_related("history_user").order_by("-history_date")[:window])
    prices = list(ServicePrice.history.filter(customer_id=customer.pk).select_related("history_user").order_by("-history_date")[:window])
    bearer_word, settings_word, price_word = _("Cost bearer"), _("Settings"), _("Price")

    def bearer_title(record) -> str:
        bearer = record.cost_bearer if record.cost_bearer_id else None
        return f"{bearer_word} {bearer.name if bearer else '#' + str(record.cost_bearer_id)}"

    rows = history_of(customer, limit=limit)
    rows += _related_rows(links, bearer_title)
    rows += _related_rows(own, lambda record: str(settings_word))
    rows += _related_rows(prices, lambda record: f"{price_word} {record.service_kind}")
    rows.sort(key=lambda row: row["when"], reverse=True)
    return rows[:limit]

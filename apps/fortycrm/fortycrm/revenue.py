"""Revenue list ("Umsätze", R-BIL-4): net revenue per customer and month from issued invoices."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Sum
from django.db.models.functions import TruncMonth
from django.utils.translation import gettext as _

from fortycrm.models import Invoice
from fortycrm.services.billing_run import MONTH_RE, month_end


def _month(value: str, name: str) -> dt.date:
    match = MONTH_RE.match(value.strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise ValidationError({name: _("“%(value)s” is not a month. Enter it as YYYY-MM, for example 2026-12.") % {"value": value}})
    return dt.date(int(match.group(1)), int(match.group(2)), 1)


def _int(value: str, name: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValidationError({name: _("“%(value)s” is not an id. Send a whole number.") % {"value": value}}) from None
    if not 0 < number < 2**31:
        raise ValidationError({name: _("“%(value)s” is not an id. Send a whole number.") % {"value": value}})
    return number


@dataclass
class RevenueFilter:
    month_from: dt.date | None = None
    month_to: dt.date | None = None
    account_manager: int | None = None
    status: int | None = None
    tag: int | None = None

    @classmethod
    def from_params(cls, params) -> RevenueFilter:
        """From query parameters ``month``, ``from``, ``to`` (YYYY-MM), ``account_manager``, ``status``, ``tag`` (ids)."""
        result = cls()
        if params.get("month"):
            result.month_from = result.month_to = _month(params["month"], "month")
        if params.get("from"):
            result.month_from = _month(params["from"], "from")
        if params.get("to"):
            result.month_to = _month(params["to"], "to")
        for name in ("account_manager", "status", "tag"):
            if params.get(name):
                setattr(result, name, _int(params[name], name))
        if result.month_from and result.month_to and result.month_from > result.month_to:
            raise ValidationError({"to": _("The end month lies before the start month.")})
        return result


def revenue_queryset(flt: RevenueFilter):
    qs = Invoice.objects.filter(is_draft=False)
    if flt.month_from:
        qs = qs.filter(date__gte=flt.month_from)
    if flt.month_to:
        qs = qs.filter(date__lte=month_end(flt.month_to))
    if flt.account_manager:
        qs = qs.filter(customer__account_manager_id=flt.account_manager)
    if flt.status:
        qs = qs.filter(customer__status_id=flt.status)
    if flt.tag:
        qs = qs.filter(customer__tags__id=flt.tag)
    return qs


def revenue_rows(flt: RevenueFilter) -> tuple[list[dict], Decimal]:
    """Rows ``{customer, customer_name, month, net}`` and the net total (cancellations subtract)."""
    rows = list(
        revenue_queryset(flt)
        .annotate(month=TruncMonth("date"))
        .values("customer_id", "customer__name", "customer__last_name", "customer__first_name", "customer__number", "month")
        .annotate(net=Sum("total"))
        .order_by("month", "customer__name", "customer__last_name", "customer_id")
    )
    result = []
    total = Decimal("0.00")
    for row in rows:
        name = row["customer__name"] or " ".join(p for p in (row["customer__first_name"], row["customer__last_name"]) if p)
        month = row["month"]
        result.append({
            "customer": row["customer_id"], "customer_number": row["customer__number"], "customer_name": name,
            "month": month.strftime("%Y-%m") if month else "", "net": row["net"] or Decimal("0.00"),
        })
        total += row["net"] or 0
    return result, total


def revenue_csv(rows: list[dict], total: Decimal) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow([_("month"), _("customer number"), _("customer"), _("net revenue")])
    for row in rows:
        writer.writerow([row["month"], row["customer_number"] or "", row["customer_name"], f"{row['net']:.2f}".replace(".", ",")])
    writer.writerow([_("total"), "", "", f"{total:.2f}".replace(".", ",")])
    return out.getvalue()

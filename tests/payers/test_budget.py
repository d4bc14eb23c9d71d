"""R-PAY-1: the budget of an assignment accrues per month and carries over until its deadline.

A table of dates and expected amounts; 131 € a month (§ 45b SGB XI since 2025)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from fortycrm.payer_selectors import budget_compute, cost_bearer_budget
from tests.factories import private
from tests.payers.helpers import assign, bearer

D = dt.date
M = Decimal("131")

# (case, valid_from, valid_until, rule, usages, on, accrued, used, remaining, expiring)
TABLE = [
    ("first day", D(2025, 1, 1), None, "next_june", [], D(2025, 1, 1), "131", "0", "131", [("131", D(2026, 6, 30))]),
    ("before the start", D(2025, 1, 1), None, "next_june", [], D(2024, 12, 31), "0", "0", "0", []),
    ("whole year", D(2025, 1, 1), None, "next_june", [], D(2025, 12, 31), "1572", "0", "1572", [("1572", D(2026, 6, 30))]),
    ("year change", D(2025, 11, 1), None, "next_june", [], D(2026, 1, 1), "393", "0", "393", [("262", D(2026, 6, 30)), ("131", D(2027, 6, 30))]),
    ("deadline day keeps it", D(2025, 1, 1), None, "next_june", [], D(2026, 6, 30), "2358", "0", "2358",
     [("1572", D(2026, 6, 30)), ("786", D(2027, 6, 30))]),
    ("day after the deadline", D(2025, 1, 1), None, "next_june", [], D(2026, 7, 1), "2489", "0", "917", [("917", D(2027, 6, 30))]),
    ("mid-month start, day before", D(2025, 3, 15), None, "next_june", [], D(2025, 3, 14), "0", "0", "0", []),
    ("mid-month start, first day", D(2025, 3, 15), None, "next_june", [], D(2025, 3, 15), "131", "0", "131", [("131", D(2026, 6, 30))]),
    ("mid-month start, next month", D(2025, 3, 15), None, "next_june", [], D(2025, 4, 1), "262", "0", "262", [("262", D(2026, 6, 30))]),
    ("usage", D(2025, 1, 1), None, "next_june", [(D(2025, 2, 10), Decimal("200"))], D(2025, 2, 28), "262", "200", "62", [("62", D(2026, 6, 30))]),
    ("usage after 'on' not counted", D(2025, 1, 1), None, "next_june", [(D(2025, 3, 10), Decimal("200"))], D(2025, 2, 28), "262", "0", "262",
     [("262", D(2026, 6, 30))]),
    ("usage takes the oldest first", D(2025, 12, 1), None, "next_june", [(D(2026, 1, 15), Decimal("100"))], D(2026, 7, 1), "1048", "100", "917",
     [("917", D(2027, 6, 30))]),
    ("ends mid-month", D(2025, 1, 1), D(2025, 2, 15), "next_june", [], D(2025, 6, 1), "262", "0", "262", [("262", D(2026, 6, 30))]),
    ("no carry-over", D(2025, 1, 1), None, "none", [], D(2025, 2, 1), "262", "0", "131", [("131", D(2025, 2, 28))]),
    ("until year end", D(2025, 11, 1), None, "year_end", [], D(2026, 1, 1), "393", "0", "131", [("131", D(2026, 12, 31))]),
    ("overdrawn, then a new month", D(2025, 1, 1), None, "next_june", [(D(2025, 1, 20), Decimal("200"))], D(2025, 2, 1), "262", "200", "62",
     [("62", D(2026, 6, 30))]),
]


@pytest.mark.parametrize(
    ("case", "start", "until", "rule", "usages", "on", "accrued", "used", "remaining", "expiring"), TABLE, ids=[row[0] for row in TABLE]
)
def test_budget_table(case, start, until, rule, usages, on, accrued, used, remaining, expiring):
    budget = budget_compute(monthly=M, valid_from=start, valid_until=until, carry_over=rule, usages=usages, on=on)
    assert budget.accrued == Decimal(accrued)
    assert budget.used == Decimal(used)
    assert budget.remaining == Decimal(remaining)
    assert [(a, d) for a, d in budget.expiring] == [(Decimal(a), d) for a, d in expiring]
    assert budget.accrued - budget.used - budget.expired == budget.remaining


def test_overdraft_shows_a_negative_remaining():
    budget = budget_compute(monthly=M, valid_from=D(2025, 1, 1), valid_until=None, carry_over="next_june", usages=[(D(2025, 1, 2), Decimal("200"))], on=D(2025, 1, 31))
    assert budget.remaining == Decimal("-69")
    assert budget.expiring == []


@pytest.mark.django_db
def test_budget_of_a_stored_assignment_and_a_share_assignment():
    customer = private()
    link = assign(customer, bearer(), budget="131", valid_from=D(2025, 3, 15))
    assert cost_bearer_budget(link, on=D(2025, 4, 30)).as_api() == {
        "accrued": "262.00", "used": "0.00", "remaining": "262.00", "expiring": [{"amount": "262.00", "on": "2026-06-30"}]
    }
    share = assign(customer, bearer(name="Sozialamt", kind="authority", ik=""), share="40")
    assert cost_bearer_budget(share, on=D(2025, 4, 30)).as_api()["accrued"] == "0.00"

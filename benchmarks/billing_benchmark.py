"""Billing run benchmark (issue 11): draft invoices for a month from N customers with 2 orders each.

Creates customers (a third combine their invoices, every tenth has a location that bills
separately) and 2 orders per customer (monthly, weekly and one-off), then times the real
``billing_run`` (plan + all-or-nothing commit) for one month, deletes its drafts and times a
plain ``bulk_create`` of the same invoices and lines in the same run as the baseline, and
prints both and the ratio.

    .venv/bin/python benchmarks/billing_benchmark.py --customers 10000      # SQLite file DB in a temp site
    DATABASE_URL=mysql://root@127.0.0.1:3306/fortycrm_billbench .venv/bin/python benchmarks/billing_benchmark.py

Target: 10,000 customers / 20,000 active orders in ≤ 60 s on SQLite and MariaDB.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

MONTH = "2026-03"
TODAY = dt.date(2026, 3, 31)


def make_data(customers: int) -> int:
    from django.db import transaction

    from fortycrm.models import Customer, CustomerStatus, Location, Order

    status = CustomerStatus.objects.get(name="Kunde")
    with transaction.atomic():
        Customer.objects.bulk_create(
            [Customer(kind="company", name=f"Gebäudeservice {i} GmbH", status=status, number=100000 + i, combine_invoices=i % 3 == 0)
             for i in range(customers)], batch_size=1000,
        )
        ids = list(Customer.objects.order_by("id").values_list("id", flat=True))
        Location.objects.bulk_create(
            [Location(customer_id=cid, name=f"Objekt {n}", bill_separately=True) for n, cid in enumerate(ids) if n % 10 == 0], batch_size=1000
        )
        loc = dict(Location.objects.values_list("customer_id", "id"))
        orders = []
        for n, cid in enumerate(ids):
            for k in range(2):
                kind = ("monthly", "weekly", "once")[(n + k) % 3] if (n + k) % 10 else "once"
                start = dt.date(2026, 3, 1 + (n % 28)) if kind == "once" else dt.date(2026, 1, 1 + (n % 28))
                orders.append(Order(customer_id=cid, location_id=loc.get(cid) if k == 0 else None, title=f"Leistung {k + 1}",
                                    recurrence=kind, price=Decimal("49.90") + k, start=start))
        Order.objects.bulk_create(orders, batch_size=1000)
    return len(orders)


def wipe_invoices() -> None:
    from fortycrm.models import Invoice, InvoiceLine

    InvoiceLine.objects.all().delete()
    Invoice.objects.all().delete()


def plain_bulk(plan) -> float:
    from django.db import transaction

    from fortycrm.models import Invoice, InvoiceLine

    invoices = [Invoice(customer_id=p.customer_id, location_id=p.location_id, date=TODAY, is_draft=True) for p in plan.invoices]
    started = time.perf_counter()
    with transaction.atomic():
        Invoice.objects.bulk_create(invoices, batch_size=1000)
        InvoiceLine.objects.bulk_create(
            [InvoiceLine(invoice_id=inv.pk, order_id=ln.order_id, description=ln.description, unit_price=ln.unit_price,
                         period_start=ln.period_start, period_end=ln.period_end)
             for inv, p in zip(invoices, plan.invoices, strict=True) for ln in p.lines], batch_size=1000,
        )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=10000)
    args = parser.parse_args()
    from import_benchmark import setup_django

    site = f"billbench{os.getpid()}"
    try:
        setup_django(site)
        from django.db import connection

        from fortycrm.services.billing_run import billing_plan, billing_run

        orders = make_data(args.customers)
        started = time.perf_counter()
        result = billing_run(MONTH, today=TODAY)
        elapsed = time.perf_counter() - started
        invoices, lines = len(result.created_ids), result.line_count
        again = time.perf_counter()
        second = billing_run(MONTH, today=TODAY)
        again = time.perf_counter() - again
        plan_only = time.perf_counter()
        wipe_invoices()
        plan = billing_plan(MONTH, today=TODAY)
        plan_only = time.perf_counter() - plan_only
        baseline = plain_bulk(plan)
        print(f"database: {connection.vendor}; customers: {args.customers:,}; orders: {orders:,}")
        print(f"billing run: {invoices:,} draft invoices with {lines:,} lines in {elapsed:.1f} s ({invoices / elapsed:,.0f} invoices/s)")
        print(f"second run (idempotent): {len(second.created_ids)} created, {second.skipped_already_billed:,} skipped in {again:.1f} s")
        print(f"baseline plain bulk_create of the same invoices and lines: {baseline:.1f} s")
        print(f"ratio billing run / baseline: {elapsed / baseline:.2f}")
    finally:
        shutil.rmtree(ROOT / "sites" / site, ignore_errors=True)


if __name__ == "__main__":
    main()

"""R-BIL-5: 8 parallel issuers never hand out an invoice number twice (MariaDB, row lock on the counter)."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.db import connection, connections

from fortycrm.models import Invoice
from fortycrm.services import billing
from tests import factories

ISSUERS = 8
PER_ISSUER = 10


@pytest.mark.mariadb
@pytest.mark.django_db(transaction=True)
def test_8_parallel_issuers_get_distinct_sequential_numbers():
    if connection.vendor != "mysql":
        pytest.skip("runs against MariaDB: set DATABASE_URL=mysql://… (done by .ci/run)")
    customer = factories.company("Parallel GmbH", status="Kunde")
    drafts = [
        billing.invoice_create(
            invoice=Invoice(customer=customer, date=dt.date(2026, 1, 1)),
            lines=[{"description": "x", "quantity": Decimal("1"), "unit_price": Decimal("1.00")}],
        ).pk
        for _ in range(ISSUERS * PER_ISSUER)
    ]
    errors: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(ISSUERS)

    def issuer(index: int) -> None:
        try:
            start.wait()
            for pk in drafts[index::ISSUERS]:
                billing.invoice_issue(invoice=Invoice.objects.get(pk=pk))
        except Exception as exc:  # every failed issue is a test failure, reported below
            with lock:
                errors.append(f"issuer {index}: {exc!r}")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=issuer, args=(i,)) for i in range(ISSUERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    numbers = sorted(Invoice.objects.values_list("number", flat=True))
    assert numbers == list(range(numbers[0], numbers[0] + ISSUERS * PER_ISSUER))  # no duplicate, no gap

"""R-NUM-4: concurrent creation never yields duplicates or failed saves."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from fortycrm.models import Customer
from fortycrm.services.customers import customer_create

CLIENTS = 16
PER_CLIENT = 50


@pytest.mark.mariadb
@pytest.mark.django_db(transaction=True)
def test_16_clients_creating_numbered_customers_get_distinct_numbers():
    if connection.vendor != "mysql":
        pytest.skip("runs against MariaDB: set DATABASE_URL=mysql://… (done by .ci/run)")
    numbers: list[int] = []
    errors: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(CLIENTS)

    def client(index: int) -> None:
        try:
            start.wait()
            for n in range(PER_CLIENT):
                customer = customer_create(kind="company", name=f"Parallel {index}-{n} GmbH", status="Kunde")
                with lock:
                    numbers.append(customer.number)
        except Exception as exc:  # every failed save is a test failure, reported below
            with lock:
                errors.append(f"client {index}: {exc!r}")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(numbers) == CLIENTS * PER_CLIENT
    assert len(set(numbers)) == CLIENTS * PER_CLIENT
    assert sorted(numbers) == list(range(10000, 10000 + CLIENTS * PER_CLIENT))
    assert Customer.objects.filter(number__isnull=False).count() == CLIENTS * PER_CLIENT

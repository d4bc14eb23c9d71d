"""Custom fields benchmark (issue 9): the import with 5 custom-field columns and the API list
filtered by a choice custom field, each against its baseline measured in the same run.

1. Import: the import benchmark's CSV (company customers, status "Kunde", two tags, an
   account manager) with 5 more columns (choice, integer, decimal, date, yes/no), through
   ``import_run``; baseline: the same file without the custom-field columns.
2. Index check (in-process): the filtered COUNT and first page through the value index
   (``CustomerFieldValue``) against the same filter on the JSON column.
3. API list (page 50) under gunicorn with 2 workers, measured with ``wrk`` on loopback:
   ``?status=Kunde&cf_vertragsart=premium`` against ``?status=Kunde`` (the same list
   without the custom-field filter), alternated twice, each one's better round kept.

Targets: import ≥ 4,000 rows/s (SQLite), ≥ 2,500 (MariaDB); list ≥ 150 req/s, p95 ≤ 60 ms,
ratio filtered / unfiltered ≥ 0.6.

    .venv/bin/python benchmarks/custom_fields_benchmark.py --rows 100000
    .venv/bin/python benchmarks/custom_fields_benchmark.py --rows 10000 --list-rows 100000   # import 10k, list 100k
    DATABASE_URL=mysql://root@127.0.0.1:3306/fortycrm_fieldbench .venv/bin/python benchmarks/custom_fields_benchmark.py --rows 10000

The MariaDB database named in DATABASE_URL is dropped and created again.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "apps" / "fortycrm"))  # this checkout's app, also in a worktree

from benchmarks import api_benchmark  # noqa: E402  (sets the benchmark settings)
from benchmarks.import_benchmark import CPU, generate, make_users, run_import, setup_django, wipe  # noqa: E402

CF_HEADER = ["Vertragsart", "Fläche m²", "Verrechnungssatz", "Vertragsbeginn", "Schlüssel hinterlegt"]
CONTRACTS = ["Standard", "Premium", "Rahmenvertrag"]


def define_fields() -> None:
    from fortycrm.models import CustomField
    from fortycrm.services.custom_fields import customfield_save

    choices = [{"value": "standard", "label": "Standard"}, {"value": "premium", "label": "Premium"}, {"value": "rahmen", "label": "Rahmenvertrag"}]
    for name, label, kind, extra in (
        ("vertragsart", "Vertragsart", "select", {"choices": choices, "list_filter": True}),
        ("flaeche", "Fläche m²", "integer", {"min_value": 1}),
        ("verrechnungssatz", "Verrechnungssatz", "decimal", {}),  # "Stundensatz" is a standard column (customer settings)
        ("vertragsbeginn", "Vertragsbeginn", "date", {}),
        ("schluessel", "Schlüssel hinterlegt", "boolean", {}),
    ):
        customfield_save(field=CustomField(object_type="customer", name=name, label=label, type=kind, **extra))


def add_custom_columns(source: Path, target: Path) -> None:
    with source.open(encoding="cp1252", newline="") as f_in, target.open("w", encoding="cp1252", newline="") as f_out:
        reader = csv.reader(f_in, delimiter=";")
        writer = csv.writer(f_out, delimiter=";", lineterminator="\r\n")
        writer.writerow(next(reader) + CF_HEADER)
        for i, row in enumerate(reader, start=1):
            writer.writerow(row + [CONTRACTS[i % 3], str(50 + i % 5000), f"{20 + i % 30},50", f"{i % 28 + 1:02d}.{i % 12 + 1:02d}.2024", "ja" if i % 2 else "nein"])


def timed_import(path: Path) -> float:
    seconds, result = run_import(path)
    if not result.ok:
        for problem in result.errors[:10]:
            print(problem)
        raise SystemExit(f"import failed with {result.error_count} problems")
    return seconds


def top_up(total: int) -> None:
    """More customers for the list (status "Kunde", the 5 custom fields) up to ``total``,
    written with bulk_create plus the value index: the import is measured on ``--rows``."""
    from django.db import transaction

    from fortycrm.custom_fields import index_insert
    from fortycrm.listcache import customer_data_changed
    from fortycrm.models import Customer, CustomerStatus, NumberSequence

    have = Customer.objects.count()
    if have >= total:
        return
    started = time.perf_counter()
    status = CustomerStatus.objects.get(name="Kunde")
    number = (Customer.objects.order_by("-number").values_list("number", flat=True).first() or 9999) + 1
    for start in range(have, total, 2000):
        batch = [
            Customer(
                kind="company", name=f"Firma {i:06d} GmbH", short_name=f"Firma {i:06d}", status=status, number=number + i - have,
                street=f"Hauptstraße {i % 200 + 1}", postcode="10115", city="Berlin", email=f"info{i}@firma{i}.example",
                custom_field_data={
                    "vertragsart": ["standard", "premium", "rahmen"][i % 3], "flaeche": 50 + i % 5000, "verrechnungssatz": f"{20 + i % 30}.50",
                    "vertragsbeginn": f"2024-{i % 12 + 1:02d}-{i % 28 + 1:02d}", "schluessel": bool(i % 2),
                },
            )
            for i in range(start, min(total, start + 2000))
        ]
        with transaction.atomic():
            index_insert("customer", Customer.objects.bulk_create(batch))
    highest = Customer.objects.order_by("-number").values_list("number", flat=True).first() or 0
    NumberSequence.objects.update_or_create(key="customer", defaults={"last_value": highest})
    customer_data_changed()
    print(f"   list data: {total - have:,} more customers with the 5 custom fields in {time.perf_counter() - started:.1f} s (bulk_create)")


def index_check(rounds: int) -> None:
    """The filtered COUNT and first page: value index against the JSON column (same query otherwise)."""
    from django.db.models import Q

    from fortycrm.custom_fields import index_filter
    from fortycrm.models import Customer, CustomerStatus, CustomField

    status = CustomerStatus.objects.get(name="Kunde")
    definition = CustomField.objects.get(object_type="customer", name="vertragsart")
    for value in ("premium",):
        variants = {"index": index_filter(definition, value), "JSON": Q(custom_field_data__vertragsart=value)}
        for name, q in variants.items():
            queryset = Customer.objects.filter(status=status).filter(q)
            counts, pages = [], []
            for _ in range(rounds):
                started = time.perf_counter()
                total = queryset.count()
                counts.append(time.perf_counter() - started)
                started = time.perf_counter()
                list(queryset.order_by("-created_at", "-id").values_list("pk", flat=True)[:50])
                pages.append(time.perf_counter() - started)
            print(f"    {name:5} cf_vertragsart={value}: {total:,} rows; COUNT median {statistics.median(counts) * 1000:6.1f} ms, "
                  f"first page of 50 median {statistics.median(pages) * 1000:5.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000, help="customers imported (and listed)")
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=4, help="wrk connections (2 gunicorn workers serve them)")
    parser.add_argument("--list-rows", type=int, default=0, help="customers for the list parts 2 and 3 (default: --rows); "
                        "more than --rows are added with bulk_create after the import")
    parser.add_argument("--port", type=int, default=8109)
    args = parser.parse_args()
    api_benchmark.PORT = args.port
    site = f"fieldbench{os.getpid()}"
    workdir = Path(tempfile.mkdtemp(prefix="fortycrm-fieldbench-"))
    site_dir = ROOT / "sites" / site
    server = None
    try:
        setup_django(site)
        from django.conf import settings
        from django.db import connection

        from fortycrm.models import ApiKey, Customer, CustomerFieldValue

        settings.ALLOWED_HOSTS = ["*"]
        print(f"database: {connection.vendor} ({connection.settings_dict['NAME']}), rows: {args.rows:,}; "
              f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
        make_users()
        plain = workdir / "kunden.csv"
        generate(plain, args.rows)
        with_fields = workdir / "kunden_felder.csv"
        add_custom_columns(plain, with_fields)

        base_seconds = timed_import(plain)
        wipe()
        define_fields()
        cf_seconds = timed_import(with_fields)
        print(f"1. import without custom fields: {base_seconds:6.1f} s = {args.rows / base_seconds:7,.0f} rows/s")
        print(f"1. import with 5 custom fields:  {cf_seconds:6.1f} s = {args.rows / cf_seconds:7,.0f} rows/s "
              f"(ratio {base_seconds / cf_seconds:.2f} of the baseline's speed; index rows: {CustomerFieldValue.objects.count():,})")
        cpu_base, cpu_cf = CPU[f"insert {plain.name}"], CPU[f"insert {with_fields.name}"]
        print(f"1. CPU seconds of this process: {cpu_base:.1f} s without, {cpu_cf:.1f} s with custom fields = "
              f"{args.rows / cpu_cf:,.0f} rows per CPU second (load average {os.getloadavg()[0]:.2f}; the database server's time not included)")

        top_up(args.list_rows or args.rows)
        print("2. in-process, status=Kunde and the choice filter:")
        index_check(rounds=5)

        _obj, key = ApiKey.objects.create_key(name="bench", scope="read")
        auth = {"Authorization": f"Api-Key {key}"}
        connection.close()
        baseline = "/api/v1/customers/?status=Kunde&page_size=50"
        filtered = "/api/v1/customers/?status=Kunde&cf_vertragsart=premium&page_size=50"
        server = api_benchmark.start_gunicorn()
        status, body = api_benchmark.get(filtered, auth)
        assert status == 200, body[:300]
        page = json.loads(body)
        assert page["results"] and all(r["custom_fields"]["vertragsart"] == "premium" for r in page["results"])
        print(f"3. filter matches {page['count']:,} of {Customer.objects.count():,} customers; page of {len(page['results'])}")
        for _ in range(2):  # warm both workers
            api_benchmark.wrk(baseline, auth, 2, args.connections)
            api_benchmark.wrk(filtered, auth, 2, args.connections)
        rounds = [
            (api_benchmark.wrk(baseline, auth, args.duration, args.connections), api_benchmark.wrk(filtered, auth, args.duration, args.connections))
            for _ in range(2)
        ]
        base = max((r[0] for r in rounds), key=lambda m: m["rps"])
        cf = max((r[1] for r in rounds), key=lambda m: m["rps"])
        print(f"3. API list status=Kunde                        : {base['rps']:7.1f} req/s  p50 {base['p50']:5.1f} ms  p95 {base['p95']:5.1f} ms")
        print(f"3. API list status=Kunde&cf_vertragsart=premium : {cf['rps']:7.1f} req/s  p50 {cf['p50']:5.1f} ms  p95 {cf['p95']:5.1f} ms")
        print(f"3. ratio filtered / unfiltered: {cf['rps'] / base['rps']:.2f}   (targets: ≥ 150 req/s, p95 ≤ 60 ms, ratio ≥ 0.6)")
        print(f"load average after: {os.getloadavg()[0]:.2f}")
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=20)
        shutil.rmtree(workdir, ignore_errors=True)
        shutil.rmtree(site_dir, ignore_errors=True)


if __name__ == "__main__":
    main()

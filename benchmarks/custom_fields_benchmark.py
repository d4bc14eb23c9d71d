"""Custom fields benchmark (issue 9): import with 5 custom-field columns and the API list
filtered by a choice custom field, each against its baseline measured in the same run.

1. Import: the import benchmark's CSV (company customers, status "Kunde", two tags, an
   account manager) with 5 more columns (choice, integer, decimal, date, yes/no), through
   ``import_run``; baseline: the same file without the custom-field columns.
2. API list (page 50): ``?status=Kunde&cf_vertragsart=premium`` against ``?status=Kunde``,
   in-process through Django's test client with an API key (no gunicorn, no network), so the
   ratio shows what the custom-field filter adds to the server time.

    .venv/bin/python benchmarks/custom_fields_benchmark.py --rows 20000
    DATABASE_URL=mysql://root@127.0.0.1:3306/fortycrm_fieldbench .venv/bin/python benchmarks/custom_fields_benchmark.py --rows 20000
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.import_benchmark import generate, make_users, run_import, setup_django, wipe  # noqa: E402

CF_HEADER = ["Vertragsart", "Fläche m²", "Stundensatz", "Vertragsbeginn", "Schlüssel hinterlegt"]
CONTRACTS = ["Standard", "Premium", "Rahmenvertrag"]


def define_fields() -> None:
    from fortycrm.models import CustomField
    from fortycrm.services.custom_fields import customfield_save

    choices = [{"value": "standard", "label": "Standard"}, {"value": "premium", "label": "Premium"}, {"value": "rahmen", "label": "Rahmenvertrag"}]
    for name, label, kind, extra in (
        ("vertragsart", "Vertragsart", "select", {"choices": choices}),
        ("flaeche", "Fläche m²", "integer", {"min_value": 1}),
        ("stundensatz", "Stundensatz", "decimal", {}),
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


def api_times(client, params: dict, rounds: int) -> list[float]:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        response = client.get("/api/v1/customers/", params)
        times.append(time.perf_counter() - started)
        assert response.status_code == 200, response.content[:300]
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    site = f"fieldbench{os.getpid()}"
    workdir = Path(tempfile.mkdtemp(prefix="fortycrm-fieldbench-"))
    site_dir = ROOT / "sites" / site
    try:
        setup_django(site)
        from django.conf import settings
        from django.db import connection
        from rest_framework.test import APIClient

        from fortycrm.models import ApiKey

        settings.ALLOWED_HOSTS = ["*"]
        make_users()
        plain = workdir / "kunden.csv"
        generate(plain, args.rows)
        with_fields = workdir / "kunden_felder.csv"
        add_custom_columns(plain, with_fields)

        base_seconds = timed_import(plain)
        wipe()
        define_fields()
        cf_seconds = timed_import(with_fields)
        print(f"database: {connection.vendor}, rows: {args.rows:,}")
        print(f"import without custom fields: {base_seconds:.1f} s = {args.rows / base_seconds:,.0f} rows/s")
        print(f"import with 5 custom fields:  {cf_seconds:.1f} s = {args.rows / cf_seconds:,.0f} rows/s "
              f"(ratio {base_seconds / cf_seconds:.2f} of the baseline's speed)")

        _obj, key = ApiKey.objects.create_key(name="bench", scope="read")
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
        baseline = {"status": "Kunde"}
        filtered = {"status": "Kunde", "cf_vertragsart": "premium"}
        api_times(client, baseline, 5)
        api_times(client, filtered, 5)
        base = api_times(client, baseline, args.requests)
        cf = api_times(client, filtered, args.requests)

        def p95(values):
            return statistics.quantiles(values, n=20)[18] * 1000

        print(f"API list status=Kunde (page 50):                    {len(base) / sum(base):,.0f} req/s, p95 {p95(base):.1f} ms")
        print(f"API list status=Kunde&cf_vertragsart=premium:       {len(cf) / sum(cf):,.0f} req/s, p95 {p95(cf):.1f} ms "
              f"(ratio {sum(base) / sum(cf):.2f})")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        shutil.rmtree(site_dir, ignore_errors=True)


if __name__ == "__main__":
    main()

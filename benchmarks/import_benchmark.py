"""Import benchmark (issue 4): 100,000 company customers from a German Excel CSV.

Generates ``;``-separated Windows-1252 CSV rows (status "Kunde" → next customer number,
two tags each, an account manager), imports them through the real import path
(``fortycrm.imports.driver.import_run`` with an ImportLog, exactly what the desk job and
``manage.py fortycrm_import`` run: parse, validate every row, all-or-nothing commit with
history), then measures a plain ``bulk_create`` of the same rows into the same tables
(customers + tag links, no validation, no history) in the same run — once as multi-row
INSERT statements with ready values (the baseline of the ratio) and once with Django's
``bulk_create`` — and prints rows/s, peak RSS and the ratios.

    .venv/bin/python benchmarks/import_benchmark.py                  # SQLite file DB in a temp site
    DATABASE_URL=mysql://root@127.0.0.1:3306/fortycrm_importbench .venv/bin/python benchmarks/import_benchmark.py
    options: --rows N (default 100000)

Also measured in the same run (issue 16): the preview (dry run) of the same file before the
commit, and update mode by customer number with all rows unchanged and with 10 % changed.

Targets: SQLite ≥ 2,000 rows/s, MariaDB ≥ 1,500 rows/s, peak RSS ≤ 500 MB, ratio ≤ 3 (issue 16;
was 5), preview ≥ 2× faster than the commit, update mode with unchanged rows ≥ 1,000 rows/s.
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TAG_POOL = ["Reinigung", "Hausmeister", "Winterdienst", "Glasreinigung", "Grünpflege", "Büro", "Praxis", "Schule", "Region Nord", "Region Süd",
            "Großkunde", "Rahmenvertrag", "Wöchentlich", "Täglich", "Monatlich", "Priorität", "Neu", "Empfehlung", "Ausschreibung", "Öffentlich"]
CITIES = [("40213", "Düsseldorf"), ("80331", "München"), ("50667", "Köln"), ("01067", "Dresden"), ("70173", "Stuttgart"), ("20095", "Hamburg")]
MANAGERS = ["anna", "bernd", "carla", "dieter", "erika"]
HEADER = ["Kundennummer", "Status", "Name *", "Kurzname", "Straße", "PLZ", "Ort", "Telefon", "E-Mail", "Kundenbetreuer", "Schlagwörter", "Kunde seit"]


CPU: dict[str, float] = {}  # CPU seconds of this process per measured step (less disturbed by other load than wall time)


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def generate(path: Path, rows: int) -> None:
    with path.open("w", encoding="cp1252", newline="") as f:
        writer = csv.writer(f, delimiter=";", lineterminator="\r\n")
        writer.writerow(HEADER)
        for i in range(1, rows + 1):
            postcode, city = CITIES[i % len(CITIES)]
            tags = f"{TAG_POOL[i % 20]}, {TAG_POOL[(i * 7 + 3) % 20]}" if i % 20 != (i * 7 + 3) % 20 else f"{TAG_POOL[i % 20]}, {TAG_POOL[(i + 1) % 20]}"
            writer.writerow(
                ["", "Kunde", f"Gebäudeservice Müller {i} GmbH", f"Müller {i}", f"Hauptstraße {i % 300 + 1}", postcode, city,
                 f"0211 {100000 + i}", f"info{i}@müller-{i}.de".replace("ü", "ue"), MANAGERS[i % len(MANAGERS)], tags, f"{i % 28 + 1:02d}.{i % 12 + 1:02d}.2020"]
            )


def mariadb_recreate(url: str) -> None:
    """Drop and create the MariaDB database named in ``url`` (a fresh start for a benchmark)."""
    import dj_database_url
    import MySQLdb

    db = dj_database_url.parse(url)
    conn = MySQLdb.connect(host=db["HOST"] or "127.0.0.1", port=int(db["PORT"] or 3306), user=db["USER"] or "root", passwd=db["PASSWORD"] or "")
    cursor = conn.cursor()
    cursor.execute(f"DROP DATABASE IF EXISTS `{db['NAME']}`")
    cursor.execute(f"CREATE DATABASE `{db['NAME']}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    conn.close()


def setup_django(site: str) -> None:
    os.environ["FORTYCRM_SITE"] = site
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("mysql"):
        mariadb_recreate(url)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def make_users() -> None:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from fortycrm.setup import ROLE_OFFICE

    group = Group.objects.get(name=ROLE_OFFICE)
    for name in MANAGERS:
        user = get_user_model().objects.create_user(name, f"{name}@example.de", "x-benchmark-pw", is_staff=True)
        user.groups.add(group)


def run_import(path: Path, *, mode: str = "insert", dry_run: bool = False):
    from django.core.files import File

    from fortycrm.imports.driver import import_run
    from fortycrm.models import ImportLog

    log = ImportLog(template="company_customers", mode=mode, file_name=path.name)
    with path.open("rb") as f:
        log.file.save(path.name, File(f), save=False)
    log.save()
    started, cpu = time.perf_counter(), time.process_time()
    result = import_run(log=log, dry_run=dry_run)
    CPU[f"{mode}{' preview' if dry_run else ''} {path.name}"] = time.process_time() - cpu
    return time.perf_counter() - started, result


def generate_update(source: Path, target: Path, *, change_every: int = 0, rows: int | None = None) -> int:
    """The insert file with the customer numbers the import gave (update mode, by number);
    every ``change_every``-th row gets a new phone number. Returns the number of changed rows."""
    from fortycrm.models import Customer

    numbers = dict(Customer.objects.values_list("name", "number"))
    changed = 0
    with source.open(encoding="cp1252", newline="") as f, target.open("w", encoding="cp1252", newline="") as out:
        reader = csv.reader(f, delimiter=";")
        writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
        writer.writerow(next(reader))
        for i, row in enumerate(reader, start=1):
            if rows is not None and i > rows:
                break
            row[0] = str(numbers[row[2]])
            if change_every and i % change_every == 0:
                row[7] = f"0800 {i}"
                changed += 1
            writer.writerow(row)
    return changed


def wipe() -> None:
    """Delete the imported customers and every row that points at them (tags, history, search
    terms, custom-field index …) with plain DELETEs."""
    from django.apps import apps
    from django.db import connection, transaction

    from fortycrm.models import Customer

    children = [
        model._meta.db_table
        for model in apps.get_app_config("fortycrm").get_models(include_auto_created=True)
        if model is not Customer and any(f.many_to_one and f.related_model is Customer for f in model._meta.fields)
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        for table in (*dict.fromkeys([*children, Customer.history.model._meta.db_table]), Customer._meta.db_table):
            cursor.execute(f"DELETE FROM {connection.ops.quote_name(table)}")


def plain_bulk_insert(path: Path) -> float:
    """The same rows into the same tables with bulk_create: no checks, no history."""
    import datetime as dt

    from django.contrib.auth import get_user_model
    from django.db import transaction

    from fortycrm.models import Customer, CustomerStatus, Tag

    started, cpu = time.perf_counter(), time.process_time()
    status = CustomerStatus.objects.get(name="Kunde")
    users = {u.username: u.pk for u in get_user_model().objects.all()}
    tags = {t.name: t.pk for t in Tag.objects.all()}
    Through = Customer.tags.through
    number = 900000
    with transaction.atomic(), path.open(encoding="cp1252", newline="") as f:
        reader = csv.reader(f, delimiter=";")
        next(reader)
        batch: list[tuple[Customer, list[str]]] = []

        def flush():
            objs = Customer.objects.bulk_create([c for c, _t in batch], batch_size=1000)
            Through.objects.bulk_create([Through(customer_id=c.pk, tag_id=tags[t]) for c, (_o, names) in zip(objs, batch) for t in names], batch_size=1000)
            batch.clear()

        for row in reader:
            number += 1
            day, month, year = (int(x) for x in row[11].split("."))
            customer = Customer(
                kind="company", number=number, status_id=status.pk, name=row[2], short_name=row[3], street=row[4], postcode=row[5], city=row[6],
                phone=row[7], email=row[8], account_manager_id=users[row[9]], start_date=dt.date(year, month, day),
            )
            batch.append((customer, [t.strip() for t in row[10].split(",")]))
            if len(batch) >= 1000:
                flush()
        if batch:
            flush()
    CPU["bulk_create"] = time.process_time() - cpu
    return time.perf_counter() - started


def plain_raw_insert(path: Path) -> float:
    """The same rows into the same tables as multi-row INSERT statements with ready values:
    what the database itself needs — no Django model instances, no checks, no history."""
    import datetime as dt

    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.utils import timezone

    from fortycrm.imports.bulk_insert import insert_columns, insert_rows
    from fortycrm.models import Customer, CustomerStatus, Tag

    started, cpu = time.perf_counter(), time.process_time()
    status = CustomerStatus.objects.get(name="Kunde")
    users = {u.username: u.pk for u in get_user_model().objects.all()}
    tags = {t.name: t.pk for t in Tag.objects.all()}
    columns = insert_columns(Customer)
    names = [c.attname for c in columns]
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    defaults = {n: "" for n in names} | {"created_at": now, "updated_at": now, "kind": "company", "country": "DE", "combine_invoices": False,
                                        "custom_field_data": "{}", "end_date": None}
    Through = Customer.tags.through
    through_columns = [Through._meta.get_field("customer"), Through._meta.get_field("tag")]
    number = 900000
    with transaction.atomic(), path.open(encoding="cp1252", newline="") as f:
        reader = csv.reader(f, delimiter=";")
        next(reader)
        rows, row_tags = [], []

        def flush():
            ids = insert_rows(Customer, columns, rows, returning=True)
            insert_rows(Through, through_columns, [[pk, tags[t]] for pk, names_ in zip(ids, row_tags) for t in names_], returning=False)
            rows.clear()
            row_tags.clear()

        for row in reader:
            number += 1
            day, month, year = (int(x) for x in row[11].split("."))
            values = defaults | {"number": number, "status_id": status.pk, "name": row[2], "short_name": row[3], "street": row[4], "postcode": row[5],
                                 "city": row[6], "phone": row[7], "email": row[8], "account_manager_id": users[row[9]],
                                 "start_date": connection.ops.adapt_datefield_value(dt.date(year, month, day))}
            rows.append([values[n] for n in names])
            row_tags.append([t.strip() for t in row[10].split(",")])
            if len(rows) >= 1000:
                flush()
        if rows:
            flush()
    CPU["raw"] = time.process_time() - cpu
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--update-rows", type=int, default=20_000, help="rows of the update-mode runs (the first N of the file)")
    args = parser.parse_args()
    site = f"importbench{os.getpid()}"
    workdir = Path(tempfile.mkdtemp(prefix="fortycrm-importbench-"))
    site_dir = ROOT / "sites" / site
    try:
        setup_django(site)
        from django.db import connection

        from fortycrm.models import Customer

        make_users()
        csv_path = workdir / "kunden.csv"
        generate(csv_path, args.rows)
        size_mb = csv_path.stat().st_size / 1024 / 1024
        rss_before = rss_mb()

        dry_seconds, dry = run_import(csv_path, dry_run=True)
        assert dry.ok and dry.created == args.rows and Customer.objects.count() == 0, (dry.error_count, dry.errors[:3])
        seconds, result = run_import(csv_path)
        rss_peak = rss_mb()
        if not result.ok:
            for problem in result.errors[:10]:
                print(problem)
            raise SystemExit(f"import failed with {result.error_count} problems")
        customers = Customer.objects.count()
        links = Customer.tags.through.objects.count()
        history = Customer.history.count()
        assert customers == args.rows and links == 2 * args.rows and history == args.rows, (customers, links, history)
        numbered = Customer.objects.filter(number__isnull=False).values("number").distinct().count()
        assert numbered == args.rows, numbered

        history_before = Customer.history.count()
        same_path, changed_path = workdir / "kunden_gleich.csv", workdir / "kunden_10_prozent.csv"
        update_rows = min(args.update_rows, args.rows)
        generate_update(csv_path, same_path, rows=update_rows)
        expected_changes = generate_update(csv_path, changed_path, change_every=10, rows=update_rows)
        same_seconds, same = run_import(same_path, mode="update")
        assert same.ok and (same.updated, same.unchanged) == (0, update_rows), (same.updated, same.unchanged, same.errors[:3])
        assert Customer.history.count() == history_before
        changed_seconds, changed = run_import(changed_path, mode="update")
        assert changed.ok and (changed.updated, changed.unchanged) == (expected_changes, update_rows - expected_changes), (changed.updated, changed.unchanged)
        assert Customer.history.count() == history_before + expected_changes

        wipe()
        raw_seconds = plain_raw_insert(csv_path)
        assert Customer.objects.count() == args.rows and Customer.tags.through.objects.count() == 2 * args.rows
        wipe()
        base_seconds = plain_bulk_insert(csv_path)
        assert Customer.objects.count() == args.rows

        vendor = f"{connection.vendor} {connection.Database.sqlite_version if connection.vendor == 'sqlite' else connection.mysql_server_info}"
        rate, base_rate, raw_rate = args.rows / seconds, args.rows / base_seconds, args.rows / raw_seconds
        print(f"database             {vendor}")
        print(f"rows                 {args.rows:,} (CSV {size_mb:.1f} MB, ';' Windows-1252, 2 tags + account manager each)")
        print(f"import               {seconds:8.1f} s   {rate:8,.0f} rows/s   (parse, checks, numbers, tags, history; one transaction)")
        print(f"plain bulk insert    {raw_seconds:8.1f} s   {raw_rate:8,.0f} rows/s   (multi-row INSERTs of the same rows and tag links, values ready)")
        print(f"Django bulk_create   {base_seconds:8.1f} s   {base_rate:8,.0f} rows/s   (bulk_create of the same rows and tag links)")
        print(f"preview (dry run)    {dry_seconds:8.1f} s   {args.rows / dry_seconds:8,.0f} rows/s   (the same file checked, nothing written; "
              f"commit / preview = {seconds / dry_seconds:.2f}, target >= 2)")
        print(f"update, unchanged    {same_seconds:8.1f} s   {update_rows / same_seconds:8,.0f} rows/s   ({update_rows:,} rows again by customer number: "
              f"0 changed, no history; target >= 1,000 rows/s on SQLite)")
        print(f"update, 10 % changed {changed_seconds:8.1f} s   {update_rows / changed_seconds:8,.0f} rows/s   "
              f"({expected_changes:,} new phone numbers: {expected_changes:,} changed, {expected_changes:,} history rows)")
        print(f"ratio                {seconds / raw_seconds:8.2f}   (import time / plain bulk insert time; target <= 3)")
        print(f"ratio to bulk_create {seconds / base_seconds:8.2f}")
        cpu_import, cpu_raw = CPU[f"insert {csv_path.name}"], CPU["raw"]
        print(f"CPU time             import {cpu_import:.1f} s, preview {CPU[f'insert preview {csv_path.name}']:.1f} s, "
              f"update unchanged {CPU[f'update {same_path.name}']:.1f} s, update 10 % {CPU[f'update {changed_path.name}']:.1f} s, "
              f"plain insert {cpu_raw:.1f} s, bulk_create {CPU['bulk_create']:.1f} s (this process only; the database server's time not included)")
        print(f"CPU ratios           import / plain insert {cpu_import / cpu_raw:.2f}, "
              f"commit / preview {cpu_import / CPU[f'insert preview {csv_path.name}']:.2f}, "
              f"update unchanged {update_rows / CPU[f'update {same_path.name}']:,.0f} rows per CPU second")
        print(f"load average         {os.getloadavg()[0]:.1f} (2 cores; figures above are wall time)")
        print(f"peak RSS             {rss_peak:8.0f} MB (before import {rss_before:.0f} MB; target <= 500)")
        print(f"checked              {customers:,} customers, {links:,} tag links, {history:,} history rows, {numbered:,} distinct numbers")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        shutil.rmtree(site_dir, ignore_errors=True)  # SQLite file and the uploaded copy of the CSV


if __name__ == "__main__":
    main()

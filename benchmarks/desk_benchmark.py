#!/usr/bin/env python
"""Desk benchmark (issue 13): every desk page at 100,000 customers, server time in-process.

    .venv/bin/python benchmarks/desk_benchmark.py                    # SQLite file DB (site "desk-bench")
    DATABASE_URL=mysql://root@127.0.0.1:3306/fortycrm_deskbench .venv/bin/python benchmarks/desk_benchmark.py
    options: --customers N (default 100000), --reuse (keep an existing data set of that size),
             --only TEXT (only the pages whose label contains TEXT), --all-sorts (also every
             sortable column of every list, ascending and descending)

Data: N company customers imported through the real import (``import_run``: CSV, all rows
validated, bulk insert with history, tags, search terms), two tags each, three statuses,
five account managers; then, per customer, one contact (N), every second customer a location
(N/2) with a meter, N readings, N/2 orders and N/2 invoices (``bulk_create``: the row
importers of those templates go row by row through the services and would take hours at
this size; the contacts' search terms are then built by ``fortycrm.search.terms_refresh``,
the same function the contact signals call). One big customer has 500 contacts, 200
locations and 5,000 readings.

Measures with Django's test client (signed-in superuser, German): per page one warm-up,
then the median of 5 requests; beside it the bare ``.values()`` query of the same 50 rows
(median of 5) measured in the same run, and the ratio; the number of queries and their
summed time (a cold request after a warm-up). Then every SELECT a page ran with
ORDER BY is EXPLAINed (MariaDB ``EXPLAIN``, SQLite ``EXPLAIN QUERY PLAN``): a plan that sorts
(``Using filesort`` / ``USE TEMP B-TREE FOR ORDER BY``) over the large tables is reported.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import re
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "apps" / "fortycrm"))

TAGS = ["VIP", "Nord", "Süd", "Ost", "West", "Reinigung", "Hausmeister", "Pflege", "Winterdienst", "Garten"]
CITIES = [("10115", "Berlin"), ("20095", "Hamburg"), ("80331", "München"), ("50667", "Köln"), ("60311", "Frankfurt")]
NAMES = ["Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz", "Hoffmann", "Straßburger"]
MANAGERS = ["anna", "bernd", "carla", "dieter", "erika"]
HEADER = ["Kundennummer", "Status", "Name *", "Kurzname", "Straße", "PLZ", "Ort", "E-Mail", "Kundenbetreuer", "Schlagwörter"]
BIG = "Großkunde Müller & Söhne GmbH"


def setup(site: str, reuse: bool) -> None:
    os.environ["FORTYCRM_SITE"] = site
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("mysql") and not reuse:
        from benchmarks.import_benchmark import mariadb_recreate

        mariadb_recreate(url)
    elif not url and not reuse:
        db_file = ROOT / "sites" / site / "db.sqlite3"
        if db_file.exists():
            db_file.unlink()
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def build(n: int) -> None:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.core.files import File
    from django.db import transaction
    from django.utils import timezone

    from fortycrm import search
    from fortycrm.imports.driver import import_run
    from fortycrm.listcache import customer_data_changed
    from fortycrm.models import Assignment, Contact, Customer, ImportLog, Invoice, Location, Meter, MeterReading, Order
    from fortycrm.setup import ROLE_OFFICE

    User = get_user_model()
    group = Group.objects.get(name=ROLE_OFFICE)
    for name in MANAGERS:
        user = User.objects.create_user(name, f"{name}@example.de", "x-benchmark-pw", first_name=name.title(), last_name="Beispiel")
        user.groups.add(group)
    User.objects.create_superuser("bench", "bench@example.de", "x-benchmark-pw")

    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "kunden.csv"
        with path.open("w", encoding="utf-8", newline="") as f:
            writer = csv.writer(f, delimiter=";")
            writer.writerow(HEADER)
            for i in range(n):
                postcode, city = CITIES[i % 5]
                family = NAMES[i % len(NAMES)]
                status = ("Interessent", "Kunde", "Kunde")[i % 3]
                writer.writerow(["", status, f"{family} Gebäudeservice {i:06d} GmbH", f"{family} {i:06d}", f"Hauptstraße {i % 200 + 1}",
                                 postcode, city, f"info{i}@firma{i}.example", MANAGERS[i % 5], f"{TAGS[i % 10]}, {TAGS[(i * 7 + 3) % 10]}"])
            writer.writerow(["", "Kunde", BIG, "Müller & Söhne", "Straße des 17. Juni 1", "10623", "Berlin", "info@mueller-soehne.example", "anna", "VIP"])
        log = ImportLog(template="company_customers", mode="insert", file_name=path.name)
        with path.open("rb") as f:
            log.file.save(path.name, File(f), save=False)
        log.save()
        result = import_run(log=log, dry_run=False)
        if result.error_count:
            raise SystemExit(f"import failed: {result.problems[:3]}")
    print(f"data: imported {n + 1} customers in {time.perf_counter() - started:.1f} s")

    started = time.perf_counter()
    now = timezone.now()
    ids = list(Customer.objects.order_by("pk").values_list("pk", flat=True))
    big = Customer.objects.get(name=BIG)
    ids.remove(big.pk)
    users = list(User.objects.filter(username__in=MANAGERS))
    batch = 5000
    for start in range(0, len(ids), batch):
        chunk = ids[start : start + batch]
        with transaction.atomic():
            contacts = Contact.objects.bulk_create([
                Contact(customer_id=pk, first_name=("Hans", "Jörg", "Grete", "Uwe")[pk % 4], last_name=f"{NAMES[(pk + 3) % len(NAMES)]}",
                        email=f"kontakt{pk}@firma.example", priority=1) for pk in chunk
            ])
            locations = Location.objects.bulk_create([
                Location(customer_id=pk, name=f"Objekt {pk}", street="Am Markt 1", postcode="10115", city="Berlin", bill_separately=pk % 50 == 0)
                for pk in chunk[::2]
            ])
            meters = Meter.objects.bulk_create([
                Meter(location=loc, kind=("electricity", "gas", "water", "heat")[k % 4], number=f"Z{loc.pk:08d}", unit="kWh")
                for k, loc in enumerate(locations)
            ])
            MeterReading.objects.bulk_create([
                MeterReading(meter=m, read_at=now - dt.timedelta(days=30 * r + k % 30), value=Decimal(1000 + 100 * (2 - r)), is_exchange=k % 97 == 0 and r == 0)
                for k, m in enumerate(meters) for r in range(2)
            ])
            orders = Order.objects.bulk_create([
                Order(customer_id=loc.customer_id, location=loc, title="Unterhaltsreinigung", recurrence=("monthly", "once")[k % 2],
                      price=Decimal("58.00"), start=(now - dt.timedelta(days=k % 400)).date())
                for k, loc in enumerate(locations)
            ])
            Invoice.objects.bulk_create([
                Invoice(customer_id=pk, date=(now - dt.timedelta(days=pk % 365)).date(), is_draft=pk % 10 == 0,
                        number=None if pk % 10 == 0 else 2026000000 + pk, total=Decimal("58.00"), gross_total=Decimal("69.02"))
                for pk in chunk[1::2]
            ])
            Assignment.objects.bulk_create([Assignment(location=loc, user=users[k % 5], start=now.date()) for k, loc in enumerate(locations[::10])])
            search.terms_refresh(chunk)
            search.record_terms_refresh("contact", [c.pk for c in contacts])
            search.record_terms_refresh("location", [loc.pk for loc in locations])
            search.record_terms_refresh("meter", [m.pk for m in meters])
            search.record_terms_refresh("order", [o.pk for o in orders])
    # the big customer: 500 contacts, 200 locations, 5,000 readings
    with transaction.atomic():
        contacts = Contact.objects.bulk_create([Contact(customer=big, first_name=f"Person{k}", last_name=NAMES[k % len(NAMES)], priority=k % 5 + 1) for k in range(500)])
        locations = Location.objects.bulk_create([Location(customer=big, name=f"Filiale {k:03d}", city="Berlin") for k in range(200)])
        meters = Meter.objects.bulk_create([Meter(location=locations[0], kind="electricity", number=f"BIG{k}", unit="kWh") for k in range(10)])
        MeterReading.objects.bulk_create([
            MeterReading(meter=m, read_at=now - dt.timedelta(days=r), value=Decimal(100000 - r)) for m in meters for r in range(500)
        ])
        contacts += Contact.objects.bulk_create([Contact(customer=big, location=locations[0], first_name="Vor", last_name=f"Ort {k}") for k in range(30)])
        search.terms_refresh([big.pk])
        search.record_terms_refresh("contact", [c.pk for c in contacts])
        search.record_terms_refresh("location", [loc.pk for loc in locations])
        search.record_terms_refresh("meter", [m.pk for m in meters])
    customer_data_changed()
    print(f"data: child rows in {time.perf_counter() - started:.1f} s")


def pages(n: int) -> list[tuple[str, str, object]]:
    """(label, url, baseline) per page; the baseline runs the bare .values() query of the page."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from fortycrm.models import Contact, Customer, CustomerStatus, ImportLog, Invoice, Location, Meter, MeterReading, Order, Tag
    from fortycrm.search import customer_search_q, list_search_q

    big = Customer.objects.get(name=BIG)
    location = Location.objects.filter(customer=big).order_by("pk").first()
    meter = Meter.objects.filter(location=location).order_by("pk").first()
    tag = Tag.objects.get(name="Winterdienst")
    status = CustomerStatus.objects.get(name="Kunde")
    anna = get_user_model().objects.get(username="anna")
    deep = max(2, n // 100)  # page 1000 at 100,000 customers
    C = "/desk/fortycrm/customer/"
    cols = ("id", "kind", "number", "name", "short_name", "first_name", "last_name", "status__name", "status__color", "account_manager_id", "city")

    def rows(qs, page=1, fields=("id",)):
        return lambda: list(qs.values(*fields)[(page - 1) * 50 : page * 50])

    customers = Customer.objects.order_by("-created_at", "-id")

    def o(model, column) -> str:
        """The ``o`` parameter that sorts the model's desk list by ``column``."""
        from django.contrib import admin

        model_admin = admin.site._registry[model]
        names = (["action_checkbox"] if model_admin.actions is not None else []) + list(model_admin.list_display)
        return f"o={names.index(column)}"

    week = (timezone.localdate() - dt.timedelta(days=7)).isoformat()
    return [
        ("start page", "/desk/", lambda: list(CustomerStatus.objects.values("pk", "name"))),
        ("customers", C, rows(customers, fields=cols)),
        ("customers: tag", f"{C}?tags__id__exact={tag.pk}", rows(customers.filter(tags=tag), fields=cols)),
        ("customers: status", f"{C}?status__id__exact={status.pk}", rows(customers.filter(status=status), fields=cols)),
        ("customers: manager", f"{C}?account_manager__id__exact={anna.pk}", rows(customers.filter(account_manager=anna), fields=cols)),
        ("customers: kind", f"{C}?kind__exact=company", rows(customers.filter(kind="company"), fields=cols)),
        ("customers: search name", f"{C}?q=muller", rows(customers.filter(customer_search_q("muller")), fields=cols)),
        ("customers: search Strasse", f"{C}?q=Strassburger+0001", rows(customers.filter(customer_search_q("Strassburger 0001")), fields=cols)),
        ("customers: search contact", f"{C}?q=Jorg+Weber", rows(customers.filter(customer_search_q("Jorg Weber")), fields=cols)),
        ("customers: search number", f"{C}?q=1003", rows(customers.filter(customer_search_q("1003")), fields=cols)),
        ("customers: sort number", f"{C}?{o(Customer, 'number_display')}", rows(Customer.objects.order_by("number", "id"), fields=cols)),
        ("customers: sort name", f"{C}?{o(Customer, 'name_display')}", rows(Customer.objects.order_by("name", "id"), fields=cols)),
        ("customers: sort status", f"{C}?{o(Customer, 'status_badge')}", rows(Customer.objects.order_by("status_id", "id"), fields=cols)),
        ("customers: sort manager", f"{C}?{o(Customer, 'account_manager_display')}", rows(Customer.objects.order_by("account_manager_id", "id"), fields=cols)),
        ("customers: sort city", f"{C}?{o(Customer, 'city')}", rows(Customer.objects.order_by("city", "id"), fields=cols)),
        (f"customers: page {deep}", f"{C}?p={deep}", rows(customers, deep, cols)),
        (f"customers: tag, page {deep // 5}", f"{C}?tags__id__exact={tag.pk}&p={deep // 5}", rows(customers.filter(tags=tag), deep // 5, cols)),
        ("customer record (500 contacts, 200 locations)", f"{C}{big.pk}/change/", lambda: list(Customer.objects.filter(pk=big.pk).values())),
        ("customer record: tab Ansprechpartner (loaded when opened)", f"{C}{big.pk}/tab/contacts/", lambda: list(Contact.objects.filter(customer=big).values()[:3])),
        ("customer record: tab Objekte (loaded when opened)", f"{C}{big.pk}/tab/locations/", lambda: list(Location.objects.filter(customer=big).values()[:5])),
        ("customer add page", f"{C}add/", lambda: list(CustomerStatus.objects.values("pk", "name"))),
        ("customer history", f"{C}{big.pk}/history/", lambda: list(Customer.history.filter(id=big.pk).values()[:100])),
        ("contacts", "/desk/fortycrm/contact/", rows(Contact.objects.order_by("customer_id", "priority", "last_name", "id"))),
        ("contacts: kind", "/desk/fortycrm/contact/?customer__kind__exact=company", rows(Contact.objects.filter(customer__kind="company").order_by("customer_id", "priority", "last_name", "id"))),
        ("contacts: search muller", "/desk/fortycrm/contact/?q=muller", rows(Contact.objects.filter(list_search_q("contact", "muller")).order_by("customer_id", "priority", "last_name", "id"))),
        ("contacts: search Jorg Weber", "/desk/fortycrm/contact/?q=Jorg+Weber", rows(Contact.objects.filter(list_search_q("contact", "Jorg Weber")).order_by("customer_id", "priority", "last_name", "id"))),
        ("contacts: one customer's (500)", f"/desk/fortycrm/contact/?customer__id__exact={big.pk}", rows(Contact.objects.filter(customer=big).order_by("customer_id", "priority", "last_name", "id"))),
        ("contacts: sort e-mail", f"/desk/fortycrm/contact/?{o(Contact, 'email')}", rows(Contact.objects.order_by("email", "id"))),
        (f"contacts: page {deep}", f"/desk/fortycrm/contact/?p={deep}", rows(Contact.objects.order_by("customer_id", "priority", "last_name", "id"), deep)),
        ("locations", "/desk/fortycrm/location/", rows(Location.objects.order_by("customer_id", "name", "id"))),
        ("locations: bill separately", "/desk/fortycrm/location/?bill_separately__exact=1", rows(Location.objects.filter(bill_separately=True).order_by("customer_id", "name", "id"))),
        ("locations: employee", f"/desk/fortycrm/location/?assignments__user__id__exact={anna.pk}", rows(Location.objects.filter(assignments__user=anna).order_by("customer_id", "name", "id"))),
        ("locations: search Objekt 1234", "/desk/fortycrm/location/?q=Objekt+1234", rows(Location.objects.filter(list_search_q("location", "Objekt 1234")).order_by("customer_id", "name", "id"))),
        ("locations: sort name", f"/desk/fortycrm/location/?{o(Location, 'name')}", rows(Location.objects.order_by("name", "id"))),
        (f"locations: page {deep // 2}", f"/desk/fortycrm/location/?p={deep // 2}", rows(Location.objects.order_by("customer_id", "name", "id"), deep // 2)),
        ("location record (5,000 readings)", f"/desk/fortycrm/location/{location.pk}/change/", lambda: list(Location.objects.filter(pk=location.pk).values())),
        ("location record: tab Zähler (loaded when opened)", f"/desk/fortycrm/location/{location.pk}/tab/meters/", lambda: list(Meter.objects.filter(location=location).values()[:3])),
        ("meters", "/desk/fortycrm/meter/", rows(Meter.objects.order_by("location_id", "kind", "number", "id"))),
        ("meters: kind", "/desk/fortycrm/meter/?kind__exact=gas", rows(Meter.objects.filter(kind="gas").order_by("location_id", "kind", "number", "id"))),
        ("meters: search number", "/desk/fortycrm/meter/?q=Z0000123", rows(Meter.objects.filter(list_search_q("meter", "Z0000123")).order_by("location_id", "number", "id"))),
        ("meters: sort number", f"/desk/fortycrm/meter/?{o(Meter, 'number')}", rows(Meter.objects.order_by("number", "id"))),
        (f"meters: page {deep // 2}", f"/desk/fortycrm/meter/?p={deep // 2}", rows(Meter.objects.order_by("location_id", "kind", "number", "id"), deep // 2)),
        ("meter record (500 readings)", f"/desk/fortycrm/meter/{meter.pk}/change/", lambda: list(MeterReading.objects.filter(meter=meter).values()[:20])),
        ("readings", "/desk/fortycrm/meterreading/", rows(MeterReading.objects.order_by("-read_at", "-id"))),
        ("readings: exchange", "/desk/fortycrm/meterreading/?exchange=yes", rows(MeterReading.objects.filter(is_exchange=True).order_by("-read_at", "-id"))),
        ("readings: last 7 days", f"/desk/fortycrm/meterreading/?read_at__gte={week}", rows(MeterReading.objects.filter(read_at__gte=week).order_by("-read_at", "-id"))),
        ("readings: one meter's (500)", f"/desk/fortycrm/meterreading/?meter__id__exact={meter.pk}", rows(MeterReading.objects.filter(meter=meter).order_by("-read_at", "-id"))),
        ("readings: search meter number", "/desk/fortycrm/meterreading/?q=Z0000123", rows(MeterReading.objects.filter(list_search_q("reading", "Z0000123")).order_by("-read_at", "-id"))),
        ("readings: sort meter", f"/desk/fortycrm/meterreading/?{o(MeterReading, 'meter_link')}", rows(MeterReading.objects.order_by("meter_id", "id"))),
        (f"readings: page {deep}", f"/desk/fortycrm/meterreading/?p={deep}", rows(MeterReading.objects.order_by("-read_at", "-id"), deep)),
        ("orders", "/desk/fortycrm/order/", rows(Order.objects.order_by("-start", "-id"))),
        ("orders: active", "/desk/fortycrm/order/?active=yes", rows(Order.objects.filter(start__lte=timezone.localdate()).order_by("-start", "-id"))),
        ("orders: monthly", "/desk/fortycrm/order/?recurrence__exact=monthly", rows(Order.objects.filter(recurrence="monthly").order_by("-start", "-id"))),
        ("orders: search customer", "/desk/fortycrm/order/?q=weber", rows(Order.objects.filter(list_search_q("order", "weber")).order_by("-start", "-id"))),
        ("orders: sort customer", f"/desk/fortycrm/order/?{o(Order, 'customer')}", rows(Order.objects.order_by("customer_id", "id"))),
        (f"orders: page {deep // 2}", f"/desk/fortycrm/order/?p={deep // 2}", rows(Order.objects.order_by("-start", "-id"), deep // 2)),
        ("invoices", "/desk/fortycrm/invoice/", rows(Invoice.objects.order_by("-number", "-id"))),
        ("invoices: drafts", "/desk/fortycrm/invoice/?is_draft__exact=1", rows(Invoice.objects.filter(is_draft=True).order_by("-number", "-id"))),
        ("invoices: search number", "/desk/fortycrm/invoice/?q=2026000123", rows(Invoice.objects.filter(number=2026000123).order_by("-number", "-id"))),
        ("invoices: sort date", f"/desk/fortycrm/invoice/?{o(Invoice, 'date')}", rows(Invoice.objects.order_by("date", "id"))),
        (f"invoices: page {deep // 2}", f"/desk/fortycrm/invoice/?p={deep // 2}", rows(Invoice.objects.order_by("-number", "-id"), deep // 2)),
        ("import log", "/desk/fortycrm/importlog/", rows(ImportLog.objects.order_by("-created_at", "-id"))),
    ]


#: the desk lists whose every sortable column ``--all-sorts`` measures (model names)
SORTED_LISTS = ("customer", "contact", "location", "meter", "meterreading", "order", "invoice", "importlog")


def sort_pages() -> list[tuple[str, str, None]]:
    """(label, url, None) for every sortable column of every desk list, ascending and descending:
    a column is sortable where Django's change list lets a click on its header sort it (a model
    field, or ``ordering`` of ``@admin.display``), within ``sortable_by`` when that is set."""
    from django.contrib import admin
    from django.core.exceptions import FieldDoesNotExist

    found = []
    for model, model_admin in admin.site._registry.items():
        if model._meta.model_name not in SORTED_LISTS:
            continue
        names = (["action_checkbox"] if model_admin.actions is not None else []) + list(model_admin.list_display)
        url = f"/desk/{model._meta.app_label}/{model._meta.model_name}/"
        for index, name in enumerate(names):
            if name == "action_checkbox" or (model_admin.sortable_by is not None and name not in model_admin.sortable_by):
                continue
            try:
                model._meta.get_field(name)
                sortable = True
            except FieldDoesNotExist:
                attr = name if callable(name) else getattr(model_admin, name, None) or getattr(model, name, None)
                sortable = getattr(getattr(attr, "fget", attr), "admin_order_field", None) is not None
            if sortable:
                for sign, direction in (("", "ascending"), ("-", "descending")):
                    found.append((f"{model._meta.model_name}: sort {name} {direction}", f"{url}?o={sign}{index}", None))
    return found


def timed(fn, repeat: int = 5, *, cpu: list | None = None) -> float:
    """Median wall time in ms; with ``cpu`` the median CPU time of this process is appended to it
    (on a shared machine the CPU time says more than the wall time)."""
    fn()  # warm-up
    samples, cpu_samples = [], []
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
        cpu_samples.append((time.process_time() - c0) * 1000)
    if cpu is not None:
        cpu.append(statistics.median(cpu_samples))
    return statistics.median(samples)


class Recorder:
    """An execute wrapper that keeps every query with its time (survives connection closes)."""

    def __init__(self) -> None:
        self.queries: list[dict] = []

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            if not many:
                self.queries.append({"sql": sql, "params": params, "time": time.perf_counter() - started})


BIG_TABLES = ("customer", "contact", "location", "meter", "meterreading", "order", "invoice", "customersearchterm")


def sorting_plans(queries: list[dict]) -> list[str]:
    """Page queries with ORDER BY over a large table whose plan sorts rows."""
    from django.db import connection

    bad = []
    for query in queries:
        sql = query["sql"]
        if not sql.startswith("SELECT") or "ORDER BY" not in sql or not any(f"fortycrm_{t}" in sql for t in BIG_TABLES):
            continue
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                cursor.execute(f"EXPLAIN QUERY PLAN {sql}", query["params"])
                plan = " | ".join(str(row[-1]) for row in cursor.fetchall())
                # a sort after scanning a large table (sorting the 50 rows of a page read by id is fine)
                scans = any(re.search(rf"SCAN fortycrm_{t}( |$)", part) for part in plan.split(" | ") for t in BIG_TABLES)
                sorts = "TEMP B-TREE FOR" in plan and "ORDER BY" in plan and scans
            else:
                cursor.execute(f"EXPLAIN {sql}", query["params"])
                names = [c[0] for c in cursor.description]
                rows = [dict(zip(names, row)) for row in cursor.fetchall()]
                plan = " | ".join(f"{r['table']}:{r['type']}:{r['key']}:{r['rows']}:{r['Extra']}" for r in rows)
                sorts = any("filesort" in (r["Extra"] or "") and int(r["rows"] or 0) > 1000 for r in rows)
        if sorts:
            bad.append(f"{sql[:160]} … → {plan}")
    return bad


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--reuse", action="store_true", help="keep the data set of an earlier run")
    parser.add_argument("--only", default="", help="measure only the pages whose label contains this text (e.g. 'search')")
    parser.add_argument("--all-sorts", action="store_true", help="also every sortable column of every list, both directions (no baseline)")
    args = parser.parse_args()
    setup("desk-bench", args.reuse)
    from django.db import connection
    from django.test import Client
    from django.utils import translation

    from fortycrm.models import Customer

    if not (args.reuse and Customer.objects.exists()):
        build(args.customers)
    n = Customer.objects.count()
    with connection.cursor() as cursor:  # fresh statistics after the bulk load, as a running database has them
        if connection.vendor == "sqlite":
            cursor.execute("ANALYZE")
        else:
            cursor.execute("ANALYZE TABLE " + ", ".join(f"fortycrm_{t}" for t in (*BIG_TABLES, "customer_tags")))
            cursor.fetchall()
    from django.conf import settings

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    client = Client(HTTP_ACCEPT_LANGUAGE="de")
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.get(username="bench"))
    translation.activate("de")
    print(f"\n{connection.vendor}, {n} customers; server time in ms, median of 5 after a warm-up; load average {os.getloadavg()[0]:.1f}\n")
    print("| page | desk ms | CPU ms | bare .values() ms | ratio | queries | SQL ms |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    problems, slow = [], []
    for label, url, baseline in [*pages(n), *(sort_pages() if args.all_sorts else [])]:
        if args.only not in label:
            continue
        client.get(url)  # warm-up (caches, templates)
        captured = Recorder()
        with connection.execute_wrapper(captured):
            response = client.get(url)
        if response.status_code != 200:
            problems.append(f"{label}: HTTP {response.status_code}")
            continue
        cpu: list[float] = []
        desk = timed(lambda url=url: client.get(url), cpu=cpu)
        base = timed(baseline) if baseline is not None else float("nan")
        ratio = desk / base if base > 0.05 else float("nan")
        sql_ms = sum(q["time"] for q in captured.queries) * 1000
        print(f"| {label} | {desk:.1f} | {cpu[0]:.1f} | {base:.1f} | {ratio:.1f} | {len(captured.queries)} | {sql_ms:.1f} |".replace("nan", "–"))
        slowest = max(captured.queries, key=lambda q: q["time"], default=None)
        if slowest and slowest["time"] > 0.02:
            slow.append(f"{label}: {slowest['time'] * 1000:.0f} ms {slowest['sql'][:300]}")
        for plan in sorting_plans(captured.queries):
            problems.append(f"{label}: sorts all rows: {plan}")
    print()
    if slow:
        print("slowest query of pages whose SQL took longer than 20 ms:")
        for line in slow:
            print(" -", line)
    if problems:
        print("plans / answers to look at:")
        for problem in problems:
            print(" -", problem)
    else:
        print("EXPLAIN: no page query sorts rows of a large table; every page answered 200")


if __name__ == "__main__":
    main()

#!/usr/bin/env python
"""API benchmark (issue 5): customer list and customer creation under gunicorn.

    .venv/bin/python benchmarks/api_benchmark.py                      # SQLite (site "api-bench")
    DATABASE_URL=mysql://root@127.0.0.1:3306/fortycrm_api_bench \\
        .venv/bin/python benchmarks/api_benchmark.py                  # MariaDB

It fills the database once with 100,000 company customers (bulk_create; each with two of
ten tags, statuses spread over the three default statuses), starts gunicorn with 2 workers
on 127.0.0.1:8104 and measures with ``wrk`` on loopback:

(a) GET /api/v1/customers/?status=Kunde&tag=VIP&page_size=50 (API key) against a bare
    Django view returning the same 50 rows via ``.values()`` (benchmarks/bench_urls.py,
    measured in the same run) → req/s, p50/p95 and the ratio;
(b) POST /api/v1/customers/ into the numbered status "Kunde" from 8 parallel clients
    (Python threads, keep-alive) → creates/s, p50/p95, and a check for duplicate numbers.

Targets: (a) ≥ 200 req/s, p95 ≤ 60 ms, ratio ≥ 0.5; (b) ≥ 100 creates/s, 0 duplicates.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "apps" / "fortycrm"))  # this checkout's app, also in a worktree
os.environ.setdefault("FORTYCRM_SITE", "api-bench")
os.environ["DJANGO_SETTINGS_MODULE"] = "benchmarks.bench_settings"

HOST, PORT = "127.0.0.1", 8104
TAG_NAMES = ["VIP", "Nord", "Süd", "Ost", "West", "Reinigung", "Hausmeister", "Pflege", "Winterdienst", "Garten"]
WRK_SCRIPT = """
done = function(summary, latency, requests)
  io.write(string.format("P50_US %d\\n", latency:percentile(50)))
  io.write(string.format("P95_US %d\\n", latency:percentile(95)))
end
"""


def ensure_mysql_database() -> None:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("mysql"):
        return
    import MySQLdb

    parts = urllib.parse.urlparse(url)
    conn = MySQLdb.connect(host=parts.hostname, port=parts.port or 3306, user=parts.username or "root", passwd=parts.password or "")
    conn.cursor().execute(f"CREATE DATABASE IF NOT EXISTS `{parts.path.lstrip('/')}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    conn.close()


def populate(total: int) -> None:
    from django.db import transaction

    from fortycrm.listcache import customer_data_changed
    from fortycrm.models import Customer, CustomerStatus, NumberSequence
    from fortycrm.services.tags import tags_resolve

    have = Customer.objects.count()
    if have >= total:
        print(f"data: {have} customers already there")
        return
    started = time.perf_counter()
    statuses = list(CustomerStatus.objects.order_by("position", "pk")[:3])
    tags = tags_resolve(TAG_NAMES)
    through = Customer.tags.through
    number = (Customer.objects.order_by("-number").values_list("number", flat=True).first() or 9999) + 1
    cities = [("10115", "Berlin"), ("20095", "Hamburg"), ("80331", "München"), ("50667", "Köln"), ("60311", "Frankfurt")]
    batch_size = 2000
    for start in range(have, total, batch_size):
        batch = []
        for i in range(start, min(total, start + batch_size)):
            status = statuses[i % 3]
            postcode, city = cities[i % 5]
            batch.append(
                Customer(
                    kind="company", name=f"Firma {i:06d} GmbH", short_name=f"Firma {i:06d}", status=status,
                    number=number + i if status.with_number else None, street=f"Hauptstraße {i % 200 + 1}",
                    postcode=postcode, city=city, email=f"info{i}@firma{i}.example", phone="030 1234567",
                )
            )
        with transaction.atomic():
            created = Customer.objects.bulk_create(batch)
            links = []
            for k, customer in enumerate(created, start=start):
                first, second = tags[k % 10], tags[(k * 7 + 3) % 10]
                links.append(through(customer_id=customer.pk, tag_id=first.pk))
                if second.pk != first.pk:
                    links.append(through(customer_id=customer.pk, tag_id=second.pk))
            through.objects.bulk_create(links)
    highest = Customer.objects.order_by("-number").values_list("number", flat=True).first() or 0
    NumberSequence.objects.update_or_create(key="customer", defaults={"last_value": highest})
    customer_data_changed()  # bulk_create sends no signals
    elapsed = time.perf_counter() - started
    print(f"data: created {total - have} customers in {elapsed:.1f} s ({(total - have) / elapsed:.0f} rows/s)")


def start_gunicorn(*, port: int | None = None, ready_path: str = "/api/v1/schema/") -> subprocess.Popen:
    """gunicorn with 2 workers on HOST:``port`` (default PORT), once ``ready_path`` answers."""
    port = port or PORT
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "benchmarks.bench_settings", "PYTHONPATH": os.pathsep.join([str(ROOT / "apps" / "fortycrm"), str(ROOT)])}
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    proc = subprocess.Popen(
        [gunicorn, "config.wsgi:application", "-w", "2", "-b", f"{HOST}:{port}", "--chdir", str(ROOT), "--log-level", "warning"],
        env=env, cwd=ROOT,
    )
    for _ in range(100):
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=2)
            conn.request("GET", ready_path)
            conn.getresponse().read()
            return proc
        except OSError:
            time.sleep(0.2)
    proc.terminate()
    raise SystemExit("gunicorn did not start")


def get(path: str, headers: dict[str, str]) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection(HOST, PORT, timeout=30)
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    return response.status, response.read()


def wrk_ensure() -> None:
    """The load generator ``wrk`` comes from Debian's apt; installed here when missing."""
    import shutil

    if shutil.which("wrk"):
        return
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    print("installing Debian's wrk (load generator) with apt-get …", flush=True)
    subprocess.run([*sudo, "apt-get", "update", "-qq"], check=True)
    subprocess.run([*sudo, "apt-get", "install", "-y", "-qq", "wrk"], check=True, env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})


def wrk(path: str, headers: dict[str, str], duration: int, connections: int) -> dict[str, float]:
    wrk_ensure()
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT)
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "-s", script.name]
    for name, value in headers.items():
        cmd += ["-H", f"{name}: {value}"]
    cmd.append(f"http://{HOST}:{PORT}{path}")
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    os.unlink(script.name)
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if bad:
        raise SystemExit(f"wrk saw {bad.group(1)} error responses for {path}:\n{out}")
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50": int(re.search(r"P50_US (\d+)", out).group(1)) / 1000,
        "p95": int(re.search(r"P95_US (\d+)", out).group(1)) / 1000,
    }


def create_run(key: str, status_id: int, clients: int, per_client: int) -> dict[str, float]:
    numbers: list[int] = []
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()

    def client(index: int) -> None:
        conn = http.client.HTTPConnection(HOST, PORT, timeout=60)
        headers = {"Authorization": f"Api-Key {key}", "Content-Type": "application/json"}
        for k in range(per_client):
            body = json.dumps({"kind": "company", "name": f"Benchmark {index}-{k} GmbH", "status": status_id, "tags": ["Benchmark"]})
            t0 = time.perf_counter()
            conn.request("POST", "/api/v1/customers/", body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
            elapsed = time.perf_counter() - t0
            with lock:
                if response.status == 201:
                    numbers.append(json.loads(data)["number"])
                    latencies.append(elapsed)
                else:
                    errors.append(f"{response.status}: {data[:200]!r}")

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    latencies.sort()
    return {
        "created": len(numbers),
        "errors": len(errors),
        "first_error": errors[0] if errors else "",
        "rate": len(numbers) / wall,
        "p50": statistics.median(latencies) * 1000 if latencies else 0,
        "p95": latencies[int(len(latencies) * 0.95) - 1] * 1000 if latencies else 0,
        "duplicates_in_answers": len(numbers) - len(set(numbers)),
        "missing_numbers": sum(1 for n in numbers if n is None),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=4, help="wrk connections (2 gunicorn workers serve them)")
    parser.add_argument("--creates", type=int, default=100, help="creates per client in (b); 8 clients")
    args = parser.parse_args()

    ensure_mysql_database()
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Count

    from fortycrm.models import ApiKey, Customer, CustomerStatus

    call_command("migrate", verbosity=0)
    print(f"database: {connection.vendor} ({connection.settings_dict['NAME']}); load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    remove_created_customers()  # leftovers of an interrupted run would change what (a) measures
    populate(args.customers)
    _obj, key = ApiKey.objects.create_key(name="benchmark", scope="write")
    numbered = CustomerStatus.objects.get(name="Kunde")
    connection.close()

    api_path = "/api/v1/customers/?status=Kunde&tag=VIP&page_size=50"
    bare_path = "/bench/bare/?status=Kunde&tag=VIP"
    auth = {"Authorization": f"Api-Key {key}"}
    server = start_gunicorn()
    try:
        status, body = get(api_path, auth)
        page = json.loads(body)
        bare_status, bare_body = get(bare_path, {})
        bare_rows = json.loads(bare_body)["results"]
        assert status == 200 and bare_status == 200, (status, bare_status)
        assert [r["id"] for r in page["results"]] == [r["id"] for r in bare_rows], "API and bare view disagree"
        print(f"(a) filter status=Kunde & tag=VIP matches {page['count']} of {Customer.objects.count()} customers; page of {len(bare_rows)}")
        for _ in range(2):  # warm both workers
            wrk(api_path, auth, 2, args.connections)
            wrk(bare_path, {}, 2, args.connections)
        # alternate the two, twice, and keep each one's better round: other load on the
        # machine then hits both alike
        rounds = [(wrk(bare_path, {}, args.duration, args.connections), wrk(api_path, auth, args.duration, args.connections)) for _ in range(2)]
        bare = max((r[0] for r in rounds), key=lambda m: m["rps"])
        api = max((r[1] for r in rounds), key=lambda m: m["rps"])
        ratio = api["rps"] / bare["rps"]
        print(f"(a) bare .values() view : {bare['rps']:7.1f} req/s  p50 {bare['p50']:5.1f} ms  p95 {bare['p95']:5.1f} ms")
        print(f"(a) API customer list   : {api['rps']:7.1f} req/s  p50 {api['p50']:5.1f} ms  p95 {api['p95']:5.1f} ms")
        print(f"(a) ratio API / bare    : {ratio:.2f}   (targets: ≥ 200 req/s, p95 ≤ 60 ms, ratio ≥ 0.5)")

        before = Customer.objects.filter(name__startswith="Benchmark ").count()
        result = create_run(key, numbered.pk, clients=8, per_client=args.creates)
        db_duplicates = Customer.objects.exclude(number=None).values("number").annotate(n=Count("id")).filter(n__gt=1).count()
        made = Customer.objects.filter(name__startswith="Benchmark ").count() - before
        print(
            f"(b) create 8 clients    : {result['rate']:7.1f} creates/s  p50 {result['p50']:5.1f} ms  p95 {result['p95']:5.1f} ms  "
            f"created {result['created']} (db: {made}), errors {result['errors']}, duplicate numbers: "
            f"{result['duplicates_in_answers']} in answers, {db_duplicates} in db, without number {result['missing_numbers']}"
        )
        if result["errors"]:
            print(f"    first error: {result['first_error']}")
        print("    (targets: ≥ 100 creates/s, 0 duplicate numbers)")
    finally:
        server.terminate()
        server.wait(timeout=20)
        ApiKey.objects.filter(name="benchmark").delete()
        remove_created_customers()


def remove_created_customers() -> None:
    """Delete what (b) created, so every run measures (a) on the same 100,000 customers.

    The customers created in (b) are the newest ones in the numbered status; left in place
    they would sit at the top of (a)'s ordering without the filtered tag and make every
    later run walk past them.
    """
    from fortycrm.listcache import customer_data_changed
    from fortycrm.models import Customer

    deleted, _by_model = Customer.objects.filter(name__startswith="Benchmark ").delete()
    if deleted:
        customer_data_changed()


if __name__ == "__main__":
    main()

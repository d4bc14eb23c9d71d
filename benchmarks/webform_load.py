#!/usr/bin/env python
"""Website form load run (issue 15): 20 submissions/s from one address are limited, the desk
stays responsive.

    .venv/bin/python benchmarks/webform_load.py [--seconds 20] [--rate 20] [--customers 2000]

SQLite site "webform-bench" (or ``DATABASE_URL``). It creates ``--customers`` customers, a
website form (limit per address: its default, 5 per minute) and a desk user, starts gunicorn
with 2 workers on 127.0.0.1:8105, then

1. baseline: the desk's customer list (signed in) requested one after another for
   ``--seconds`` → p50/p95;
2. load: the same desk requests while one client sends ``--rate`` JSON submissions per
   second from one address for ``--seconds`` → accepted (200) vs limited (429), desk p50/p95
   and its ratio to the baseline.

Target: accepted ≤ the configured limit (+1 for the sliding window edge), the rest 429, desk
p95 under load within 2× of the baseline.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "apps" / "fortycrm"))
os.environ.setdefault("FORTYCRM_SITE", "webform-bench")
os.environ["DJANGO_SETTINGS_MODULE"] = "benchmarks.bench_settings"

HOST, PORT = "127.0.0.1", 8105
ORIGIN = "https://www.gebaeudereinigung-muster.de"


def start_gunicorn() -> subprocess.Popen:
    from benchmarks.api_benchmark import start_gunicorn as gunicorn_on

    return gunicorn_on(port=PORT, ready_path="/health/")


def request(method: str, path: str, headers: dict[str, str], body: bytes | None = None) -> tuple[int, float]:
    started = time.perf_counter()
    conn = http.client.HTTPConnection(HOST, PORT, timeout=30)
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    response.read()
    conn.close()
    return response.status, time.perf_counter() - started


def desk_run(cookie: str, seconds: float, times: list[float], stop: threading.Event | None = None) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end and not (stop and stop.is_set()):
        status, elapsed = request("GET", "/desk/fortycrm/customer/", {"Cookie": cookie})
        if status != 200:
            raise SystemExit(f"desk answered {status}")
        times.append(elapsed)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--rate", type=float, default=20)
    parser.add_argument("--customers", type=int, default=2000)
    args = parser.parse_args()

    import django

    django.setup()
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command

    from fortycrm.models import Customer, CustomerStatus, RateCounter, WebForm
    from fortycrm.webforms import spam

    call_command("migrate", verbosity=0)
    status = CustomerStatus.objects.get(is_default=True)
    missing = args.customers - Customer.objects.count()
    if missing > 0:
        Customer.objects.bulk_create([Customer(kind="company", name=f"Bench GmbH {i}", status=status) for i in range(missing)], batch_size=1000)
    form = WebForm.objects.filter(name="bench").first() or WebForm.objects.create(
        name="bench", allowed_origins=ORIGIN, fields=[{"name": "last_name", "required": True}, {"name": "email", "required": False}], min_fill_seconds=0
    )
    RateCounter.objects.all().delete()
    user = get_user_model().objects.filter(username="bench").first() or get_user_model().objects.create_superuser("bench", "b@example.com", "pw-bench-12345")
    session = SessionStore()
    session[SESSION_KEY], session[BACKEND_SESSION_KEY] = str(user.pk), "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    cookie = f"sessionid={session.session_key}"
    token = spam.issue_token(form.public_id, now=time.time() - 60)

    server = start_gunicorn()
    try:
        request("GET", "/desk/fortycrm/customer/", {"Cookie": cookie})  # warm up
        baseline: list[float] = []
        desk_run(cookie, args.seconds, baseline)

        loaded: list[float] = []
        stop = threading.Event()
        desk = threading.Thread(target=desk_run, args=(cookie, args.seconds + 5, loaded, stop))
        desk.start()
        answers: dict[int, int] = {}
        submit_times: list[float] = []
        started = time.monotonic()
        sent = 0
        while time.monotonic() - started < args.seconds:
            due = started + sent / args.rate
            if due > time.monotonic():
                time.sleep(due - time.monotonic())
            body = json.dumps({"last_name": f"Last {sent}", "email": f"p{sent}@example.com", "fc_token": token}).encode()
            code, elapsed = request("POST", f"/forms/{form.public_id}/submit", {"Origin": ORIGIN, "Content-Type": "application/json"}, body)
            answers[code] = answers.get(code, 0) + 1
            submit_times.append(elapsed)
            sent += 1
        stop.set()
        desk.join()
    finally:
        server.terminate()
        server.wait(timeout=20)

    p50_base, p95_base = percentile(baseline, 50) * 1000, percentile(baseline, 95) * 1000
    p50_load, p95_load = percentile(loaded, 50) * 1000, percentile(loaded, 95) * 1000
    print(f"size: {Customer.objects.count()} customers, {args.seconds:.0f} s at {args.rate:.0f} submissions/s from one address")
    print(f"submissions: sent {sent} ({sent / args.seconds:.1f}/s), answers {dict(sorted(answers.items()))}, limit {form.limit_per_address}/min per address")
    print(f"submission answer p50 {statistics.median(submit_times) * 1000:.1f} ms")
    print(f"desk list baseline: {len(baseline)} requests, p50 {p50_base:.1f} ms, p95 {p95_base:.1f} ms")
    print(f"desk list under load: {len(loaded)} requests, p50 {p50_load:.1f} ms, p95 {p95_load:.1f} ms")
    print(f"ratio under load / baseline: p50 {p50_load / p50_base:.2f}, p95 {p95_load / p95_base:.2f}")


if __name__ == "__main__":
    main()

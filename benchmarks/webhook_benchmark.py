#!/usr/bin/env python
"""Webhook benchmark (issue 14): outbox overhead on an API create, and delivery rate.

    .venv/bin/python benchmarks/webhook_benchmark.py [--creates 1000] [--changes 10000]
    DATABASE_URL=mysql://root@127.0.0.1:3306/fortycrm_hook_bench .venv/bin/python benchmarks/webhook_benchmark.py

In one run, on a fresh database of the site "hook-bench" (SQLite unless DATABASE_URL is set):

(a) POST /api/v1/customers/ (API key, in-process test client, no network) in alternating
    blocks of 100 with the only webhook subscription switched off and on → creates/s both
    ways and the overhead of the outbox deliveries (target ≤ 15 %). Events for the change
    feed are written in both cases.
(b) ``--changes`` customer changes (``customer_update``) with one active subscription,
    then ``deliver_all`` to a receiver on 127.0.0.1 → events delivered per second.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "apps" / "fortycrm"))
os.environ.setdefault("FORTYCRM_SITE", "hook-bench")
os.environ["WEBHOOK_ALLOW_PRIVATE_TARGETS"] = "1"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


class Handler(BaseHTTPRequestHandler):
    received = 0
    protocol_version = "HTTP/1.1"

    def do_POST(self):  # noqa: N802
        self.rfile.read(int(self.headers.get("content-length") or 0))
        Handler.received += 1
        self.send_response(204)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--creates", type=int, default=1000, help="API creates per variant")
    parser.add_argument("--changes", type=int, default=10000, help="customer changes to deliver")
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)  # a fresh start on every run
    call_command("migrate", verbosity=0)  # the default statuses and roles again
    from rest_framework.test import APIClient

    from fortycrm.models import ApiKey, Customer, Event, WebhookDelivery, WebhookSubscription
    from fortycrm.services.customers import customer_update
    from fortycrm.webhooks import deliver_all, subscription_save

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    sub = WebhookSubscription(url=url, events=["customer.created", "customer.updated"])
    subscription_save(subscription=sub)
    _obj, key = ApiKey.objects.create_key(name="bench", scope="write")
    client = APIClient(SERVER_NAME="127.0.0.1")
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")

    def create_block(n: int, tag: str) -> float:
        started = time.perf_counter()
        for i in range(n):
            answer = client.post("/api/v1/customers/", {"name": f"Bench {tag} {i} GmbH", "city": "Berlin"}, format="json")
            assert answer.status_code == 201, answer.content
        return time.perf_counter() - started

    create_block(50, "warm")
    block = 100
    spent = {True: 0.0, False: 0.0}
    done = {True: 0, False: 0}
    rounds = 0
    while done[True] < args.creates:
        rounds += 1
        for active in ((False, True) if rounds % 2 else (True, False)):  # neither variant always runs later
            WebhookSubscription.objects.filter(pk=sub.pk).update(is_active=active)
            spent[active] += create_block(block, f"{active}-{done[active]}")
            done[active] += block
    rate_off, rate_on = done[False] / spent[False], done[True] / spent[True]
    overhead = rate_off / rate_on - 1
    print(f"database: {connection.vendor}")
    print(f"(a) API creates/s without subscription: {rate_off:.1f}, with one active subscription: {rate_on:.1f}")
    print(f"    outbox delivery rows cost {overhead * 100:.1f} % per create (target <= 15 %); ratio {rate_on / rate_off:.3f}")

    WebhookSubscription.objects.filter(pk=sub.pk).update(is_active=True)
    deliver_all()  # the creates' deliveries
    Handler.received = 0
    customers = list(Customer.objects.order_by("pk")[: max(1, args.changes // 5)])
    started = time.perf_counter()
    for i in range(args.changes):
        customer_update(customer=customers[i % len(customers)], city=f"Stadt {i}")
    writing = time.perf_counter() - started
    pending = WebhookDelivery.objects.filter(state="pending").count()
    started = time.perf_counter()
    counts = deliver_all()
    delivering = time.perf_counter() - started
    print(f"(b) {args.changes} customer changes written in {writing:.1f} s ({args.changes / writing:.0f}/s); {pending} deliveries pending")
    print(f"    delivered {counts['sent']} events in {delivering:.1f} s: {counts['sent'] / delivering:.0f} events/s; receiver got {Handler.received}")
    print(f"    events in the outbox: {Event.objects.count()}")

    # (c) the same number of changes to a receiver that opted in to batches of 500
    WebhookSubscription.objects.filter(pk=sub.pk).update(batch_size=500)
    Handler.received = 0
    for i in range(args.changes):
        customer_update(customer=customers[i % len(customers)], city=f"Ort {i}")
    started = time.perf_counter()
    counts = deliver_all()
    delivering_batched = time.perf_counter() - started
    print(f"(c) batched (batch_size 500): delivered {counts['sent']} events in {delivering_batched:.1f} s: "
          f"{counts['sent'] / delivering_batched:.0f} events/s in {Handler.received} calls; "
          f"ratio to (b) {delivering / delivering_batched:.1f}x")
    server.shutdown()


if __name__ == "__main__":
    main()

"""R-BIL-3: a billing run is all or nothing – ``kill -9`` in the middle leaves no invoice and no line behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from tests.ops.sites import ROOT, manage, shell_json, site_env

SETUP = """
import datetime as dt, json
from decimal import Decimal
from fortycrm.models import Order
from fortycrm.services.billing import order_create
from fortycrm.services.customers import customer_create
for i in range(5):
    c = customer_create(kind="company", name=f"Absturz {i} GmbH")
    order_create(order=Order(customer=c, title="Reinigung", recurrence="weekly", price=Decimal("10.00"), start=dt.date(2026, 1, 5)))
print(json.dumps(Order.objects.count()))
"""
COUNT = """
import json
from fortycrm.models import Invoice, InvoiceLine
print(json.dumps([Invoice.objects.count(), InvoiceLine.objects.count()]))
"""


@pytest.mark.skipif(sys.platform == "win32", reason="kill -9")
def test_kill_9_mid_run_leaves_no_half_run_and_a_rerun_bills_once(tmp_path):
    env = site_env(tmp_path, "crash")
    manage(env, "migrate", "--noinput", "-v", "0")
    assert shell_json(env, SETUP) == 5
    paused = {**env, "FORTYCRM_BILLING_RUN_PAUSE_AFTER": "2"}  # pauses after 2 of 5 invoices are written
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "fortycrm_billing_run", "--month", "2026-01"],
        env=paused, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        line = proc.stdout.readline()
        assert "BILLING-RUN-PAUSED" in line, proc.stderr.read()
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    assert shell_json(env, COUNT) == [0, 0]
    manage(env, "fortycrm_billing_run", "--month", "2026-01")
    manage(env, "fortycrm_billing_run", "--month", "2026-01")  # a second run bills nothing again
    assert shell_json(env, COUNT) == [5, 20]  # 4 Mondays from 5 January: 5, 12, 19, 26

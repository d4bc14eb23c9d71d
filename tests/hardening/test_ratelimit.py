"""Issue 8 item 16: rate limits shared by all workers (also without Redis), sliding window."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from fortycrm import ratelimit

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
START = 1_700_000_000 - 1_700_000_000 % 60  # a minute boundary


@pytest.mark.parametrize("store", ["database", "cache"])
def test_a_burst_across_a_minute_boundary_is_not_doubled(settings, store):
    settings.FORTYCRM_RATE_LIMIT_STORE = store
    limit = 60
    # 120 requests within two seconds around the boundary: 60 before it, 60 after it
    times = [START + 58 + i / 60 for i in range(60)] + [START + 60 + i / 60 for i in range(60)]
    allowed = [ratelimit.hit("burst", "client", limit=limit, window=60, count_refused=False, now=t).allowed for t in times]
    assert sum(allowed) <= limit + 1  # a fixed window lets all 120 through
    assert all(allowed[:60])
    # Retry-After is honest: a request after the announced wait is allowed again
    refused = ratelimit.hit("burst", "client", limit=limit, window=60, count_refused=False, now=START + 60.5)
    assert not refused.allowed and refused.retry_after >= 1
    assert ratelimit.hit("burst", "client", limit=limit, window=60, count_refused=False, now=START + 60.5 + refused.retry_after).allowed
    # in a steady stream the limit holds per any 60 seconds
    assert ratelimit.hit("burst", "other", limit=limit, window=60, now=START + 60).allowed


def test_the_store_follows_the_cache(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    assert ratelimit.store() == "database"  # local memory is per process
    settings.CACHES = {"default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}}
    assert ratelimit.store() == "cache"


def test_seconds_until_allowed():
    # 60 in the previous window, nothing yet, 30 s into this one: 60 × (1 − f) + 1 ≤ 60 needs f ≥ 1/60
    assert ratelimit.seconds_until_allowed(previous=60, current=0, limit=60, elapsed=0.5, window=60) == 1
    # the current window is full: wait for the next one and for it to slide far enough
    assert ratelimit.seconds_until_allowed(previous=0, current=60, limit=60, elapsed=30, window=60) == 31
    assert ratelimit.seconds_until_allowed(previous=0, current=0, limit=60, elapsed=30, window=60) == 0


WORKER = textwrap.dedent(
    """
    import django, sys
    django.setup()
    from django.db import connection
    from fortycrm import ratelimit
    from fortycrm.models import RateCounter
    if sys.argv[1] == "setup":
        with connection.schema_editor() as editor:
            editor.create_model(RateCounter)
        sys.exit(0)
    now = float(sys.argv[2])
    print(sum(ratelimit.hit("intake", "key:1", limit=50, window=60, count_refused=False, now=now).allowed for _ in range(40)))
    """
)


def run_workers(env: dict[str, str], now: float) -> list[int]:
    procs = [
        subprocess.Popen([sys.executable, "-c", WORKER, "hit", str(now)], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err[-2000:]
        results.append(int(out.strip().splitlines()[-1]))
    return results


def worker_env(tmp_path, **extra) -> dict[str, str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "PYTHONPATH": os.pathsep.join([str(ROOT / "apps" / "fortycrm"), str(ROOT)]),
        "FORTYCRM_SITE": "default",
        "SECRET_KEY": "test-only",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'shared.sqlite3'}",
        **extra,
    }
    env.pop("REDIS_URL", None)
    env.update(extra)
    return env


def test_two_worker_processes_share_the_limit_without_redis(tmp_path):
    env = worker_env(tmp_path)
    subprocess.run([sys.executable, "-c", WORKER, "setup"], cwd=ROOT, env=env, check=True, timeout=120)
    # two processes with local-memory caches (as two gunicorn workers without Redis)
    assert sum(run_workers(env, START + 30)) == 50  # per worker it would be 80


def test_two_worker_processes_share_the_limit_with_redis(tmp_path, redis_server):
    env = worker_env(tmp_path, REDIS_URL=redis_server.url)
    subprocess.run([sys.executable, "-c", WORKER, "setup"], cwd=ROOT, env=env, check=True, timeout=120)
    assert sum(run_workers(env, START + 30)) == 50
    # counted in Redis, not in the database
    env_check = textwrap.dedent(
        """
        import django; django.setup()
        from fortycrm.models import RateCounter
        print(RateCounter.objects.count())
        """
    )
    out = subprocess.run([sys.executable, "-c", env_check], cwd=ROOT, env=env, check=True, timeout=120, capture_output=True, text=True)
    assert out.stdout.strip() == "0"

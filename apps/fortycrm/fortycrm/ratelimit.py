"""Rate limits shared by every process: a sliding window over two fixed windows.

A fixed one-minute window lets ``2 × limit`` requests through within a moment around
the minute boundary (``limit`` at 0:59, ``limit`` again at 1:00). The sliding window
counts the current window fully and the previous one by the part of it that still
overlaps the last ``window`` seconds::

    estimate = previous × (1 − elapsed / window) + current

so right after the boundary the previous minute still counts almost completely.

Where the counters live (``store()``):

* ``"cache"``: the Django cache, when it is shared by all processes (Redis or memcached,
  i.e. ``REDIS_URL`` is set). ``add``/``incr`` are atomic there.
* ``"database"``: the ``RateCounter`` table (one atomic ``UPDATE … SET count = count + 1``
  per request), when the cache is local memory, i.e. per process. This is also the
  fallback while Redis is configured but unreachable, so limits keep holding during an
  outage and the cache is used again as soon as it answers (no restart).

The Django setting ``FORTYCRM_RATE_LIMIT_STORE`` (``"cache"`` or ``"database"``) overrides
the choice.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F

logger = logging.getLogger(__name__)

SHARED_CACHE_BACKENDS = ("redis", "memcached")  # not "locmem…Cache"
MAX_KEY_LENGTH = 200


class StoreUnavailable(Exception):
    """The cache did not answer; the database store takes over for this request."""


@dataclass(frozen=True)
class Decision:
    allowed: bool
    retry_after: int  # seconds until a request would be allowed again (0 when allowed)
    estimate: float  # requests counted in the sliding window, this one included


def store() -> str:
    """``"cache"`` when the default cache is shared by all processes, else ``"database"``."""
    configured = getattr(settings, "FORTYCRM_RATE_LIMIT_STORE", None)
    if configured in ("cache", "database"):
        return configured
    backend = str(settings.CACHES.get("default", {}).get("BACKEND", "")).lower()
    return "cache" if any(name in backend for name in SHARED_CACHE_BACKENDS) else "database"


def counter_key(scope: str, ident: str) -> str:
    key = f"{scope}:{ident}"
    if len(key) > MAX_KEY_LENGTH - 20:
        key = f"{scope}:sha1:{hashlib.sha1(ident.encode(), usedforsecurity=False).hexdigest()}"
    return key


def sliding_estimate(previous: int, current: int, elapsed_fraction: float) -> float:
    return previous * (1.0 - elapsed_fraction) + current


def seconds_until_allowed(*, previous: int, current: int, limit: int, elapsed: float, window: int) -> int:
    """When one more request fits, if nothing else arrives (``current`` = requests counted now)."""
    if limit <= 0:
        return window
    room = limit - current - 1  # what the previous window may still contribute
    if room >= 0:
        if previous <= 0:
            return 0
        needed_fraction = 1.0 - room / previous
        wait = needed_fraction * window - elapsed
    else:  # only the next window can help: there the current one is the previous one
        needed_fraction = max(0.0, 1.0 - (limit - 1) / current)
        wait = (window - elapsed) + needed_fraction * window
    return max(1, math.ceil(wait - 1e-9))  # 30.000000000000004 s is 30 s


# --- stores: both return (previous, current) after adding ``amount`` to the current window --


def _cache_add(key: str, window_index: int, window: int, amount: int) -> tuple[int, int]:
    current_key = f"fortycrm:rate:{key}:{window_index}"
    previous_key = f"fortycrm:rate:{key}:{window_index - 1}"
    try:
        cache.add(current_key, 0, window * 2 + 10)
        try:
            current = cache.incr(current_key, amount)
        except ValueError:  # expired between add and incr
            cache.set(current_key, amount, window * 2 + 10)
            current = amount
        previous = cache.get(previous_key)
    except Exception as exc:  # noqa: BLE001 - Redis down, timeouts, … (any backend)
        raise StoreUnavailable(str(exc)) from exc
    # django-redis with IGNORE_EXCEPTIONS answers None instead of raising
    if not isinstance(current, int):
        raise StoreUnavailable("the cache did not count")
    return int(previous or 0), current


def _database_add(key: str, window_index: int, window: int, amount: int, now: float) -> tuple[int, int]:
    from fortycrm.models import RateCounter

    with transaction.atomic():
        rows = RateCounter.objects.filter(key=key, window=window_index)
        if not rows.update(count=F("count") + amount):
            try:
                with transaction.atomic():
                    RateCounter.objects.create(key=key, window=window_index, count=amount, expires=int(now) + window * 2 + 10)
            except IntegrityError:  # another process created it just now
                rows.update(count=F("count") + amount)
            # once per client and window: forget windows nobody can need any more
            RateCounter.objects.filter(expires__lt=int(now)).delete()
        counts = dict(RateCounter.objects.filter(key=key, window__in=[window_index - 1, window_index]).values_list("window", "count"))
    return counts.get(window_index - 1, 0), counts.get(window_index, 0)


def _add(key: str, window_index: int, window: int, amount: int, now: float) -> tuple[int, int, str]:
    """(previous, current, store used)."""
    if store() == "cache":
        try:
            return (*_cache_add(key, window_index, window, amount), "cache")
        except StoreUnavailable as exc:
            logger.warning("Rate limit: the cache is not reachable (%s); counting in the database", exc)
    return (*_database_add(key, window_index, window, amount, now), "database")


def _release(key: str, window_index: int, used: str) -> None:
    """Take back one counted request (it was refused and should not count)."""
    if used == "cache":
        try:
            cache.decr(f"fortycrm:rate:{key}:{window_index}")
        except Exception as exc:  # noqa: BLE001 - expired key (ValueError) or the cache went away
            logger.info("Rate limit: could not take back a refused request (%s)", exc)
        return
    from fortycrm.models import RateCounter

    RateCounter.objects.filter(key=key, window=window_index, count__gt=0).update(count=F("count") - 1)


def hit(scope: str, ident: str, *, limit: int, window: int = 60, count_refused: bool = True, now: float | None = None) -> Decision:
    """Count one request of ``ident`` and decide whether it is within ``limit`` per ``window`` seconds.

    ``count_refused=False`` does not count refused requests (a client that keeps sending
    gets in again as soon as the window allows); ``True`` counts them too (failed logins:
    who keeps guessing stays refused).
    """
    now = time.time() if now is None else now
    window_index = int(now // window)
    elapsed = now - window_index * window
    key = counter_key(scope, ident)
    previous, current, used = _add(key, window_index, window, 1, now)
    estimate = sliding_estimate(previous, current, elapsed / window)
    if estimate <= limit:
        return Decision(True, 0, estimate)
    if not count_refused:
        _release(key, window_index, used)
        current -= 1
    wait = seconds_until_allowed(previous=previous, current=current, limit=limit, elapsed=elapsed, window=window)
    return Decision(False, wait, estimate)


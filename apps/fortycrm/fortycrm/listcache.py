"""A generation number for customer data, so list counts can be cached correctly.

Counting 100,000 customers filtered by tag and status costs far more than fetching one
page. The API caches that count under a key that includes a *generation*: a counter
(:class:`~fortycrm.models.DataGeneration` with key ``customer-data``) bumped after every
committed change of customers, their tags, statuses or tags themselves, and when a deleted
user leaves customers without account manager. Reading it is one primary-key lookup; the row
lives in the database, so every process (gunicorn workers, RQ workers, imports) sees the
same generation whether or not Redis is configured.

On SQLite (one writer at a time anyway) the bump runs inside the writer's transaction, so
readers see data and generation change together. On MariaDB it runs after commit in its
own tiny statement, so it never holds a row lock inside long transactions (imports) and
cannot deadlock with number allocation; a transaction that changes 1,000 customers still
bumps once (see :func:`customer_data_changed`). Code that writes customers with
``bulk_create``/``update()`` (which send no signals) calls :func:`customer_data_changed`
itself, once per batch.

A second counter in the Django cache is bumped at once (no lock involved), so the writing
process (and, with Redis, every process) stops using old counts even before the commit;
the generation is the pair of both.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from functools import partial
from typing import Any

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import F
from django.db.models.signals import m2m_changed, post_delete, post_save

from fortycrm.models import Customer, CustomerStatus, DataGeneration, Tag

GENERATION_KEY = "customer-data"
CACHE_GENERATION_KEY = "fortycrm:api:customer-data"


def _bump() -> None:
    updated = DataGeneration.objects.filter(key=GENERATION_KEY).update(value=F("value") + 1)
    if not updated:
        DataGeneration.objects.get_or_create(key=GENERATION_KEY, defaults={"value": 1})


class _PendingBump:
    """One database bump owed by this thread's current transaction (or by a rolled-back one)."""

    __slots__ = ("done",)

    def __init__(self) -> None:
        self.done = False


_local = threading.local()


def _bump_once(pending: _PendingBump) -> None:
    if not pending.done:
        pending.done = True
        _bump()


def customer_data_changed() -> None:
    """Invalidate cached customer counts (with the current transaction, or once it commits).

    After commit the database counter moves on exactly once per transaction, however often
    this is called in it. Every call registers its own ``on_commit`` callback (a list append,
    no query); all callbacks of one transaction share a :class:`_PendingBump`, and the first
    that runs does the UPDATE. Nothing reads Django's internals: a rollback simply drops the
    callbacks, the shared marker stays pending and is reused by the next transaction of this
    thread, whose callbacks then do the bump. Connections are per thread, so a thread-local
    marker is a per-connection one.
    """
    try:
        cache.incr(CACHE_GENERATION_KEY)
    except ValueError:
        cache.set(CACHE_GENERATION_KEY, 1, None)
    if connection.vendor == "sqlite":
        _bump()
        return
    pending = getattr(_local, "pending", None)
    if pending is None or pending.done:
        pending = _local.pending = _PendingBump()
    transaction.on_commit(partial(_bump_once, pending))


def database_generation() -> int:
    """The database part of the generation (what other processes see)."""
    return DataGeneration.objects.filter(key=GENERATION_KEY).values_list("value", flat=True).first() or 0


def generation() -> str:
    """The current generation (database counter and cache counter); one plain SELECT."""
    table = connection.ops.quote_name(DataGeneration._meta.db_table)
    with connection.cursor() as cursor:  # plain SQL: read on every list request
        cursor.execute(f"SELECT value FROM {table} WHERE {connection.ops.quote_name('key')} = %s", [GENERATION_KEY])
        row = cursor.fetchone()
    return f"{row[0] if row else 0}.{cache.get(CACHE_GENERATION_KEY, 0)}"


def count_key(name: str, parts: tuple, gen: str) -> str:
    digest = hashlib.sha1(repr(parts).encode(), usedforsecurity=False).hexdigest()
    return f"fortycrm:api:count:{name}:{gen}:{digest}"


_memo: dict[str, Any] = {"gen": None, "values": {}}
MEMO_SIZE = 2000


def memo(gen: str, key: tuple, compute: Callable[[], Any]) -> Any:
    """A per-process memo of small lookups (status and tag names → ids) for one generation."""
    if _memo["gen"] != gen or len(_memo["values"]) > MEMO_SIZE:
        _memo["gen"], _memo["values"] = gen, {}
    values = _memo["values"]
    if key not in values:
        values[key] = compute()
    return values[key]


def _changed(sender, **kwargs) -> None:
    customer_data_changed()


def _tags_changed(sender, action: str, **kwargs) -> None:
    if action.startswith("post_"):
        customer_data_changed()


def connect() -> None:
    for model in (Customer, CustomerStatus, Tag):
        post_save.connect(_changed, sender=model, dispatch_uid=f"fortycrm_api_gen_save_{model.__name__}")
        post_delete.connect(_changed, sender=model, dispatch_uid=f"fortycrm_api_gen_delete_{model.__name__}")
    m2m_changed.connect(_tags_changed, sender=Customer.tags.through, dispatch_uid="fortycrm_api_gen_tags")
    # deleting a user sets account_manager to NULL with a plain UPDATE (no signal for customers)
    post_delete.connect(_changed, sender=get_user_model(), dispatch_uid="fortycrm_api_gen_delete_user")


def memo_clear() -> None:
    """Forget memoised lookups (tests reuse generations after each rollback)."""
    _memo["gen"], _memo["values"] = None, {}

"""A generation number for customer data, so list counts can be cached correctly.

Counting 100,000 customers filtered by tag and status costs far more than fetching one
page. The API caches that count under a key that includes a *generation*: a counter row
(``NumberSequence`` with key ``customer-data``) bumped after every committed change of
customers, their tags, statuses or tags themselves. Reading it is one primary-key lookup,
the row lives in the database, so every process (gunicorn workers, RQ workers, imports)
sees the same generation whether or not Redis is configured.

On SQLite (one writer at a time anyway) the bump runs inside the writer's transaction, so
readers see data and generation change together. On MariaDB it runs after commit in its
own tiny statement, so it never holds a row lock inside long transactions (imports) and
cannot deadlock with number allocation. Code that writes customers with ``bulk_create``/``update()`` (which
send no signals) calls :func:`customer_data_changed` itself.

A second counter in the Django cache is bumped at once (no lock involved), so the writing
process (and, with Redis, every process) stops using old counts even before the commit;
the generation is the pair of both.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import F
from django.db.models.signals import m2m_changed, post_delete, post_save

from fortycrm.models import Customer, CustomerStatus, NumberSequence, Tag

GENERATION_KEY = "customer-data"
CACHE_GENERATION_KEY = "fortycrm:api:customer-data"


def _bump() -> None:
    updated = NumberSequence.objects.filter(key=GENERATION_KEY).update(last_value=F("last_value") + 1)
    if not updated:
        NumberSequence.objects.get_or_create(key=GENERATION_KEY, defaults={"last_value": 1})


def customer_data_changed() -> None:
    """Invalidate cached customer counts (with the current transaction, or once it commits)."""
    try:
        cache.incr(CACHE_GENERATION_KEY)
    except ValueError:
        cache.set(CACHE_GENERATION_KEY, 1, None)
    if connection.vendor == "sqlite":
        _bump()
        return
    if connection.in_atomic_block and any(func is _bump for _sids, func, _robust in connection.run_on_commit):
        return
    transaction.on_commit(_bump)


def generation() -> str:
    """The current generation (database counter and cache counter); one plain SELECT."""
    table = connection.ops.quote_name(NumberSequence._meta.db_table)
    with connection.cursor() as cursor:  # plain SQL: read on every list request
        cursor.execute(f"SELECT last_value FROM {table} WHERE {connection.ops.quote_name('key')} = %s", [GENERATION_KEY])
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


def memo_clear() -> None:
    """Forget memoised lookups (tests reuse generations after each rollback)."""
    _memo["gen"], _memo["values"] = None, {}

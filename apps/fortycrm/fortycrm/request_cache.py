"""Small reads remembered for one request (issue 13): the custom-field definitions and the
standard-field rules a desk record page asks for in many places (form, fieldsets, every
inline's formset and columns).

Only inside a request (``request_started`` … ``request_finished``) and only until such a row is
saved or deleted: a write of a definition or rule forgets everything, so a page never shows a
stale definition. Outside requests (services, import, jobs, tests without a client) every call
reads the database.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

_local = threading.local()


def remembered(key: tuple, compute: Callable[[], Any]) -> Any:
    """``compute()``, read once per request for ``key`` (outside a request: every time)."""
    values = getattr(_local, "values", None)
    if values is None:
        return compute()
    if key not in values:
        values[key] = compute()
    return values[key]


def _start(sender=None, **kwargs) -> None:
    _local.values = {}


def _stop(sender=None, **kwargs) -> None:
    _local.values = None


def _forget(sender=None, **kwargs) -> None:
    if getattr(_local, "values", None) is not None:
        _local.values = {}


def connect() -> None:
    from django.core.signals import request_finished, request_started
    from django.db.models.signals import post_delete, post_save

    from fortycrm.models import CustomField, StandardFieldRule

    request_started.connect(_start, dispatch_uid="fortycrm_request_cache_start")
    request_finished.connect(_stop, dispatch_uid="fortycrm_request_cache_stop")
    for model in (CustomField, StandardFieldRule):
        post_save.connect(_forget, sender=model, dispatch_uid=f"fortycrm_request_cache_save_{model.__name__}")
        post_delete.connect(_forget, sender=model, dispatch_uid=f"fortycrm_request_cache_delete_{model.__name__}")

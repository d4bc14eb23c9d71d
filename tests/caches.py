"""Emptying the cache between tests without emptying the whole Redis database."""

from __future__ import annotations


def clear_site_cache() -> None:
    """With Redis only this site's cache keys go: ``cache.clear()`` would empty the whole
    database, the RQ queues of tests running in parallel included (tests/desk/test_job_dashboard.py)."""
    from django.core.cache import cache

    if hasattr(cache, "delete_pattern"):
        cache.delete_pattern("*")
    else:
        cache.clear()

"""Background jobs (RQ via django-rq). Without Redis (``FORTYCRM_JOBS_ASYNC`` false) they run
synchronously in the calling process, so a site without Redis works the same, only slower."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import transaction

logger = logging.getLogger(__name__)

IMPORT_JOB_THRESHOLD = 2000
"""Imports of more rows than this run as a background job; override with the Django setting
``FORTYCRM_IMPORT_JOB_THRESHOLD``."""


def import_job_threshold() -> int:
    return getattr(settings, "FORTYCRM_IMPORT_JOB_THRESHOLD", IMPORT_JOB_THRESHOLD)


def jobs_async() -> bool:
    return bool(getattr(settings, "FORTYCRM_JOBS_ASYNC", False))


def enqueue(func: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
    """Run ``func`` as an RQ job after the current transaction commits (or right away without Redis)."""
    if not jobs_async():
        func(*args, **kwargs)
        return
    import django_rq

    transaction.on_commit(lambda: django_rq.get_queue("default").enqueue(func, *args, job_timeout=3600, **kwargs))


def import_job(log_id: int, dry_run: bool) -> None:
    """Run a preview or commit of an uploaded import file; outcome and progress go to the ImportLog."""
    from fortycrm.imports.driver import import_run
    from fortycrm.models import ImportLog

    log = ImportLog.objects.select_related("user").get(pk=log_id)
    try:
        import_run(log=log, dry_run=dry_run)
    except Exception as exc:  # the log must never stay "running"; the traceback goes to the worker log
        from django.utils import timezone

        ImportLog.objects.filter(pk=log_id).update(
            state=ImportLog.State.FAILED,
            finished_at=timezone.now(),
            error_count=1,
            errors=[{"row": 0, "column": "", "value": "", "message": f"{type(exc).__name__}: {exc}", "level": "error", "code": "crash"}],
        )
        raise


def import_start(log_id: int, *, dry_run: bool) -> None:
    """Small files run right away in the request; files over the threshold as a job (R-IMP-5)."""
    from fortycrm.models import ImportLog

    log = ImportLog.objects.get(pk=log_id)
    try:
        if log.total_rows > import_job_threshold():
            enqueue(import_job, log_id, dry_run)
        else:
            import_job(log_id, dry_run)
    except Exception:  # recorded on the log by import_job; never a 500 for the uploader
        logger.exception("import %s failed", log_id)

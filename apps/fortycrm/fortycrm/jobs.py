"""Background jobs (RQ via django-rq). Without Redis (``FORTYCRM_JOBS_ASYNC`` false) they run
synchronously in the calling process, so a site without Redis works the same, only slower."""

from __future__ import annotations

import logging
import uuid
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
        if log.total_rows > import_job_threshold() and jobs_async():
            # the job's id on the log: a job that vanishes or fails marks the log failed (import_log.mark_interrupted)
            job_id = f"fortycrm-import-{log_id}-{uuid.uuid4().hex[:12]}"
            ImportLog.objects.filter(pk=log_id).update(job_id=job_id)
            enqueue(import_job, log_id, dry_run, job_id=job_id)
        elif log.total_rows > import_job_threshold():
            enqueue(import_job, log_id, dry_run)
        else:
            import_job(log_id, dry_run)
    except Exception:  # recorded on the log by import_job; never a 500 for the uploader
        logger.exception("import %s failed", log_id)


BILLING_JOB_THRESHOLD = 2000
"""Billing runs planning more invoices than this run as a background job in the desk; override
with the Django setting ``FORTYCRM_BILLING_JOB_THRESHOLD``."""


def billing_job_threshold() -> int:
    return getattr(settings, "FORTYCRM_BILLING_JOB_THRESHOLD", BILLING_JOB_THRESHOLD)


def billing_progress_key(log_id: int) -> str:
    return f"fortycrm:billing-run:{log_id}:progress"


def billing_run_job(log_id: int) -> None:
    """Run a committed billing run for a BillingRunLog; progress goes to the cache (the run itself is one transaction)."""
    from django.core.cache import cache
    from django.core.exceptions import ValidationError
    from django.utils import timezone

    from fortycrm.models import BillingRunLog
    from fortycrm.services.billing_run import billing_run

    log = BillingRunLog.objects.get(pk=log_id)
    BillingRunLog.objects.filter(pk=log_id).update(state=BillingRunLog.State.RUNNING)

    def progress(done: int, total: int) -> None:
        cache.set(billing_progress_key(log_id), {"done": done, "total": total}, 3600)

    try:
        result = billing_run(log.month, progress=progress)
    except ValidationError as exc:
        BillingRunLog.objects.filter(pk=log_id).update(
            state=BillingRunLog.State.FAILED, message=" ".join(exc.messages), finished_at=timezone.now()
        )
        return
    except Exception as exc:  # the log must never stay "running"; the traceback goes to the worker log
        BillingRunLog.objects.filter(pk=log_id).update(
            state=BillingRunLog.State.FAILED, message=f"{type(exc).__name__}: {exc}", finished_at=timezone.now()
        )
        raise
    BillingRunLog.objects.filter(pk=log_id).update(
        state=BillingRunLog.State.DONE, created=len(result.created_ids), planned=len(result.invoices), finished_at=timezone.now()
    )


def billing_run_progress(log) -> dict:
    from django.core.cache import cache

    data = cache.get(billing_progress_key(log.pk)) or {}
    total = data.get("total") or log.planned or 0
    done = log.created if log.state == "done" else data.get("done", 0)
    percent = 100 if log.state in ("done", "failed") else (int(done * 100 / total) if total else 0)
    return {"state": log.state, "done": done, "total": total, "percent": percent, "message": log.message}

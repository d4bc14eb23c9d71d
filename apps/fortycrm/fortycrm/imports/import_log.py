"""The import log's bookkeeping: state before and after a run, progress while it runs."""

from __future__ import annotations

from typing import Any

from django.core.cache import cache
from django.utils import timezone

from fortycrm.imports.results import ImportResult
from fortycrm.models import ImportLog

FINISHED = (ImportLog.State.DONE, ImportLog.State.FAILED, ImportLog.State.PREVIEWED)


def progress_key(log_id: int) -> str:
    return f"fortycrm:import-progress:{log_id}"


def progress_report(log_id: int, done: int) -> None:
    """Rows processed so far (kept in the cache while the import transaction is open)."""
    cache.set(progress_key(log_id), done, 3600)


def import_progress(log: ImportLog) -> dict[str, Any]:
    """State, processed and total rows and percent of an import, for the desk's progress bar."""
    processed, total = log.processed_rows, log.total_rows
    if log.state in (ImportLog.State.RUNNING, ImportLog.State.PENDING):
        processed = cache.get(progress_key(log.pk), processed)
    percent = 100 if log.state in FINISHED else (min(99, int(processed * 100 / total)) if total else 0)
    return {"state": log.state, "processed": processed, "total": total, "percent": percent}


def log_started(log: ImportLog, *, dry_run: bool, total_rows: int) -> None:
    log.state = ImportLog.State.RUNNING
    log.dry_run = dry_run
    log.processed_rows = 0
    log.total_rows = total_rows
    log.save(update_fields=["state", "dry_run", "processed_rows", "total_rows"])


def log_finished(log: ImportLog, result: ImportResult, *, dry_run: bool) -> None:
    """Record the outcome on the log (outside the import transaction)."""
    log.total_rows = result.total_rows or log.total_rows
    log.processed_rows = result.processed
    log.created_count = result.created
    log.updated_count = result.updated
    log.error_count = result.error_count
    log.errors = [p.as_dict() for p in result.errors]
    log.warnings = [p.as_dict() for p in result.warnings]
    log.state = ImportLog.State.FAILED if result.error_count else (ImportLog.State.PREVIEWED if dry_run else ImportLog.State.DONE)
    log.finished_at = timezone.now()
    log.save()
    cache.delete(progress_key(log.pk))

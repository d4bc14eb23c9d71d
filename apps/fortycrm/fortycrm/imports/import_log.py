"""The import log's bookkeeping: state before and after a run, progress while it runs, and
noticing a run whose process ended without finishing (killed, crashed, server restarted)."""

from __future__ import annotations

import os
import socket
import time
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from fortycrm.imports.results import ImportResult
from fortycrm.models import ImportLog

FINISHED = (ImportLog.State.DONE, ImportLog.State.FAILED, ImportLog.State.PREVIEWED)


HEARTBEAT_STALE_SECONDS = 600
"""A run on another machine whose heartbeat (in the shared cache) is older than this is over;
a batch of 1,000 rows takes well under a second."""
INTERRUPTED = "interrupted"  # the code of the problem recorded on an interrupted run


def progress_key(log_id: int) -> str:
    return f"fortycrm:import-progress:{log_id}"


def heartbeat_key(log_id: int) -> str:
    return f"fortycrm:import-heartbeat:{log_id}"


def progress_report(log_id: int, done: int) -> None:
    """Rows processed so far (kept in the cache while the import transaction is open), and a heartbeat."""
    cache.set(progress_key(log_id), done, 3600)
    cache.set(heartbeat_key(log_id), time.time(), 3600)


# --- who runs it: host, process id and the process's start time ----------------------------
def _process_stat(pid: int) -> tuple[str, str]:
    """State and start time (clock ticks since boot) of a process (Linux), ("", "") elsewhere."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().decode(errors="replace").rsplit(")", 1)[1].split()
        return fields[0], fields[19]
    except (OSError, IndexError):
        return "", ""


def _process_start(pid: int) -> str:
    """The start time of a process; tells a reused process id from the one that started the import."""
    return _process_stat(pid)[1]


def this_runner() -> str:
    pid = os.getpid()
    return f"{socket.gethostname()}:{pid}:{_process_start(pid)}"


def runner_alive(runner: str) -> bool | None:
    """Whether the process named by ``runner`` still runs: True/False on this host, None when
    it ran on another machine (then the heartbeat decides)."""
    try:
        host, pid_text, start = runner.rsplit(":", 2)
        pid = int(pid_text)
    except ValueError:
        return None
    if host != socket.gethostname():
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, another user's
    state, started = _process_stat(pid)
    if state in ("Z", "X"):
        return False  # ended, only not yet reaped by its parent
    return not start or started in ("", start)


def _job_gone(job_id: str) -> bool | None:
    """Whether the RQ job is gone or ended without finishing the run; None without Redis."""
    from fortycrm import jobs

    if not jobs.jobs_async():
        return None
    try:
        import django_rq
        from rq.exceptions import NoSuchJobError
        from rq.job import Job

        try:
            job = Job.fetch(job_id, connection=django_rq.get_connection("default"))
        except NoSuchJobError:
            return True
        return job.get_status(refresh=False) in ("failed", "stopped", "canceled")
    except Exception:  # Redis unreachable: cannot tell
        return None


def _heartbeat_stale(log_id: int) -> bool | None:
    if "locmem" in settings.CACHES.get("default", {}).get("BACKEND", "").lower():
        return None  # each process has its own: another process's heartbeat is not visible here
    beat = cache.get(heartbeat_key(log_id))
    return beat is None or time.time() - beat > HEARTBEAT_STALE_SECONDS


def run_is_over(log: ImportLog) -> bool:
    """True when a pending or running log's process or job is gone (it can never finish)."""
    if log.state == ImportLog.State.RUNNING and log.runner:
        alive = runner_alive(log.runner)
        if alive is not None:
            return not alive
        stale = _heartbeat_stale(log.pk)
        if stale is not None:
            return stale
    if log.job_id:
        return bool(_job_gone(log.job_id))
    return False


def mark_interrupted(log: ImportLog) -> bool:
    """Record a run whose process ended without finishing as failed; True when it was one.

    Nothing of it was saved: the import writes in one transaction, which a process that ends
    never commits.
    """
    if log.state not in (ImportLog.State.RUNNING, ImportLog.State.PENDING) or not run_is_over(log):
        return False
    problem = {
        "row": 0, "column": "", "value": "", "level": "error", "code": INTERRUPTED,
        "message": _("The import was interrupted (its process ended before it finished), so nothing was imported. Start it again."),
    }
    updated = ImportLog.objects.filter(pk=log.pk, state__in=[ImportLog.State.RUNNING, ImportLog.State.PENDING]).update(
        state=ImportLog.State.FAILED, finished_at=timezone.now(), error_count=1, errors=[problem], problem_groups=[],
    )
    if updated:
        log.refresh_from_db()
        cache.delete_many([progress_key(log.pk), heartbeat_key(log.pk)])
    return bool(updated)


def mark_interrupted_runs() -> int:
    """Check every pending or running log (the import list and the start page call this)."""
    return sum(mark_interrupted(log) for log in ImportLog.objects.filter(state__in=[ImportLog.State.RUNNING, ImportLog.State.PENDING]).filter(
        ~Q(runner="") | ~Q(job_id="")
    ))


def import_progress(log: ImportLog) -> dict[str, Any]:
    """State, processed and total rows and percent of an import, for the desk's progress bar."""
    mark_interrupted(log)
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
    log.runner = this_runner()
    log.save(update_fields=["state", "dry_run", "processed_rows", "total_rows", "runner"])
    cache.set(heartbeat_key(log.pk), time.time(), 3600)


def log_finished(log: ImportLog, result: ImportResult, *, dry_run: bool) -> None:
    """Record the outcome on the log (outside the import transaction)."""
    log.total_rows = result.total_rows or log.total_rows
    log.processed_rows = result.processed
    log.created_count = result.created
    log.updated_count = result.updated
    log.unchanged_count = result.unchanged
    log.problem_groups = result.problem_groups()
    log.error_count = result.error_count
    log.errors = [p.as_dict() for p in result.errors]
    log.warnings = [p.as_dict() for p in result.warnings]
    log.state = ImportLog.State.FAILED if result.error_count else (ImportLog.State.PREVIEWED if dry_run else ImportLog.State.DONE)
    log.finished_at = timezone.now()
    log.save()
    cache.delete_many([progress_key(log.pk), heartbeat_key(log.pk)])

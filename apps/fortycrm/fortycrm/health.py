"""Health endpoint for load balancers and monitoring (issue 8, item 17).

``GET /health/`` needs no login and shows no data: only whether the database, the cache
(Redis when configured) and the job queue answer. 200 while the database answers (status
"ok", or "degraded" when Redis or the workers are missing: the desk still works), 503 when
the database does not.
"""

from __future__ import annotations

import logging
import uuid

from django.conf import settings
from django.core.cache import cache
from django.db import connections
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)


def check_database() -> dict:
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # any failure means "down"; details go to the log, never to the client
        logger.exception("health: database check failed")
        connections["default"].close()
        return {"ok": False}
    return {"ok": True}


def _cache_kind() -> str:
    backend = settings.CACHES["default"]["BACKEND"]
    return "redis" if "redis" in backend.lower() else "local"


def check_cache() -> dict:
    key = f"fortycrm:health:{uuid.uuid4().hex}"
    try:
        cache.set(key, "1", 10)
        ok = cache.get(key) == "1"
        cache.delete(key)
    except Exception:
        logger.exception("health: cache check failed")
        ok = False
    return {"ok": ok, "backend": _cache_kind()}


def check_queue() -> dict:
    """The RQ queue "default": waiting jobs, failed jobs and running workers (with Redis)."""
    if not getattr(settings, "FORTYCRM_JOBS_ASYNC", False):
        return {"ok": True, "mode": "inline"}
    try:
        import django_rq
        from rq import Worker

        queue = django_rq.get_queue("default")
        workers = Worker.count(queue=queue)
        result = {
            "ok": workers > 0,
            "mode": "redis",
            "queued": queue.count,
            "failed": queue.failed_job_registry.count,
            "workers": workers,
        }
    except Exception:
        logger.exception("health: queue check failed")
        return {"ok": False, "mode": "redis"}
    return result


@never_cache
@require_GET
def health(request):
    database = check_database()
    checks = {"database": database, "cache": check_cache(), "queue": check_queue()}
    if not database["ok"]:
        status, code = "error", 503
    elif all(check["ok"] for check in checks.values()):
        status, code = "ok", 200
    else:
        status, code = "degraded", 200
    response = JsonResponse({"status": status, **checks}, status=code)
    if code == 503:
        response["Retry-After"] = "30"
    return response

"""Issue 8, item 17: /health/ for load balancers and monitoring: no login, no data."""

from __future__ import annotations

import json

import pytest
from django.conf import settings

from tests.ops.sites import ROOT, manage, site_env

ASK = "import json; from django.test import Client; r = Client().get('/health/'); print(json.dumps({'code': r.status_code, 'body': r.json(), 'retry': r.get('Retry-After')}))"


@pytest.mark.django_db
def test_health_answers_without_login_and_shows_no_data(client):
    response = client.get("/health/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "no-store" in response["Cache-Control"]
    body = response.json()
    assert body["database"] == {"ok": True}
    assert body["cache"]["ok"] is True
    if settings.FORTYCRM_JOBS_ASYNC:  # with Redis (CI): the queue's state and its workers
        assert body["queue"]["mode"] == "redis" and body["queue"]["ok"] == (body["queue"]["workers"] > 0)
        assert set(body["queue"]) == {"ok", "mode", "queued", "failed", "workers"}
        assert body["status"] == ("ok" if body["queue"]["ok"] else "degraded")
    else:  # without Redis jobs run in the request
        assert body["queue"] == {"ok": True, "mode": "inline"}
        assert body["status"] == "ok"
    assert set(body) == {"status", "database", "cache", "queue"}


@pytest.mark.django_db
def test_health_only_answers_get(client):
    assert client.post("/health/").status_code == 405


def _health(env) -> dict:
    result = manage(env, "shell", "--no-imports", "-c", ASK)
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_database_down_is_503(tmp_path):
    """A SQLite database that cannot be opened (a folder where the file should be)."""
    env = site_env(tmp_path, "kaputt")
    (tmp_path / "kaputt").mkdir()
    (tmp_path / "kaputt" / "db.sqlite3").mkdir()
    found = _health(env)
    assert found["code"] == 503 and found["retry"]
    assert found["body"]["status"] == "error" and found["body"]["database"] == {"ok": False}


def test_redis_down_is_degraded_not_down(tmp_path):
    """REDIS_URL set, nothing listening: the desk still works, monitoring sees it."""
    env = site_env(tmp_path, "ohne-redis", REDIS_URL="redis://127.0.0.1:9/0")
    manage(env, "migrate", "--noinput", "-v", "0")
    found = _health(env)
    assert found["code"] == 200
    body = found["body"]
    assert body["status"] == "degraded" and body["database"]["ok"] is True
    assert body["cache"] == {"ok": False, "backend": "redis"}
    assert body["queue"] == {"ok": False, "mode": "redis"}


def test_health_endpoint_is_documented():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "/health/" in readme and "503" in readme

"""Issue 8, items 15, 18 and 19: database connection health checks, the HTTPS switch with
`check --deploy` clean, and private modes for what a site keeps on disk."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import secrets
import stat

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import override_settings

from tests.ops.sites import ROOT, manage, site_env


def _mode(path) -> str:
    return oct(stat.S_IMODE(os.stat(path).st_mode))


def _settings_in_process(env) -> dict:
    code = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "db = s.DATABASES['default']; "
        "print(json.dumps({'engine': db['ENGINE'], 'age': db['CONN_MAX_AGE'], 'checks': db['CONN_HEALTH_CHECKS'], "
        "'secure': s.SESSION_COOKIE_SECURE, 'hsts': s.SECURE_HSTS_SECONDS, 'redirect': s.SECURE_SSL_REDIRECT, "
        "'proxy': s.SECURE_PROXY_SSL_HEADER, 'csrf_secure': s.CSRF_COOKIE_SECURE}))"
    )
    import subprocess
    import sys

    env = {**env, "DJANGO_SETTINGS_MODULE": "config.settings"}
    result = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


# --- item 15 ---------------------------------------------------------------------------------
def test_mariadb_connections_are_kept_and_health_checked(tmp_path):
    # the settings of a MariaDB site load the driver (mysqlclient), which bin/test installs only for MariaDB runs
    pytest.importorskip("MySQLdb", reason="mysqlclient is installed for MariaDB runs (done by .ci/run)")
    env = site_env(tmp_path, "conn", DATABASE_URL="mysql://fortycrm:secret@db.example:3306/fortycrm")
    found = _settings_in_process(env)
    assert found["engine"] == "django.db.backends.mysql"
    assert found["checks"] is True and found["age"] == 60


def test_sqlite_connections_are_health_checked_too():
    assert settings.DATABASES["default"]["CONN_HEALTH_CHECKS"] is True


@pytest.mark.mariadb
@pytest.mark.django_db(transaction=True)
def test_a_killed_mariadb_connection_costs_no_failed_request():
    """MariaDB restarted (or wait_timeout) while a worker idles: its next request still works."""
    from django.core.signals import request_finished, request_started
    from django.db import connection

    if connection.vendor != "mysql":
        pytest.skip("runs against MariaDB: set DATABASE_URL=mysql://… (done by .ci/run)")
    import MySQLdb

    # a fresh connection: one this worker opened more than CONN_MAX_AGE (60 s) ago would be
    # closed by request_finished below, and there would be nothing left to kill
    connection.close()
    with connection.cursor() as cursor:
        cursor.execute("SELECT CONNECTION_ID()")
        victim = cursor.fetchone()[0]
    request_finished.send(sender=None)  # end of a request: the connection is kept (CONN_MAX_AGE)
    params = connection.get_connection_params()
    killer = MySQLdb.connect(host=params.get("host", "127.0.0.1"), port=params.get("port", 3306), user=params.get("user", "root"), passwd=params.get("password", ""))
    try:
        killer.cursor().execute(f"KILL CONNECTION {int(victim)}")
    finally:
        killer.close()
    request_started.send(sender=None)  # the next request
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone()[0] == 1
    request_finished.send(sender=None)


# --- item 18 ---------------------------------------------------------------------------------
def _documented_production_env() -> dict[str, str]:
    """The `export NAME=value` lines of the README's production environment block."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("# production environment", 1)[1].split("```", 1)[0]
    values = dict(re.findall(r"^export ([A-Z_]+)=(\S*)", block, flags=re.MULTILINE))
    assert {"FORTYCRM_HTTPS", "SECRET_KEY", "ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS"} <= set(values)
    return values


def test_check_deploy_reports_nothing_with_the_documented_production_environment(tmp_path):
    production = _documented_production_env()
    production["SECRET_KEY"] = secrets.token_urlsafe(50)  # as the README says to make it
    if importlib.util.find_spec("MySQLdb") is None:  # the MariaDB driver is optional for tests
        production.pop("DATABASE_URL", None)
    env = site_env(tmp_path, production.pop("FORTYCRM_SITE", "acme"), **production)
    env["ALLOWED_HOSTS"] = production["ALLOWED_HOSTS"]
    result = manage(env, "check", "--deploy", "--fail-level", "WARNING", check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    found = _settings_in_process(env)
    assert found["secure"] and found["csrf_secure"] and found["redirect"] and found["hsts"] >= 31536000
    assert found["proxy"] == ["HTTP_X_FORWARDED_PROTO", "https"]

    # without the switch the same check warns (so the switch is what makes it clean)
    env.pop("FORTYCRM_HTTPS")
    assert manage(env, "check", "--deploy", "--fail-level", "WARNING", check=False).returncode != 0


@pytest.mark.django_db
def test_https_behind_the_proxy_redirects_plain_http_but_not_the_health_check(client):
    with override_settings(SECURE_SSL_REDIRECT=True, SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https"), SECURE_REDIRECT_EXEMPT=[r"^health/$"]):
        plain = client.get("/desk/login/")
        assert plain.status_code == 301 and plain["Location"].startswith("https://")
        assert client.get("/desk/login/", headers={"X-Forwarded-Proto": "https"}).status_code == 200
        assert client.get("/health/").status_code == 200


@pytest.mark.django_db
def test_every_page_has_the_content_security_policy(client):
    policy = client.get("/desk/login/")["Content-Security-Policy"]
    for directive in ("default-src 'self'", "object-src 'none'", "frame-ancestors 'none'", "base-uri 'self'", "form-action 'self'"):
        assert directive in policy
    assert "'unsafe-inline'" not in policy.split("script-src", 1)[1].split(";", 1)[0]


# --- item 19 ---------------------------------------------------------------------------------
def test_a_new_site_keeps_its_secret_and_database_private(tmp_path):
    env = site_env(tmp_path, "neu")
    manage(env, "migrate", "--noinput", "-v", "0")
    site = tmp_path / "neu"
    assert _mode(site / "site_config.json") == "0o600"
    assert _mode(site / "db.sqlite3") == "0o600"
    for extra in ("db.sqlite3-wal", "db.sqlite3-shm"):
        if (site / extra).exists():
            assert _mode(site / extra) == "0o600"
    assert _mode(site) == "0o750" and _mode(site / "files") == "0o750"


def test_an_old_world_readable_site_is_tightened(tmp_path):
    site = tmp_path / "alt"
    (site / "files").mkdir(parents=True)
    (site / "site_config.json").write_text(json.dumps({"secret_key": secrets.token_urlsafe(50)}))
    os.chmod(site / "site_config.json", 0o644)
    manage(site_env(tmp_path, "alt"), "check")
    assert _mode(site / "site_config.json") == "0o600"
    assert _mode(site / "db.sqlite3") == "0o600"


def test_uploads_are_not_world_readable():
    name = default_storage.save("readings/2026/zaehler.png", ContentFile(b"x" * 10))
    assert _mode(default_storage.path(name)) == "0o640"
    assert _mode(default_storage.path("readings")) == "0o750"
    assert _mode(default_storage.path("readings/2026")) == "0o750"

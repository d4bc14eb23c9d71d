"""The one place that reads the environment.

FORTYCRM_SITE        site folder under the sites folder (default "default")
FORTYCRM_SITES_DIR   folder holding the sites (default sites/ beside manage.py)
DATABASE_URL         e.g. mysql://root@127.0.0.1:3306/fortycrm; unset -> <site>/db.sqlite3
REDIS_URL            e.g. redis://127.0.0.1:6379/0; unset -> no Redis (local cache, jobs inline)
SECRET_KEY           required in production; unset in development -> generated and kept in the
                     site's site_config.json
DEBUG                "1" to enable Django's debug mode (default off)
ALLOWED_HOSTS        comma separated (default "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS comma separated, e.g. https://crm.example.de
FORTYCRM_HTTPS       "1": served over HTTPS behind a TLS proxy that sets X-Forwarded-Proto
                     (Secure cookies, HSTS, redirect to https, SECURE_PROXY_SSL_HEADER)
FORTYCRM_HSTS_SECONDS            HSTS max-age with FORTYCRM_HTTPS (default 31536000, one year)
FORTYCRM_HSTS_PRELOAD            "0" leaves out the HSTS "preload" flag (default on)
FORTYCRM_HSTS_INCLUDE_SUBDOMAINS "0" leaves out "includeSubDomains" (default on)
FORTYCRM_LOGIN_FAILURE_LIMIT     wrong passwords for one user name before the lockout (default 10)
FORTYCRM_LOGIN_COOLOFF_MINUTES   how long a locked user name stays locked (default 15)
WEBHOOK_ALLOW_PRIVATE_TARGETS    "1": webhooks may target private, loopback and link-local
                                 addresses and plain http (development, tests; default off)

Files holding secrets or customer data are created readable by the owner only (site config,
SQLite database); the site folder and uploads are not world-readable either.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

#: modes of what a site keeps on disk (issue 8, item 19)
SITE_DIR_MODE = 0o750
PRIVATE_FILE_MODE = 0o600  # site_config.json (SECRET_KEY), db.sqlite3 and its -wal/-shm, backups
UPLOAD_FILE_MODE = 0o640
UPLOAD_DIR_MODE = 0o750

_TRUE = {"1", "true", "True", "yes", "on"}


@dataclass(frozen=True)
class Env:
    site: str
    site_dir: Path
    database_url: str | None
    redis_url: str | None
    secret_key: str
    debug: bool
    allowed_hosts: list[str]
    csrf_trusted_origins: list[str]
    https: bool = False
    hsts_seconds: int = 31536000
    hsts_preload: bool = True
    hsts_include_subdomains: bool = True
    login_failure_limit: int = 10
    login_cooloff_minutes: int = 15
    webhook_allow_private_targets: bool = False


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    return value in _TRUE


def _whole_number(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    if not value.isascii() or not value.isdigit():
        raise RuntimeError(f"{name} must be a whole number, got {value!r}")
    return int(value)


def private_write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` readable by the owner only (0600), also when it already existed."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE_MODE)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(path, PRIVATE_FILE_MODE)


def _make_private(path: Path) -> None:
    """Take away the rights of others on an existing file (older sites were created 0644)."""
    try:
        mode = path.stat().st_mode & 0o777
        if mode & 0o077:
            os.chmod(path, PRIVATE_FILE_MODE)
    except (FileNotFoundError, PermissionError):
        pass


def site_config_read(site_dir: Path) -> dict:
    path = site_dir / "site_config.json"
    if path.exists():
        return json.loads(path.read_text(encoding="utf-8"))
    return {}


def _keep_secret(site_dir: Path) -> str:
    config = site_config_read(site_dir)
    if not config.get("secret_key"):
        config["secret_key"] = secrets.token_urlsafe(50)
        private_write(site_dir / "site_config.json", json.dumps(config, indent=2))
    return config["secret_key"]


def sites_dir() -> Path:
    configured = os.environ.get("FORTYCRM_SITES_DIR", "").strip()
    return Path(configured).resolve() if configured else BASE_DIR / "sites"


def _prepare_site_dir(site_dir: Path, *, sqlite: bool) -> None:
    """Create the site folder, its files/ folder and (for SQLite) an empty private database file.

    SQLite creates its -wal and -shm files with the mode of the database file, so creating
    that file 0600 before the first connection keeps all three private.
    """
    for folder, mode in ((site_dir, SITE_DIR_MODE), (site_dir / "files", UPLOAD_DIR_MODE)):
        if not folder.exists():
            folder.mkdir(parents=True, exist_ok=True)
            os.chmod(folder, mode)
    _make_private(site_dir / "site_config.json")
    if sqlite:
        database = site_dir / "db.sqlite3"
        if not database.exists():
            os.close(os.open(database, os.O_WRONLY | os.O_CREAT, PRIVATE_FILE_MODE))
        for path in (database, site_dir / "db.sqlite3-wal", site_dir / "db.sqlite3-shm"):
            _make_private(path)


def _redis_url() -> str | None:
    """``REDIS_URL``; in a parallel test run (pytest-xdist worker gwN) the database number is
    lowered by N, so workers never share queues or cache keys (the env var is rewritten, so
    RQ workers the tests start inherit it)."""
    url = os.environ.get("REDIS_URL") or None
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if url and worker.startswith("gw") and worker[2:].isdigit() and not os.environ.get("FORTYCRM_REDIS_WORKER_DB"):
        from urllib.parse import urlsplit

        parts = urlsplit(url)
        db = parts.path.strip("/")
        number = int(db) if db.isdigit() else 0
        url = parts._replace(path=f"/{(number - int(worker[2:])) % 16}").geturl()
        os.environ["REDIS_URL"] = url
        os.environ["FORTYCRM_REDIS_WORKER_DB"] = "1"
    return url


def read_env() -> Env:
    site = os.environ.get("FORTYCRM_SITE", "default").strip() or "default"
    if not site.replace("-", "").replace("_", "").isalnum():
        raise RuntimeError(f"FORTYCRM_SITE must be letters, digits, '-' or '_', got {site!r}")
    site_dir = sites_dir() / site
    database_url = os.environ.get("DATABASE_URL") or None
    _prepare_site_dir(site_dir, sqlite=database_url is None)
    secret = os.environ.get("SECRET_KEY") or _keep_secret(site_dir)
    hosts = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h.strip()]
    origins = [o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()]
    return Env(
        site=site,
        site_dir=site_dir,
        database_url=database_url,
        redis_url=_redis_url(),
        secret_key=secret,
        debug=_flag("DEBUG", False),
        allowed_hosts=hosts,
        csrf_trusted_origins=origins,
        https=_flag("FORTYCRM_HTTPS", False),
        hsts_seconds=_whole_number("FORTYCRM_HSTS_SECONDS", 31536000),
        hsts_preload=_flag("FORTYCRM_HSTS_PRELOAD", True),
        hsts_include_subdomains=_flag("FORTYCRM_HSTS_INCLUDE_SUBDOMAINS", True),
        login_failure_limit=max(1, _whole_number("FORTYCRM_LOGIN_FAILURE_LIMIT", 10)),
        login_cooloff_minutes=max(1, _whole_number("FORTYCRM_LOGIN_COOLOFF_MINUTES", 15)),
        webhook_allow_private_targets=_flag("WEBHOOK_ALLOW_PRIVATE_TARGETS", False),
    )

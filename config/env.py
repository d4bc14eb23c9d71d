"""The one place that reads the environment.

FORTYCRM_SITE   site folder under sites/ (default "default")
DATABASE_URL    e.g. mysql://root@127.0.0.1:3306/fortycrm; unset -> sites/<site>/db.sqlite3
REDIS_URL       e.g. redis://127.0.0.1:6379/0; unset -> no Redis (local cache, jobs run inline)
SECRET_KEY      required in production; unset in development -> generated and kept in the
                site's site_config.json
DEBUG           "1" to enable Django's debug mode (default off)
ALLOWED_HOSTS   comma separated (default "127.0.0.1,localhost")
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


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


def _site_config(site_dir: Path) -> dict:
    path = site_dir / "site_config.json"
    if path.exists():
        return json.loads(path.read_text(encoding="utf-8"))
    return {}


def _keep_secret(site_dir: Path) -> str:
    config = _site_config(site_dir)
    if not config.get("secret_key"):
        config["secret_key"] = secrets.token_urlsafe(50)
        (site_dir / "site_config.json").write_text(json.dumps(config, indent=2), encoding="utf-8")
    return config["secret_key"]


def read_env() -> Env:
    site = os.environ.get("FORTYCRM_SITE", "default").strip() or "default"
    if not site.replace("-", "").replace("_", "").isalnum():
        raise RuntimeError(f"FORTYCRM_SITE must be letters, digits, '-' or '_', got {site!r}")
    site_dir = BASE_DIR / "sites" / site
    (site_dir / "files").mkdir(parents=True, exist_ok=True)
    secret = os.environ.get("SECRET_KEY") or _keep_secret(site_dir)
    hosts = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h.strip()]
    origins = [o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()]
    return Env(
        site=site,
        site_dir=site_dir,
        database_url=os.environ.get("DATABASE_URL") or None,
        redis_url=os.environ.get("REDIS_URL") or None,
        secret_key=secret,
        debug=os.environ.get("DEBUG", "") in {"1", "true", "True", "yes"},
        allowed_hosts=hosts,
        csrf_trusted_origins=origins,
    )

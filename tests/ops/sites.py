"""Run manage.py for a throw-away site in its own process (own sites folder, own database)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# the test run's own settings are not the throw-away site's (conftest sets the async flag for
# Playwright; production refuses it)
_NOT_INHERITED = {
    "DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE",
    "FORTYCRM_HTTPS", "DEBUG", "ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS",
}


def site_env(sites_dir: Path, site: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _NOT_INHERITED}
    env.update(
        FORTYCRM_SITES_DIR=str(sites_dir),
        FORTYCRM_SITE=site,
        PYTHONPATH=os.pathsep.join([str(ROOT / "apps" / "fortycrm"), str(ROOT), env.get("PYTHONPATH", "")]),
        ALLOWED_HOSTS="testserver,127.0.0.1,localhost",
    )
    env.update(extra)
    return env


def manage(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    if check and result.returncode != 0:
        raise AssertionError(f"manage.py {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result


def shell_json(env: dict[str, str], code: str):
    """Run ``code`` in ``manage.py shell``; it prints one JSON document as its last line."""
    result = manage(env, "shell", "--no-imports", "-c", code)
    return json.loads(result.stdout.strip().splitlines()[-1])

"""Issue 8, items 20 and 21: fortycrm_backup / fortycrm_restore.

A real site (SQLite file, uploads, site config) is filled, backed up while a writer holds an
open transaction, and restored into an empty SQLite site — and, against MariaDB, into an
empty MariaDB database (the move every growing site makes).
"""

from __future__ import annotations

import io
import json
import os
import sqlite3
import tarfile
from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.ops.sites import manage, shell_json, site_env

FILL = r"""
import base64, json
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from fortycrm.models import ApiKey, Customer
from fortycrm.services.customers import customer_create, customer_update
from fortycrm.setup import ROLE_OFFICE

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)
olga = get_user_model().objects.create_user("olga", "olga@example.com", "pw-olga-12345", first_name="Olga")
olga.groups.add(Group.objects.get(name=ROLE_OFFICE))
alpha = customer_create(kind="company", name="Alpha Reinigung GmbH", status="Kunde", tags=["VIP", "Nord"], actor=olga)
customer_create(kind="company", name="Beta Hausmeister GmbH", status="Kunde", number=10500, tags=["Süd"])
customer_create(kind="private", first_name="Erika", last_name="Müller", status="Interessent")
customer_update(customer=alpha, name="Alpha Reinigung & Service GmbH", actor=olga)
alpha.logo.save("alpha.png", ContentFile(PNG), save=True)
_key, secret = ApiKey.objects.create_key(name="Website", scope="write")
print(json.dumps({"key": secret}))
"""

DESCRIBE = r"""
import json
from django.conf import settings
from django.contrib.auth import authenticate, get_user_model
from fortycrm.models import ApiKey, Customer, CustomerStatus, Tag
KEY = %(key)r
customers = [
    {
        "number": c.number, "name": str(c), "status": c.status.name,
        "tags": sorted(t.name for t in c.tags.all()),
        "history": [(h.history_type, h.name, getattr(h.history_user, "username", None)) for h in c.history.order_by("history_date", "history_id")],
        "logo": c.logo.name, "logo_bytes": c.logo.read().hex() if c.logo else "",
    }
    for c in Customer.objects.order_by("pk")
]
olga = get_user_model().objects.get(username="olga")
print(json.dumps({
    "customers": customers,
    "statuses": list(CustomerStatus.objects.order_by("pk").values_list("name", "with_number", "is_default")),
    "tags": sorted(Tag.objects.values_list("name", flat=True)),
    "olga_password_ok": olga.check_password("pw-olga-12345"),
    "olga_groups": sorted(olga.groups.values_list("name", flat=True)),
    "key_valid": ApiKey.objects.is_usable(KEY) if hasattr(ApiKey.objects, "is_usable") else ApiKey.objects.is_valid(KEY),
    "secret_key": settings.SECRET_KEY,
}))
"""

NEXT_NUMBER = r"""
import json
from fortycrm.services.customers import customer_create
print(json.dumps({"number": customer_create(kind="company", name="Gamma GmbH", status="Kunde").number}))
"""


@pytest.fixture(scope="module")
def source_site(tmp_path_factory):
    """One filled SQLite site for the module (a site costs a migrate); tests do not change it."""
    env = site_env(tmp_path_factory.mktemp("quelle") / "sites", "quelle")
    manage(env, "migrate", "--noinput", "-v", "0")
    key = shell_json(env, FILL)["key"]
    return env, key


def _backup_while_a_writer_waits(env, tmp_path):
    """The backup runs while another connection holds an uncommitted write (site in use)."""
    database = Path(env["FORTYCRM_SITES_DIR"]) / "quelle" / "db.sqlite3"
    writer = sqlite3.connect(database, isolation_level=None, timeout=1)
    try:
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("INSERT INTO fortycrm_tag (name, normalized, color) VALUES ('Unfertig', 'unfertig', '')")
        archive = tmp_path / "backup.tar.gz"
        manage(env, "fortycrm_backup", "--output", str(archive))
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    return archive


def test_backup_is_one_private_archive_with_snapshot_files_and_config(source_site, tmp_path):
    env, _key = source_site
    archive = _backup_while_a_writer_waits(env, tmp_path)
    assert oct(os.stat(archive).st_mode & 0o777) == "0o600"
    with tarfile.open(archive) as tar:
        names = tar.getnames()
        manifest = json.loads(tar.extractfile("manifest.json").read())
        rows = [json.loads(line) for line in io.TextIOWrapper(tar.extractfile("data.jsonl"), encoding="utf-8")]
    assert {"manifest.json", "data.jsonl", "site_config.json"} <= set(names)
    # uploads are stored under random names (fortycrm.uploads); the logo and its thumbnail are in
    assert [n for n in names if n.startswith("files/logos/") and n.endswith(".png") and "/thumbs/" not in n]
    assert manifest["format"] == "fortycrm-backup" and manifest["database"] == "sqlite"
    assert manifest["counts"]["fortycrm.customer"] == 3
    tags = [row["fields"]["name"] for row in rows if row["model"] == "fortycrm.tag"]
    assert "VIP" in tags and "Unfertig" not in tags  # committed state only
    models = {row["model"] for row in rows}
    assert {"fortycrm.historicalcustomer", "fortycrm.apikey", "fortycrm.numbersequence", "auth.user", "auth.group"} <= models
    assert not models & {"sessions.session", "contenttypes.contenttype", "auth.permission"}


def _restore_and_compare(source_env, key, archive, target_env):
    restored = manage(target_env, "fortycrm_restore", str(archive))
    assert "Restored" in restored.stdout
    before = shell_json(source_env, DESCRIBE % {"key": key})
    after = shell_json(target_env, DESCRIBE % {"key": key})
    assert after == before
    assert after["key_valid"] is True and after["olga_password_ok"] is True
    assert [c["number"] for c in after["customers"]] == [10000, 10500, None]
    assert len(after["customers"][0]["history"]) >= 2 and after["customers"][0]["logo_bytes"]
    # numbering continues after the highest number
    assert shell_json(target_env, NEXT_NUMBER)["number"] == 10501


def test_restore_into_an_empty_sqlite_site_gives_the_same_site(source_site, tmp_path):
    env, key = source_site
    archive = _backup_while_a_writer_waits(env, tmp_path)
    target = site_env(tmp_path / "sites", "ziel")
    _restore_and_compare(env, key, archive, target)
    site_dir = tmp_path / "sites" / "ziel"
    assert oct(os.stat(site_dir / "site_config.json").st_mode & 0o777) == "0o600"
    logos = list((site_dir / "files" / "logos").glob("*.png"))
    assert logos and all(oct(os.stat(logo).st_mode & 0o777) == "0o640" for logo in logos)
    # a second restore into the now filled site is refused unless asked for
    again = manage(target, "fortycrm_restore", str(archive), check=False)
    assert again.returncode != 0 and "--replace" in again.stderr
    manage(target, "fortycrm_restore", str(archive), "--replace")


def test_restore_refuses_what_is_not_a_backup(tmp_path):
    env = site_env(tmp_path / "sites", "leer")
    bogus = tmp_path / "bogus.tar.gz"
    with tarfile.open(bogus, "w:gz") as tar:
        info = tarfile.TarInfo("hello.txt")
        tar.addfile(info, io.BytesIO(b""))
    result = manage(env, "fortycrm_restore", str(bogus), check=False)
    assert result.returncode != 0 and "not a fortycrm backup" in result.stderr
    missing = manage(env, "fortycrm_restore", str(tmp_path / "nope.tar.gz"), check=False)
    assert missing.returncode != 0 and "not found" in missing.stderr


@pytest.mark.mariadb
def test_backup_on_sqlite_restores_on_mariadb(source_site, tmp_path):
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("mysql"):
        pytest.skip("runs against MariaDB: set DATABASE_URL=mysql://… (done by .ci/run)")
    import MySQLdb

    parsed = urlparse(url)
    name = f"{parsed.path.lstrip('/')}_restore"
    target_url = parsed._replace(path=f"/{name}").geturl()
    server = MySQLdb.connect(host=parsed.hostname, port=parsed.port or 3306, user=parsed.username or "root", passwd=parsed.password or "")
    cursor = server.cursor()
    cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
    cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    try:
        env, key = source_site
        archive = _backup_while_a_writer_waits(env, tmp_path)
        target = site_env(tmp_path / "sites", "mariadb", DATABASE_URL=target_url)
        _restore_and_compare(env, key, archive, target)
        # and back: a backup taken on MariaDB restores into SQLite
        from_mariadb = tmp_path / "from-mariadb.tar.gz"
        manage(target, "fortycrm_backup", "--output", str(from_mariadb))
        sqlite_again = site_env(tmp_path / "sites", "zurueck")
        manage(sqlite_again, "fortycrm_restore", str(from_mariadb))
        assert shell_json(sqlite_again, DESCRIBE % {"key": key})["customers"] == shell_json(target, DESCRIBE % {"key": key})["customers"]
    finally:
        cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
        server.close()

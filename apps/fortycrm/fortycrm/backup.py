"""Backup and restore of a whole site (issue 8, items 20 and 21).

One archive (``.tar.gz``, created 0600: it holds the SECRET_KEY and every customer) with

- ``manifest.json``: format version, when, from which site and database, the applied
  migrations and the number of rows per model (checked again after a restore);
- ``data.jsonl``: every row of fortycrm, users and groups, history, API keys, the desk's log
  and the other libraries' tables, as Django serialization (JSON lines, foreign keys to users,
  groups, permissions and content types by natural key), so it loads into SQLite and
  MariaDB alike; read from one consistent snapshot while the site keeps working: SQLite's
  online backup API copies the database first, MariaDB reads inside one REPEATABLE READ
  transaction;
- ``files/``: the uploaded files (``MEDIA_ROOT``);
- ``site_config.json``: the site's config (the generated SECRET_KEY), when there is one.

Left out: sessions (everybody signs in again), login attempts (django-axes), content types
and permissions (``migrate`` creates them) and models without a table of their own
(unmanaged or proxy models such as django-rq's dashboard, which break ``dumpdata``).

``backup_restore`` migrates the target, replaces the rows of those models in one
transaction with the archive's, checks the row counts, writes the files and the site config.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import sqlite3
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath

from django.apps import apps
from django.conf import settings
from django.core import serializers
from django.core.cache import cache
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connections, transaction
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone

FORMAT = "fortycrm-backup"
VERSION = 1
SNAPSHOT_ALIAS = "fortycrm_backup_snapshot"
ARCHIVE_MODE = 0o600
CONFIG_MODE = 0o600
UPLOAD_FILE_MODE = 0o640
UPLOAD_DIR_MODE = 0o750

#: rows that are not part of a site's data: recreated by migrate, or throw-away state
SKIPPED_APPS = {"contenttypes", "sessions", "axes", "django_rq"}
SKIPPED_MODELS = {"auth.permission"}


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why and what to do."""


@dataclass(frozen=True)
class BackupResult:
    path: Path
    rows: int
    files: int


@dataclass(frozen=True)
class RestoreResult:
    rows: int
    files: int
    site_config: bool


def backup_models() -> list[type]:
    """Every model with a table of its own that holds site data, in a stable order."""
    chosen = []
    for model in apps.get_models():
        meta = model._meta
        if not meta.managed or meta.proxy or meta.swapped:
            continue
        if meta.app_label in SKIPPED_APPS or meta.label_lower in SKIPPED_MODELS:
            continue
        chosen.append(model)
    return sorted(chosen, key=lambda m: m._meta.label_lower)


def _site_dir() -> Path | None:
    site_dir = getattr(settings, "FORTYCRM", {}).get("SITE_DIR")
    return Path(site_dir) if site_dir else None


def _media_root() -> Path:
    return Path(settings.MEDIA_ROOT)


def _applied_migrations(using: str) -> dict[str, list[str]]:
    loader = MigrationLoader(connections[using], ignore_no_migrations=True)
    applied: dict[str, list[str]] = {}
    for app_label, name in sorted(loader.applied_migrations):
        applied.setdefault(app_label, []).append(name)
    return applied


def _counts(using: str) -> dict[str, int]:
    return {m._meta.label_lower: m._base_manager.using(using).count() for m in backup_models()}


def _dump(using: str, target: Path) -> tuple[dict[str, int], dict[str, list[str]]]:
    labels = [m._meta.label for m in backup_models()]
    call_command(
        "dumpdata", *labels, format="jsonl", use_natural_foreign_keys=True, use_base_manager=True,
        database=using, output=str(target), verbosity=0,
    )
    return _counts(using), _applied_migrations(using)


def _dump_sqlite(workdir: Path, target: Path) -> tuple[dict[str, int], dict[str, list[str]]]:
    """Copy the live database with SQLite's online backup API, then read the copy."""
    source = connections["default"]
    source.ensure_connection()
    snapshot = workdir / "snapshot.sqlite3"
    copy = sqlite3.connect(snapshot)
    try:
        source.connection.backup(copy)
    finally:
        copy.close()
    config = dict(connections.settings["default"])
    config["NAME"] = str(snapshot)
    config["OPTIONS"] = {k: v for k, v in config.get("OPTIONS", {}).items() if k != "init_command"}
    config["CONN_MAX_AGE"] = 0
    connections.settings[SNAPSHOT_ALIAS] = config
    try:
        return _dump(SNAPSHOT_ALIAS, target)
    finally:
        connections[SNAPSHOT_ALIAS].close()
        del connections[SNAPSHOT_ALIAS]
        del connections.settings[SNAPSHOT_ALIAS]


def _dump_in_one_transaction(target: Path) -> tuple[dict[str, int], dict[str, list[str]]]:
    """MariaDB/MySQL: every read of the dump sees one snapshot (REPEATABLE READ)."""
    connection = connections["default"]
    if connection.in_atomic_block:
        raise BackupError("A backup cannot run inside a transaction.")
    with connection.cursor() as cursor:
        if connection.vendor == "mysql":
            cursor.execute("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ")
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")  # the snapshot starts with the first read
            return _dump("default", target)
    finally:
        connection.close()  # the next connection gets the configured isolation level again


def _add_file(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o600
    info.mtime = int(timezone.now().timestamp())
    tar.addfile(info, io.BytesIO(data))


def default_archive_path() -> Path:
    site_dir = _site_dir() or Path.cwd()
    site = getattr(settings, "FORTYCRM", {}).get("SITE", "site")
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    return site_dir / "backups" / f"fortycrm-{site}-{stamp}.tar.gz"


def backup_create(*, path: Path | None = None) -> BackupResult:
    """Write the site's backup archive to ``path`` (default: ``<site>/backups/…tar.gz``)."""
    path = Path(path) if path else default_archive_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    vendor = connections["default"].vendor
    with tempfile.TemporaryDirectory(prefix="fortycrm-backup-") as tmp:
        workdir = Path(tmp)
        data = workdir / "data.jsonl"
        if vendor == "sqlite":
            counts, migrations = _dump_sqlite(workdir, data)
        else:
            counts, migrations = _dump_in_one_transaction(data)
        media = _media_root()
        uploads = sorted(p for p in media.rglob("*") if p.is_file()) if media.is_dir() else []
        config = (_site_dir() / "site_config.json") if _site_dir() else None
        manifest = {
            "format": FORMAT,
            "version": VERSION,
            "created_at": timezone.now().isoformat(),
            "site": getattr(settings, "FORTYCRM", {}).get("SITE", ""),
            "database": vendor,
            "migrations": migrations,
            "counts": counts,
            "files": len(uploads),
            "site_config": bool(config and config.is_file()),
        }
        partial = path.with_name(path.name + ".part")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, ARCHIVE_MODE)
        with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
            _add_file(tar, "manifest.json", json.dumps(manifest, indent=2).encode())
            tar.add(data, arcname="data.jsonl")
            for upload in uploads:
                tar.add(upload, arcname=f"files/{upload.relative_to(media).as_posix()}")
            if manifest["site_config"]:
                tar.add(config, arcname="site_config.json")
        os.chmod(partial, ARCHIVE_MODE)
        partial.replace(path)
    return BackupResult(path=path, rows=sum(counts.values()), files=len(uploads))


def _read_manifest(tar: tarfile.TarFile) -> dict:
    try:
        member = tar.getmember("manifest.json")
        manifest = json.loads(tar.extractfile(member).read())
    except (KeyError, ValueError, AttributeError):
        raise BackupError("This is not a fortycrm backup (no manifest.json).") from None
    if manifest.get("format") != FORMAT:
        raise BackupError("This is not a fortycrm backup (unknown format).")
    if manifest.get("version") != VERSION:
        raise BackupError(f"Backup format version {manifest.get('version')} is not supported (this fortycrm reads version {VERSION}).")
    return manifest


def _check_migrations(manifest: dict) -> None:
    loader = MigrationLoader(None, ignore_no_migrations=True)
    known = set(loader.disk_migrations)
    unknown = [f"{app}.{name}" for app, names in manifest.get("migrations", {}).items() for name in names if (app, name) not in known]
    if unknown:
        raise BackupError(
            "The backup comes from a newer version of fortycrm or its libraries (unknown migrations: "
            + ", ".join(unknown[:5]) + "). Update this installation first."
        )


def _target_has_data() -> bool:
    from django.contrib.auth import get_user_model

    from fortycrm.models import Customer

    return Customer.objects.exists() or get_user_model().objects.exists()


def _safe_member_path(name: str) -> PurePosixPath | None:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or not path.parts:
        return None
    return path


def _make_dirs(folder: Path) -> None:
    """Create ``folder`` and missing parents, each not world-readable."""
    missing = []
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    for created in reversed(missing):
        created.mkdir(mode=UPLOAD_DIR_MODE)


def _restore_files(tar: tarfile.TarFile) -> int:
    media = _media_root()
    count = 0
    for member in tar.getmembers():
        path = _safe_member_path(member.name)
        if path is None or path.parts[0] != "files" or len(path.parts) < 2 or not member.isfile():
            continue
        target = media.joinpath(*path.parts[1:])
        _make_dirs(target.parent)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, UPLOAD_FILE_MODE)
        with os.fdopen(fd, "wb") as out:
            shutil.copyfileobj(tar.extractfile(member), out)
        os.chmod(target, UPLOAD_FILE_MODE)
        count += 1
    return count


def _restore_site_config(tar: tarfile.TarFile) -> bool:
    site_dir = _site_dir()
    try:
        member = tar.getmember("site_config.json")
    except KeyError:
        return False
    if site_dir is None:
        return False
    site_dir.mkdir(parents=True, exist_ok=True)
    target = site_dir / "site_config.json"
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, CONFIG_MODE)
    with os.fdopen(fd, "wb") as out:
        shutil.copyfileobj(tar.extractfile(member), out)
    os.chmod(target, CONFIG_MODE)
    return True


def _clear_cache() -> None:
    """Cached counts and names belong to the data that was replaced."""
    delete_pattern = getattr(cache, "delete_pattern", None)
    if delete_pattern is not None:  # django-redis: only this site's keys (KEY_PREFIX)
        delete_pattern("*")
    else:
        cache.clear()


def _tables(models: list[type]) -> list[str]:
    tables = {m._meta.db_table for m in models}
    for model in models:
        for field in model._meta.local_many_to_many:
            if field.remote_field.through._meta.auto_created:
                tables.add(field.remote_field.through._meta.db_table)
    return sorted(tables)


def _insert(model: type, objs: list, fields: list) -> None:
    """INSERT the rows as they are (raw: stored timestamps kept; no signals, no history)."""
    if not objs:
        return
    connection = connections["default"]
    size = max(1, connection.ops.bulk_batch_size(fields, objs) or len(objs))
    for start in range(0, len(objs), size):
        model._base_manager.using("default")._insert(objs[start:start + size], fields=fields, using="default", raw=True)


def _insert_group(rows: list[dict]) -> None:
    if not rows:
        return
    loaded = list(serializers.deserialize("python", rows, using="default"))
    model = type(loaded[0].object)
    _insert(model, [item.object for item in loaded], list(model._meta.local_concrete_fields))
    for field in model._meta.local_many_to_many:
        through = field.remote_field.through
        if not through._meta.auto_created:
            continue  # a through model of its own is in the dump itself
        source, target = field.m2m_field_name(), field.m2m_reverse_field_name()
        links = [
            through(**{f"{source}_id": item.object.pk, f"{target}_id": value})
            for item in loaded
            for value in (item.m2m_data or {}).get(field.name, [])
        ]
        _insert(through, links, [f for f in through._meta.local_concrete_fields if not f.primary_key])


def _replace_rows(models: list[type], data: Path) -> None:
    """Delete the rows of ``models`` and insert the archive's, model by model in dump order.

    Rows go in as they are, without ``save()``: no signal handler runs (none may invent rows
    such as counters half-way), timestamps stay as stored. Natural keys (users, groups,
    permissions, content types) are looked up once the rows they point to are in.
    """
    connection = connections["default"]
    tables = _tables(models)
    connection.ops.execute_sql_flush(connection.ops.sql_flush(no_style(), tables))
    with connection.constraint_checks_disabled():
        group: list[dict] = []
        with data.open(encoding="utf-8") as lines:
            for line in lines:
                if not line.strip():
                    continue
                row = json.loads(line)
                if group and (row["model"] != group[0]["model"] or len(group) >= 1000):
                    _insert_group(group)
                    group = []
                group.append(row)
        _insert_group(group)
    connection.check_constraints(table_names=tables)
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), models):
            cursor.execute(sql)


def _data_changed() -> None:
    """Counters that follow data changes (cached list counts) learn about the new data."""
    try:
        from fortycrm.listcache import customer_data_changed
    except ImportError:  # pragma: no cover - module renamed
        return
    customer_data_changed()


def backup_restore(*, path: Path, replace: bool = False) -> RestoreResult:
    """Load the archive at ``path`` into this site (its database, files and site config).

    The site must be empty (no customers, no users, as after ``migrate``) unless ``replace``
    is given; then its data is replaced. The database part is all or nothing.
    """
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"Backup file not found: {path}")
    try:
        tar = tarfile.open(path, mode="r:*")
    except (tarfile.TarError, OSError) as exc:
        raise BackupError(f"Cannot read the backup {path.name}: {exc}") from None
    with tar, tempfile.TemporaryDirectory(prefix="fortycrm-restore-") as tmp:
        manifest = _read_manifest(tar)
        _check_migrations(manifest)
        call_command("migrate", interactive=False, verbosity=0)
        if not replace and _target_has_data():
            raise BackupError("This site already has customers or users. Restore into an empty site, or pass --replace to overwrite its data.")
        try:
            data_member = tar.getmember("data.jsonl")
        except KeyError:
            raise BackupError("The backup has no data.jsonl.") from None
        data = Path(tmp) / "data.jsonl"
        with data.open("wb") as out:
            shutil.copyfileobj(tar.extractfile(data_member), out)

        models = backup_models()
        with transaction.atomic():
            _replace_rows(models, data)
            counts = _counts("default")
            expected = manifest.get("counts", {})
            wrong = {label: (expected[label], counts.get(label)) for label in expected if counts.get(label) != expected[label]}
            if wrong:
                raise BackupError(f"Restored row counts differ from the backup: {wrong}")
            _data_changed()
        files = _restore_files(tar)
        site_config = _restore_site_config(tar)
    _clear_cache()
    return RestoreResult(rows=sum(counts.values()), files=files, site_config=site_config)

"""Tests of a data migration: the states just before and after it."""

from __future__ import annotations

from django.db import connection
from django.db.migrations.executor import MigrationExecutor


def migration_around(suffix: str) -> tuple[MigrationExecutor, list[tuple[str, str]], list[tuple[str, str]]]:
    """An executor and the migration targets just before and just after the fortycrm migration
    whose name ends with ``suffix`` (found by name, so renumbering it at merge time needs no change)."""
    executor = MigrationExecutor(connection)
    (name,) = [n for app, n in executor.loader.disk_migrations if app == "fortycrm" and n.endswith(suffix)]
    migration = executor.loader.disk_migrations[("fortycrm", name)]
    return executor, [d for d in migration.dependencies if d[0] == "fortycrm"], [("fortycrm", name)]

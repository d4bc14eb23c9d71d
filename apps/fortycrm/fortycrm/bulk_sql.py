"""Multi-row INSERT with values prepared once per field type: what ``bulk_create`` issues,
without its per-value compiler cost. Used by the import (customers, history, tag links) and
the event outbox (one event per imported customer)."""

from __future__ import annotations

import json
from collections.abc import Hashable, Sequence
from operator import itemgetter
from typing import Any

from django.db import connections, router

PLAIN_TYPES = {
    "CharField", "TextField", "EmailField", "URLField", "SlugField", "BooleanField", "ForeignKey", "OneToOneField",
    "IntegerField", "BigIntegerField", "SmallIntegerField", "PositiveIntegerField", "PositiveBigIntegerField", "PositiveSmallIntegerField",
}
AUTO_TYPES = {"AutoField", "BigAutoField", "SmallAutoField"}
FILE_TYPES = {"FileField", "ImageField"}
ROWS_PER_STATEMENT = 1000
#: rows per statement for narrow rows of short values (tag links, search terms, custom-field
#: index rows): a few hundred kB per statement, far below MariaDB's max_allowed_packet
NARROW_ROWS_PER_STATEMENT = 16000
MYSQL_MAX_PARAMS = 65535  # a safe bound; mysqlclient sends the values inside the statement text


def insert_columns(model) -> list:
    """The model's concrete fields an INSERT names (not an auto-increment primary key)."""
    return [f for f in model._meta.concrete_fields if not (f.primary_key and f.get_internal_type() in AUTO_TYPES)]


def max_params(connection) -> int:
    """How many ``%s`` values one statement may carry on this connection."""
    if connection.vendor != "sqlite":
        return MYSQL_MAX_PARAMS
    if connection.Database.sqlite_version_info < (3, 32):
        return 999
    connection.ensure_connection()
    getlimit = getattr(connection.connection, "getlimit", None)  # Python 3.11+
    return getlimit(connection.Database.SQLITE_LIMIT_VARIABLE_NUMBER) if getlimit else 32766


def insert_rows(
    model, columns: list, rows: Sequence[Sequence[Any]], *, returning: bool, max_rows: int = ROWS_PER_STATEMENT, fresh_parents: bool = False
) -> list[int]:
    """INSERT rows (values already prepared for the database) in batches; the new ids in row order.

    A statement carries up to ``max_rows`` rows, as many as the database's limit of values
    per statement allows. ``returning`` needs ``connection.features.can_return_rows_from_bulk_insert``.

    MariaDB/MySQL: the statement text is built here with the driver's own quoting
    (``MySQLdb``'s ``literal``, what it does for ``%s`` parameters), each distinct value of a
    column quoted once per statement — a batch repeats most of its values (empty texts,
    dates, the status, the timestamp; terms and field names). ``fresh_parents``: every
    foreign key of the rows points at rows inserted earlier in the current transaction (a
    customer the import just wrote), which no other transaction can see, let alone delete;
    MariaDB then skips the foreign key checks for these statements (the session's setting is
    restored after them). Never pass it for rows that point at rows of other transactions.
    """
    if not rows:
        return []
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    head = f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in columns)}) VALUES "
    per_statement = max(1, min(max_rows, max_params(connection) // len(columns)))
    tail = f" RETURNING {quote(model._meta.pk.column)}" if returning else ""
    ids: list[int] = []
    mysql = connection.vendor == "mysql"
    with connection.cursor() as cursor:
        if mysql and fresh_parents:
            assert connection.in_atomic_block, "fresh_parents: the parents are rows of the current transaction"
            cursor.execute("SET @fortycrm_fk_checks = @@foreign_key_checks, foreign_key_checks = 0")
        try:
            for start in range(0, len(rows), per_statement):
                chunk = rows[start : start + per_statement]
                if mysql:
                    cursor.execute(head.encode() + _mysql_values(connection, chunk, len(columns)) + tail.encode())
                else:
                    row_sql = "(" + ", ".join(["%s"] * len(columns)) + ")"
                    cursor.execute(head + ", ".join([row_sql] * len(chunk)) + tail, [value for row in chunk for value in row])
                if returning:
                    # auto-increment ids grow in VALUES order within one statement
                    ids.extend(sorted(r[0] for r in cursor.fetchall()))
        finally:
            if mysql and fresh_parents:
                cursor.execute("SET foreign_key_checks = @fortycrm_fk_checks")
    return ids


def _mysql_values(connection, rows: Sequence[Sequence[Any]], width: int) -> bytes:
    """``(…), (…)`` of ``rows`` as MySQLdb would fill in ``%s`` parameters (``literal``)."""
    literal = connection.connection.literal
    memos: list[dict[Any, bytes]] = [{} for _column in range(width)]
    out = []
    for row in rows:
        values = []
        for memo, value in zip(memos, row, strict=True):
            try:
                text = memo[value]
            except KeyError:
                text = memo[value] = literal(value)
            except TypeError:  # unhashable
                text = literal(value)
            values.append(text)
        out.append(b"(" + b", ".join(values) + b")")
    return b", ".join(out)


def prepared_rows(objs: list, columns: list, connection) -> list[list[Any]]:
    """Values ready for the database, row by row.

    Plain values go as they are; file fields as their stored name (an import never uploads
    files); every other type is prepared once per distinct value (dates, the batch's single
    timestamp, the empty custom-field dict), not once per row.
    """
    attnames = [column.attname for column in columns]
    special = []  # (position, attname, "file" or the field): values that need preparing
    for position, column in enumerate(columns):
        kind = column.get_internal_type()
        if kind not in PLAIN_TYPES:
            special.append((position, column.attname, "file" if kind in FILE_TYPES else column))
    memos: dict[str, dict[Any, Any]] = {attname: {} for _position, attname, _plan in special}
    pick = itemgetter(*attnames) if len(attnames) > 1 else (lambda values: (values[attnames[0]],))
    rows = []
    for obj in objs:
        values = obj.__dict__
        try:
            row = list(pick(values))
        except KeyError:  # a deferred field: None, as before
            row = [values.get(attname) for attname in attnames]
        for position, attname, plan in special:
            value = row[position]
            if isinstance(plan, str):  # a file field
                row[position] = getattr(value, "name", value) or ""
                continue
            if isinstance(value, (dict, list)):
                if value:
                    row[position] = plan.get_db_prep_save(value, connection)  # distinct per row: nothing to share
                    continue
                key: Any = ("empty", type(value))
            else:
                key = value if isinstance(value, Hashable) else json.dumps(value, sort_keys=True, default=str)
            memo = memos[attname]
            if key not in memo:
                memo[key] = plan.get_db_prep_save(value, connection)
            row[position] = memo[key]
        rows.append(row)
    return rows

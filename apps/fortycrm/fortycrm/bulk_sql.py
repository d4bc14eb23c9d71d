"""Multi-row INSERT with values prepared once per field type: what ``bulk_create`` issues,
without its per-value compiler cost. Used by the import (customers, history, tag links) and
the event outbox (one event per imported customer).

While a :class:`WritePipe` is open on the connection (the import's commit), statements whose
result nobody reads (``returning=False``) are handed to a second thread that sends them while
this one prepares the next rows; see there."""

from __future__ import annotations

import itertools
import json
import queue
import sys
import threading
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from operator import itemgetter
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, router

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
    pipe: WritePipe | None = getattr(connection, "fortycrm_write_pipe", None)
    known_ids: list[int] = []
    if pipe is not None and returning and _ids_known_ahead(connection, model, columns):
        # SQLite: the ids are known before the INSERT runs, so it goes to the pipe with them
        known_ids = _sqlite_next_ids(connection, model, len(rows))
        columns = [model._meta.pk, *columns]
        rows = [[pk, *row] for pk, row in zip(known_ids, rows)]
        returning = False
    quote = connection.ops.quote_name
    per_statement = max(1, min(max_rows, max_params(connection) // len(columns)))
    tail = f" RETURNING {quote(model._meta.pk.column)}" if returning else ""
    mysql = connection.vendor == "mysql"
    if mysql and fresh_parents:
        assert connection.in_atomic_block, "fresh_parents: the parents are rows of the current transaction"
    free_literal = _free_literal(connection) if mysql else None
    literal = free_literal or (connection.connection.literal if mysql else None)
    statements = _statements(connection, _insert_head(connection, model, columns), tail, rows, per_statement, len(columns), literal)
    if pipe is not None and not returning:
        if mysql and fresh_parents:
            statements = itertools.chain([(_FK_OFF, None)], statements, [(_FK_RESTORE, None)])
        # MariaDB: the statement text is built here while the pipe's thread waits for the server
        # (with the driver's own quoting, which needs the connection, the pipe's thread builds it)
        pipe.submit(list(statements) if free_literal is not None else statements)
        return known_ids
    return _execute(connection, statements, returning=returning, foreign_keys_off=mysql and fresh_parents)


def _execute(connection, statements: Iterable[tuple[Any, Any]], *, returning: bool = False, foreign_keys_off: bool = False) -> list[int]:
    """Run ``statements`` in this thread (after whatever a write pipe still holds); with
    ``returning`` the ids their ``RETURNING`` gives, in row order. ``foreign_keys_off``: MariaDB's
    foreign key checks off for them (``insert_rows``' ``fresh_parents``)."""
    pipe: WritePipe | None = getattr(connection, "fortycrm_write_pipe", None)
    if pipe is not None:
        pipe.drain()
    ids: list[int] = []
    with connection.cursor() as cursor:
        if foreign_keys_off:
            cursor.execute(_FK_OFF)
        try:
            # SQLite: qmark SQL straight to the driver (Django's wrapper rewrites each %s of a 30,000-value statement)
            raw = connection.connection.cursor() if connection.vendor == "sqlite" else None
            for sql, params in statements:
                if raw is not None:
                    with connection.wrap_database_errors:
                        raw.execute(sql, params)
                else:
                    cursor.execute(sql, params)
                if returning:
                    # auto-increment ids grow in VALUES order within one statement
                    ids.extend(sorted(r[0] for r in (raw or cursor).fetchall()))
        finally:
            if foreign_keys_off:
                cursor.execute(_FK_RESTORE)
    return ids


def insert_word_lists(
    model, columns: list, groups: Iterable[tuple[Any, Sequence[str]]], *, max_rows: int = NARROW_ROWS_PER_STATEMENT, fresh_parents: bool = False
) -> None:
    """INSERT one row ``(key, word)`` per word of each ``(key, words)`` group, in order (two columns;
    the search terms of the import: about a dozen words per customer).

    SQLite (with its JSON functions, which Django's JSON field needs as well): one row per group,
    ``INSERT … SELECT g.column1, j.value FROM (VALUES (?, ?), …) AS g, json_each(g.column2) AS j``
    with the words as a JSON list — two values bound per group instead of two per word, and
    SQLite splits the list in C without Python's lock. Elsewhere: ``insert_rows`` with one row per word."""
    connection = connections[router.db_for_write(model)]
    if connection.vendor != "sqlite" or not connection.features.supports_json_field:
        rows = [(key, word) for key, words in groups for word in words]
        insert_rows(model, columns, rows, returning=False, max_rows=max_rows, fresh_parents=fresh_parents)
        return
    rows = [[key, _json_words(words)] for key, words in groups if words]
    if not rows:
        return
    head = _insert_head(connection, model, columns).removesuffix("VALUES ") + "SELECT g.column1, j.value FROM (VALUES "
    # the joined rows come out in VALUES order, each list in its order (json_each reads g's column: g is the outer loop)
    tail = ") AS g, json_each(g.column2) AS j"
    statements = _statements(connection, head, tail, rows, max(1, min(max_rows, max_params(connection) // 2)), 2, None)
    pipe: WritePipe | None = getattr(connection, "fortycrm_write_pipe", None)
    if pipe is not None:
        pipe.submit(statements)
    else:
        _execute(connection, statements)


def _json_words(words: Sequence[str]) -> str:
    """``words`` as a JSON list of texts: joined as they are when no word needs escaping (the
    search terms are letters and digits), else by ``json.dumps``."""
    body = '","'.join(words)
    if body.isprintable() and "\\" not in body and body.count('"') == 2 * (len(words) - 1):
        return '["' + body + '"]'
    return json.dumps(list(words), ensure_ascii=False)


def _insert_head(connection, model, columns: list) -> str:
    quote = connection.ops.quote_name
    return f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in columns)}) VALUES "


def _ids_known_ahead(connection, model, columns: list) -> bool:
    """SQLite whose transactions start IMMEDIATE (the site's setting), a table with an
    auto-increment id that the INSERT does not name: the pipe's transaction holds SQLite's
    write lock from its start, so no other connection can take an id until the commit, and the
    next ids are those after the largest ever given (what SQLite itself would choose)."""
    pk = model._meta.pk
    return (
        connection.vendor == "sqlite" and pk.get_internal_type() in AUTO_TYPES and pk not in columns
        and str(connection.settings_dict.get("OPTIONS", {}).get("transaction_mode", "")).upper() in ("IMMEDIATE", "EXCLUSIVE")
    )


def _sqlite_next_ids(connection, model, count: int) -> list[int]:
    """The ids SQLite would give the next ``count`` rows of ``model``'s table: after the largest
    id in the table and, for an AUTOINCREMENT table, after the largest it ever gave
    (``sqlite_sequence``; an id inserted by value moves it on, as one SQLite chose). The query
    runs after the write pipe has sent everything handed to it (its execute wrapper)."""
    quote = connection.ops.quote_name
    table, pk = model._meta.db_table, model._meta.pk.column
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_sequence'")
        sequence = "(SELECT seq FROM sqlite_sequence WHERE name = %s)" if cursor.fetchone() else "%s"
        cursor.execute(f"SELECT MAX(COALESCE({sequence}, 0), COALESCE((SELECT MAX({quote(pk)}) FROM {quote(table)}), 0))",
                       [table if sequence != "%s" else 0])
        first = cursor.fetchone()[0] + 1
    return list(range(first, first + count))


_FK_OFF = "SET @fortycrm_fk_checks = @@foreign_key_checks, foreign_key_checks = 0"
_FK_RESTORE = "SET foreign_key_checks = @fortycrm_fk_checks"


def _statements(
    connection, head: str, tail: str, rows: Sequence[Sequence[Any]], per_statement: int, width: int, literal: Callable[[Any], bytes] | None
) -> Iterator[tuple[Any, Any]]:
    """``(sql, params)`` per statement: MariaDB the values inside the text, quoted by ``literal``
    (``params`` None), SQLite ``?`` placeholders (the driver's own form) with the values as a flat list."""
    if literal is not None:
        head_bytes, tail_bytes = head.encode(), tail.encode()
        for start in range(0, len(rows), per_statement):
            yield head_bytes + _mysql_values(literal, rows[start : start + per_statement], width) + tail_bytes, None
        return
    sqlite = connection.vendor == "sqlite"
    row_sql = "(" + ", ".join(["?" if sqlite else "%s"] * width) + ")"
    for start in range(0, len(rows), per_statement):
        chunk = rows[start : start + per_statement]
        if sqlite and not tail and len(chunk) > 1:  # a plain INSERT (no RETURNING, no join after the rows)
            factored = _sqlite_constants_once(head, chunk, width)
            if factored is not None:
                yield factored
                continue
        yield head + ", ".join([row_sql] * len(chunk)) + tail, list(itertools.chain.from_iterable(chunk))


#: types whose equal values are the same value for SQLite (text and blobs compare only with their
#: own kind; None with None); a number column is the same only when all its values have one type
_PLAIN_EQUAL = (str, bytes, type(None))


def _sqlite_constants_once(head: str, chunk: Sequence[Sequence[Any]], width: int) -> tuple[str, list] | None:
    """A SQLite statement for ``chunk`` that sends each column holding one value in every row
    once (``INSERT … SELECT ?1, column1, … FROM (VALUES (?, …), …)``) instead of once per row,
    or None when no column is the same throughout.

    An import's rows repeat most values (empty texts, the kind, the status, the batch's
    timestamp, the empty custom fields): a third to two thirds of the values. The driver binds
    each value while holding Python's lock, which the importing thread waits for; SQLite's
    own work is the same either way (the rows, their order and their values do not change)."""
    columns = list(zip(*chunk, strict=True))
    if len(columns) != width:
        raise ValueError(f"rows of {len(columns)} values for {width} columns")
    rows = len(chunk)
    same = []
    for column in columns:
        first = column[0]
        same.append(
            column.count(first) == rows  # equal (identical objects are compared by address)
            and (isinstance(first, _PLAIN_EQUAL) or len(set(map(type, column))) == 1)  # 1, 1.0 and True are equal
        )
    if not any(same):
        return None
    constants = [column[0] for column, one in zip(columns, same) if one]
    varying = [column for column, one in zip(columns, same) if not one]
    select, constant, value = [], 0, 0
    for one in same:
        if one:
            constant += 1
            select.append(f"?{constant}")
        else:
            value += 1
            select.append(f"column{value}")
    if not varying:  # every column the same: a one-column VALUES list gives the row count
        varying = [[None] * rows]
    row_sql = "(" + ", ".join(["?"] * len(varying)) + ")"
    # head is "INSERT INTO t (…) VALUES ": the column list stays, the rows come from the SELECT
    sql = head.removesuffix("VALUES ") + f"SELECT {', '.join(select)} FROM (VALUES {', '.join([row_sql] * rows)})"
    return sql, [*constants, *itertools.chain.from_iterable(zip(*varying))]


def _mysql_values(literal: Callable[[Any], bytes], rows: Sequence[Sequence[Any]], width: int) -> bytes:
    """``(…), (…)`` of ``rows`` as MySQLdb would fill in ``%s`` parameters (``literal``),
    column by column: each distinct value of a column is quoted once."""
    columns = []
    for column in zip(*rows, strict=True) if rows else ():
        memo: dict[Any, bytes] = {}
        try:
            texts = [memo[value] if value in memo else memo.setdefault(value, literal(value)) for value in column]
        except TypeError:  # an unhashable value (a dict for a JSON column)
            texts = [literal(value) for value in column]
        columns.append(texts)
    if len(columns) != width:
        raise ValueError(f"rows of {len(columns)} values for {width} columns")
    return b"(" + b"), (".join(map(b", ".join, zip(*columns))) + b")"


def _free_literal(connection):
    """MySQLdb's ``literal`` without the connection, or None where that could differ.

    The connection's ``literal`` locks the connection, so it cannot quote while the write
    pipe's thread runs a statement. For a UTF-8 connection the same bytes come from the driver's
    module functions: text is escaped byte-wise (``mysql_escape_string``; UTF-8 has no multi-byte
    character that contains a quote or backslash byte), everything else through the
    connection's own encoders. A test compares both on every kind of value the import writes."""
    raw = connection.connection
    if getattr(raw, "encoding", None) != "utf8":
        return None
    from MySQLdb import _mysql

    string_literal, escape, encoders, binary = _mysql.string_literal, _mysql.escape, raw.encoders, raw._binary_prefix

    def literal(value: Any) -> bytes:
        if isinstance(value, str):
            return string_literal(value.encode("utf8"))
        if isinstance(value, (bytes, bytearray)):
            return (b"_binary" if binary else b"") + string_literal(bytes(value))
        if type(value) in (tuple, list, set, frozenset):
            return raw.literal(value)  # not written by the import; the driver's own way
        text = escape(value, encoders)
        return text.encode("utf8") if isinstance(text, str) else text

    return literal


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


# --- sending statements from a second thread ---------------------------------------------------


class WritePipe:
    """Statements without a result, sent in order by a second thread on the same connection
    (the same transaction) while this thread goes on preparing rows.

    Opened by the import around its commit (:func:`write_pipe`); ``insert_rows`` with
    ``returning=False`` then hands its statements here instead of waiting for the database
    (MariaDB works in its own process; SQLite's C code and MariaDB's driver release Python's
    lock while a statement runs, so both cores work). Every other statement of this connection
    first waits until the pipe is empty (a Django execute wrapper), so the database sees the
    statements in exactly the order of a single thread; the first error of the second thread is
    raised then, as Django's exception, and the transaction is rolled back as usual. The
    commit waits as well: the pipe is drained when it closes, inside the transaction.
    """

    def __init__(self, connection) -> None:
        self.connection = connection
        self.queue: queue.Queue = queue.Queue()
        self.error: BaseException | None = None
        self.cancelled = False
        self.sent = 0  # statements the pipe's thread has run
        self.thread = threading.Thread(target=self._run, name="fortycrm-write-pipe", daemon=True)

    def submit(self, statements: Iterable[tuple[Any, Any]]) -> None:
        """Hand over ``(sql, params)`` pairs (params None: none); an iterator is consumed by the
        pipe's thread, so the statement text may be built there."""
        if self.error is not None:
            self.drain()  # raises: nothing is sent after a failed statement
        self.queue.put(statements)

    def drain(self) -> None:
        """Wait until every statement handed over has run; raise the first error of them."""
        self.queue.join()
        if self.error is not None:
            error = self.error
            with self.connection.wrap_database_errors:
                raise error

    def _run(self) -> None:
        cursor = None
        while True:
            item = self.queue.get()
            try:
                if item is None:
                    return
                for sql, params in item:
                    if self.error is not None or self.cancelled:
                        break
                    if cursor is None:
                        cursor = self.connection.connection.cursor()
                    if params is None:
                        cursor.execute(sql)
                    else:
                        cursor.execute(sql, params)
                    self.sent += 1
            except BaseException as exc:  # handed to the main thread by drain()
                self.error = exc
            finally:
                self.queue.task_done()

    def _drain_first(self, execute, sql, params, many, context):
        self.drain()
        return execute(sql, params, many, context)


#: Python's thread switch interval while a pipe is open (seconds; Python's default is 0.005). The
#: pipe's thread needs Python's lock twice per statement (to hand over the values and to
#: return); with the default it waits up to 5 ms each time while the importing thread runs
#: Python code, more than many statements take in the database.
PIPE_SWITCH_INTERVAL = 0.0005


@contextmanager
def write_pipe(using: str = DEFAULT_DB_ALIAS, *, enabled: bool = True) -> Iterator[WritePipe | None]:
    """Open a :class:`WritePipe` on the connection for the block (inside its transaction);
    ``enabled=False`` (a preview, which writes nothing): a plain block."""
    connection = connections[using]
    if not enabled or getattr(connection, "fortycrm_write_pipe", None) is not None:
        yield None
        return
    assert connection.in_atomic_block, "a write pipe belongs inside the transaction it writes to"
    connection.ensure_connection()
    pipe = WritePipe(connection)
    pipe.thread.start()
    connection.fortycrm_write_pipe = pipe
    switch = sys.getswitchinterval()
    sys.setswitchinterval(min(switch, PIPE_SWITCH_INTERVAL))
    try:
        with connection.execute_wrapper(pipe._drain_first):
            try:
                yield pipe
            except BaseException:
                pipe.cancelled = True  # the transaction is rolled back: skip what is still queued
                raise
            pipe.drain()
    finally:
        sys.setswitchinterval(switch)
        connection.fortycrm_write_pipe = None
        pipe.queue.put(None)
        pipe.thread.join()

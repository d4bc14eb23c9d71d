"""The bulk write of the customer import (insert mode) stores what the desk's customer_create stores."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction

from fortycrm.bulk_sql import insert_columns, insert_rows, write_pipe
from fortycrm.models import CustomerFieldValue, CustomerSearchTerm, CustomerStatus, Event, Tag, WebhookDelivery, WebhookSubscription
from fortycrm.services.customers import customer_create
from tests.fields.conftest import CONTRACT_CHOICES, define
from tests.imports.conftest import run_bytes

pytestmark = pytest.mark.django_db

HEADER = "Name *;Kurzname;PLZ;Ort;E-Mail;Kundenbetreuer;Schlagwörter;Status;Vertragsart;Fläche m²\n"


def test_events_terms_and_index_rows_match_the_desk_service(olga):
    define(name="vertragsart", label="Vertragsart", type="select", choices=CONTRACT_CHOICES, list_filter=True)
    define(name="flaeche", label="Fläche m²", type="integer", min_value=1)
    WebhookSubscription.objects.create(url="https://crm.example.de/hook", events=["customer.created"], secret="geheim")
    data = HEADER + "Gebäude Öztürk & Söhne GmbH;Öztürk;50667;Köln;Info@Oeztuerk.example;olga;Glas, Büro;Kunde;Premium;120\n"
    result = run_bytes("company_customers", data.encode("cp1252"), allow_duplicates=True)
    assert result.ok, result.errors
    imported = Event.objects.get(type="customer.created")
    desk = customer_create(
        kind="company", name="Gebäude Öztürk & Söhne GmbH", short_name="Öztürk", postcode="50667", city="Köln", email="Info@Oeztuerk.example",
        account_manager=olga, tags=["Glas", "Büro"], status="Kunde", custom_field_data={"vertragsart": "premium", "flaeche": 120}, actor=olga,
    )
    desk_event = Event.objects.filter(type="customer.created").exclude(pk=imported.pk).get()
    differ = {"id", "number", "created_at", "updated_at"}
    assert {k: v for k, v in imported.data.items() if k not in differ} == {k: v for k, v in desk_event.data.items() if k not in differ}
    assert imported.object_id == imported.data["id"] and desk_event.object_id == desk.pk
    # each event has its delivery for the subscription
    assert sorted(WebhookDelivery.objects.values_list("event_id", flat=True)) == sorted([imported.pk, desk_event.pk])

    def terms(pk: int) -> list[str]:
        return sorted(CustomerSearchTerm.objects.filter(customer_id=pk).values_list("term", flat=True))

    def index(pk: int) -> list[tuple[str, str]]:
        return sorted(CustomerFieldValue.objects.filter(record_id=pk).values_list("field", "value"))

    number_terms = {str(imported.data["number"]), str(desk.number)}
    assert {t for t in terms(imported.object_id) if t not in number_terms} == {t for t in terms(desk.pk) if t not in number_terms}
    assert "oeztuerk" in terms(imported.object_id) and "gebaeude" in terms(imported.object_id)
    assert index(imported.object_id) == index(desk.pk) and ("vertragsart", "premium") in index(desk.pk)


def test_insert_rows_splits_into_statements_and_returns_the_ids_in_order():
    columns = insert_columns(Tag)
    names = [f"Schlagwort {i:02d}" for i in range(11)]
    rows = [
        [{"name": name, "normalized": Tag.normalize(name)}.get(f.attname) or f.get_db_prep_save(f.get_default(), connection) for f in columns]
        for name in names
    ]
    ids = insert_rows(Tag, columns, rows, returning=connection.features.can_return_rows_from_bulk_insert, max_rows=4)
    stored = list(Tag.objects.filter(name__in=names).order_by("pk").values_list("pk", "name"))
    assert [name for _pk, name in stored] == names
    if connection.features.can_return_rows_from_bulk_insert:
        assert ids == [pk for pk, _name in stored]


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's page cache")
def test_the_import_raises_the_sqlite_page_cache_until_its_commit(olga, django_capture_on_commit_callbacks):
    from fortycrm.imports.customer_importer import IMPORT_PAGE_CACHE_KIB

    def cache_size() -> int:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size")
            return cursor.fetchone()[0]

    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size = -2000")  # SQLite's default (an earlier test's import may have raised it)
    before = cache_size()
    CustomerStatus.objects.get(name="Kunde")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        result = run_bytes("company_customers", (HEADER + "Seite GmbH;;;;;;;Kunde;;\n").encode("cp1252"))
        assert result.ok, result.errors
        assert cache_size() == -IMPORT_PAGE_CACHE_KIB
    for callback in callbacks:
        callback()
    assert cache_size() == before


def test_the_event_shows_the_settings_as_the_api_does(olga):
    """R-PAY-2: own settings from the file's columns, the defaults for the others (invoice e-mail: the customer's)."""
    from fortycrm.api.payers import settings_json
    from fortycrm.models import Customer
    from fortycrm.payer_selectors import customer_effective_settings

    data = "Name *;E-Mail;Zahlungsziel;Skonto;Skontotage;Rechnungs-E-Mail\nEigen GmbH;a@eigen.example;30;2,5;10;rechnung@eigen.example\nStandard GmbH;b@standard.example;;;;\n"
    result = run_bytes("company_customers", data.encode("cp1252"))
    assert result.ok, result.errors
    for customer in Customer.objects.filter(name__in=["Eigen GmbH", "Standard GmbH"]):
        event = Event.objects.get(type="customer.created", object_id=customer.pk)
        expected = settings_json(customer_effective_settings(customer))
        assert (event.data["settings"], event.data["settings_overrides"]) == (expected["settings"], expected["settings_overrides"])
    eigen = Event.objects.get(type="customer.created", data__name="Eigen GmbH").data
    assert eigen["settings"]["payment_days"] == 30 and eigen["settings_overrides"] == ["payment_days", "discount_percent", "discount_days", "invoice_email"]


def test_insert_rows_stores_every_value_as_given():
    """Quotes, backslashes, percent signs, umlauts and emoji arrive unchanged (MariaDB: values quoted by the driver's own literal)."""
    columns = insert_columns(Tag)
    names = ["O'Brien \\ Söhne", "100 % \"sicher\"", "%s und %(x)s", "Zeile\nzwei", "Grüße 🧹", "  Leerzeichen  "]
    rows = [
        [{"name": name, "normalized": f"n{i}"}.get(f.attname) or f.get_db_prep_save(f.get_default(), connection) for f in columns]
        for i, name in enumerate(names)
    ]
    insert_rows(Tag, columns, rows, returning=False, max_rows=4)
    assert list(Tag.objects.filter(normalized__in=[f"n{i}" for i in range(len(names))]).order_by("pk").values_list("name", flat=True)) == names


@pytest.mark.skipif(connection.vendor != "mysql", reason="MariaDB's foreign key checks")
def test_fresh_parents_leaves_the_sessions_foreign_key_checks_as_they_were(olga):
    from fortycrm.models import Customer

    customer = Customer.objects.create(kind="company", name="Frisch GmbH", status=CustomerStatus.objects.get(name="Kunde"))
    columns = [CustomerSearchTerm._meta.get_field("customer"), CustomerSearchTerm._meta.get_field("term")]
    insert_rows(CustomerSearchTerm, columns, [[customer.pk, "frischeterm"]], returning=False, fresh_parents=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT @@foreign_key_checks")
        assert cursor.fetchone()[0] == 1
    assert CustomerSearchTerm.objects.filter(customer=customer, term="frischeterm").exists()


def _term_columns():
    return [CustomerSearchTerm._meta.get_field("customer"), CustomerSearchTerm._meta.get_field("term")]


def test_the_write_pipe_sends_from_its_thread_and_every_other_query_waits_for_it():
    from fortycrm.models import Customer

    customer = Customer.objects.create(kind="company", name="Pipe GmbH", status=CustomerStatus.objects.get(name="Kunde"))
    rows = [[customer.pk, f"pipeterm{i:05d}"] for i in range(5000)]
    with transaction.atomic(), write_pipe() as pipe:
        assert pipe is not None and pipe.thread.is_alive()
        assert insert_rows(CustomerSearchTerm, _term_columns(), rows, returning=False, max_rows=1000) == []
        # the next query of this connection sees every row the pipe was given (it waits first)
        assert CustomerSearchTerm.objects.filter(customer=customer, term__startswith="pipeterm").count() == 5000
        assert pipe.sent == 5
        assert getattr(connection, "fortycrm_write_pipe", None) is pipe
    assert not pipe.thread.is_alive() and getattr(connection, "fortycrm_write_pipe", None) is None
    with transaction.atomic(), write_pipe(enabled=False) as none:  # a preview: no thread
        assert none is None


def test_a_failing_statement_of_the_pipe_is_raised_as_djangos_error_and_rolled_back():
    from fortycrm.models import Customer

    customer = Customer.objects.create(kind="company", name="Doppelt GmbH", status=CustomerStatus.objects.get(name="Kunde"))
    rows = [[customer.pk, "qerstes"], [customer.pk, "qdoppelt"], [customer.pk, "qdoppelt"]]
    with pytest.raises(IntegrityError):
        with transaction.atomic(), write_pipe() as pipe:
            insert_rows(CustomerSearchTerm, _term_columns(), rows[:1], returning=False)
            insert_rows(CustomerSearchTerm, _term_columns(), rows, returning=False)  # the unique (customer, term) refuses it
            insert_rows(CustomerSearchTerm, _term_columns(), [[customer.pk, "qdanach"]], returning=False)
            CustomerSearchTerm.objects.count()  # waits for the pipe: the error surfaces here
    assert pipe.sent == 1  # nothing was sent after the failed statement
    assert not CustomerSearchTerm.objects.filter(customer=customer, term__in=["qerstes", "qdoppelt", "qdanach"]).exists()


def test_an_error_of_the_import_itself_stops_the_pipe_and_rolls_everything_back():
    from fortycrm.models import Customer

    customer = Customer.objects.create(kind="company", name="Abbruch GmbH", status=CustomerStatus.objects.get(name="Kunde"))
    with pytest.raises(RuntimeError):
        with transaction.atomic(), write_pipe() as pipe:
            insert_rows(CustomerSearchTerm, _term_columns(), [[customer.pk, f"qabbruch{i}"] for i in range(3000)], returning=False, max_rows=100)
            raise RuntimeError("a bug while preparing the next rows")
    assert not pipe.thread.is_alive()
    assert not CustomerSearchTerm.objects.filter(customer=customer, term__startswith="qabbruch").exists()


@pytest.mark.skipif(connection.vendor != "mysql", reason="MariaDB's quoting")
def test_the_quoting_without_the_connection_gives_the_drivers_bytes():
    import datetime as dt
    from decimal import Decimal

    from fortycrm.bulk_sql import _free_literal

    connection.ensure_connection()
    free = _free_literal(connection)
    assert free is not None  # the test database speaks UTF-8
    values = [
        "", "plain", "O'Brien \\ Söhne", '100 % "sicher"', "Zeile\nzwei\r\n", "\x00nul\x1a", "Grüße 🧹", "'", "\\", "%s", "ä" * 300,
        0, 1, -7, 2**40, True, False, None, 1.5, Decimal("58.00"), dt.date(2026, 11, 28), dt.datetime(2026, 11, 28, 12, 30, 5, 123456),
        b"bytes'\\", "2026-11-28 12:30:05.123456", '{"a": "b\\"c"}',
    ]
    for value in values:
        assert free(value) == connection.connection.literal(value), value


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite: ids known before the INSERT")
def test_sqlite_pipe_gives_the_ids_sqlite_would_and_never_reuses_a_deleted_one():
    import sys

    from django.utils import timezone

    from fortycrm.bulk_sql import PIPE_SWITCH_INTERVAL, prepared_rows
    from fortycrm.models import Customer

    status = CustomerStatus.objects.get(name="Kunde")
    highest = Customer.objects.create(kind="company", name="Höchste GmbH", status=status).pk
    Customer.objects.filter(pk=highest).delete()  # AUTOINCREMENT: its id is never given again
    columns = insert_columns(Customer)

    def rows(names: list[str]) -> list[list]:
        now = timezone.now()
        return prepared_rows([Customer(kind="company", name=name, status=status, created_at=now, updated_at=now) for name in names], columns, connection)

    switch = sys.getswitchinterval()
    with transaction.atomic(), write_pipe() as pipe:
        assert sys.getswitchinterval() == min(switch, PIPE_SWITCH_INTERVAL)
        ids = insert_rows(Customer, columns, rows([f"Vorab {i} GmbH" for i in range(5)]), returning=True, max_rows=2)
        assert ids == list(range(highest + 1, highest + 6))
        more = insert_rows(Customer, columns, rows(["Danach GmbH"]), returning=True)
        assert more == [highest + 6]  # counted after the pipe had sent the first five
        assert pipe.sent >= 3  # the INSERTs went through the pipe's thread (5 rows, 2 per statement)
    assert sys.getswitchinterval() == switch
    assert list(Customer.objects.filter(pk__gt=highest).order_by("pk").values_list("pk", "name")) == [
        *zip(ids, [f"Vorab {i} GmbH" for i in range(5)]), (more[0], "Danach GmbH")
    ]
    # SQLite's own next id comes after them, as if SQLite had chosen them
    assert Customer.objects.create(kind="company", name="Später GmbH", status=status).pk == more[0] + 1


def test_the_events_json_text_is_the_document_json_dumps_gives():
    import json

    from fortycrm.events import _json_text

    data = {"name": "Gebäude Öztürk & Söhne „GmbH“ 🧹", "quote": 'a "b" \\ c\n', "n": [1, -2, 3.5, None, True, False], "nested": {"x": {}}}
    text = _json_text(data)
    assert json.loads(text) == json.loads(json.dumps(data)) == data and "Öztürk" in text  # letters kept, not \u escaped
    for refused in ({"big": 2**70}, {**data, 7: "a number as key"}):  # beyond orjson's integers, a key that is no text
        assert _json_text(refused) == json.dumps(refused)


def test_sqlite_statement_sends_a_column_that_is_the_same_in_every_row_once():
    """SQLite: columns holding one value throughout are bound once per statement; the stored rows,
    their order, values and SQLite types are those of the plain multi-row INSERT."""
    import sqlite3

    from fortycrm.bulk_sql import _sqlite_constants_once, _statements

    class Plain:  # what _statements needs of a connection for the plain statement
        vendor = "other"

    head = 'INSERT INTO "t" ("a", "b", "c", "d", "e", "f", "g") VALUES '
    stamp = "2026-11-28 10:00:00"
    rows = [
        ["", "DE", None, 7, stamp, f"Name {i}", [1, True, 1.0][i % 3]]  # g: equal numbers of three types
        for i in range(5)
    ]
    all_same = [["", "DE", None, 7, stamp, "x", 1] for _i in range(3)]
    mixed_first = [[1, 1, 1, 1, 1, 1, 1], [True, 1.0, 1, 1, 1, 1, 1]]
    for chunk in (rows, all_same, mixed_first):
        results = []
        factored = _sqlite_constants_once(head, chunk, 7)
        plain_sql, plain_params = next(_statements(Plain(), head.replace("?", "%s"), "", chunk, 100, 7, None))
        for sql, params in (factored, (plain_sql.replace("%s", "?"), plain_params)):
            db = sqlite3.connect(":memory:")
            db.execute('CREATE TABLE "t" (id INTEGER PRIMARY KEY, a TEXT, b TEXT, c TEXT, d INTEGER, e TEXT, f TEXT, g)')
            db.execute(sql, params)
            results.append(db.execute("SELECT id, a, typeof(a), b, c, typeof(c), d, e, f, g, typeof(g) FROM t ORDER BY id").fetchall())
        assert results[0] == results[1] and len(results[0]) == len(chunk)
        assert len(factored[1]) < len(plain_params) or chunk is mixed_first
    assert "?1" in _sqlite_constants_once(head, rows, 7)[0]
    assert _sqlite_constants_once(head, [[i, f"x{i}", i, i, i, i, i] for i in range(3)], 7) is None  # nothing repeats


@pytest.mark.parametrize("piped", [False, True], ids=["direct", "write pipe"])
def test_insert_word_lists_writes_one_row_per_word_of_each_group(piped):
    """Each (key, words) group becomes one row per word, every word stored as given — also words
    JSON would have to escape — on both databases, directly and through the write pipe."""
    from fortycrm.bulk_sql import _json_words, insert_word_lists
    from fortycrm.models import Customer

    status = CustomerStatus.objects.get(name="Kunde")
    first, second, third = (Customer.objects.create(kind="company", name=f"Wort {i} GmbH", status=status) for i in range(3))
    odd = ['a"b', "back\\slash", "tab\tx", "zeile\nx", "ünïcödé", "σοφός", "一二", "😀", ""]
    groups = [(first.pk, ["alpha", "beta", "gamma"]), (second.pk, []), (third.pk, odd)]
    CustomerSearchTerm.objects.filter(customer__in=[first, second, third]).delete()
    with transaction.atomic(), write_pipe(enabled=piped):
        insert_word_lists(CustomerSearchTerm, _term_columns(), groups, max_rows=2)
    stored = {pk: sorted(CustomerSearchTerm.objects.filter(customer_id=pk).values_list("term", flat=True)) for pk in (first.pk, second.pk, third.pk)}
    assert stored == {first.pk: ["alpha", "beta", "gamma"], second.pk: [], third.pk: sorted(odd)}
    assert _json_words(["a", "b"]) == '["a","b"]' and _json_words(['a"b']) == '["a\\"b"]'

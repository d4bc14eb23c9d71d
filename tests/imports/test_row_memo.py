"""Issues 9/16: the import converts each distinct cell text once per column (``RowMaker``).

A remembered conversion must give exactly what ``convert`` gives — the same value, or the
same problem at EVERY row holding the bad value, not only at the first — and never share a
list (tags, multiple choices) between rows.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from fortycrm.imports import driver
from fortycrm.imports.columns import get_template
from fortycrm.imports.customer_importer import CustomerImporter
from fortycrm.imports.parsing import ENGLISH, GERMAN, ConvertError, convert, match_headers
from fortycrm.imports.results import INSERT, ImportResult
from fortycrm.models import Customer
from tests.fields.conftest import CONTRACT_CHOICES, define
from tests.imports.conftest import run_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def custom(db):
    define(name="vertragsart", label="Vertragsart", type="select", choices=CONTRACT_CHOICES)
    define(name="leistungen", label="Leistungen", type="multiselect", choices=[{"value": "glas", "label": "Glasreinigung"}, {"value": "boden", "label": "Boden"}])
    define(name="flaeche", label="Fläche m²", type="integer", min_value=1, max_value=100000)
    define(name="satz", label="Verrechnungssatz", type="decimal", min_value="10")


HEADER = "Name *;Kunde seit;Fläche m²;Vertragsart;Leistungen;Schlagwörter;Rechnungen zusammenfassen"


def test_a_bad_value_is_reported_at_every_row_that_holds_it(olga, custom):
    lines = [
        "A GmbH;31.02.2024;0;Gold;Glasreinigung;Glas, Boden;vielleicht",  # row 2: five bad cells
        "B GmbH;01.02.2024;12;Premium;Glasreinigung;Glas, Boden;ja",  # row 3: fine
        "C GmbH;31.02.2024;0;Gold;Fenster;Glas, Boden;vielleicht",  # row 4: the same bad cells (and another choice)
        "D GmbH;31.02.2024;abc;Gold;Fenster;;vielleicht",  # row 5
        "E GmbH;01.02.2024;12;Premium;Glasreinigung;Glas, Boden;ja",  # row 6: fine
    ]
    result = run_bytes("company_customers", "\n".join([HEADER, *lines]).encode(), "memo.csv")
    problems: dict[str, dict[int, str]] = {}
    for p in result.errors:
        problems.setdefault(p.column, {})[p.row] = p.message
    assert set(problems["Kunde seit"]) == {2, 4, 5}
    assert len(set(problems["Kunde seit"].values())) == 1 and "31.02.2024" in problems["Kunde seit"][2]
    assert set(problems["Vertragsart"]) == {2, 4, 5} and len(set(problems["Vertragsart"].values())) == 1
    assert set(problems["Rechnungen zusammenfassen"]) == {2, 4, 5}
    assert problems["Fläche m²"][2] == problems["Fläche m²"][4] and "abc" in problems["Fläche m²"][5]
    assert set(problems["Leistungen"]) == {4, 5}
    assert 3 not in {p.row for p in result.errors} and 6 not in {p.row for p in result.errors}
    # grouped by cause: one group, three rows
    group = next(g for g in result.problem_groups() if g["column"] == "Kunde seit")
    assert (group["count"], group["rows"]) == (3, [2, 4, 5])
    assert Customer.objects.count() == 0


def test_repeated_good_values_import_the_same_and_lists_are_not_shared(olga, custom):
    lines = [f"{name} GmbH;01.02.2024;12;Premium;Glasreinigung; Glas , Boden;ja" for name in "ABC"]
    result = run_bytes("company_customers", "\n".join([HEADER, *lines]).encode(), "memo.csv")
    assert result.ok, [str(p) for p in result.errors]
    customers = list(Customer.objects.order_by("pk"))
    assert [c.start_date for c in customers] == [dt.date(2024, 2, 1)] * 3
    assert [c.custom_field_data for c in customers] == [{"vertragsart": "premium", "leistungen": ["glas"], "flaeche": 12}] * 3
    assert [sorted(c.tags.values_list("name", flat=True)) for c in customers] == [["Boden", "Glas"]] * 3
    assert all(c.combine_invoices is True for c in customers)


CELLS = {
    "start_date": ["31.12.2024", "31.02.2024", "2024-12-31", "gestern", " 01.01.2020 ", "01.01.2020 12:30"],
    "tags": ["Glas, Boden", "Glas;Glas", "", "x" * 70],
    "combine_invoices": ["ja", "nein", "vielleicht", "X"],
    "delivery": ["E-Mail", "Post", "Brieftaube", "email"],
    "discount_percent": ["2,5", "2.5", "1.000", "x"],
    "number": ["10001", "1.000", "1,5", "abc", "99999999999999999999999"],
    "cf_flaeche": ["12", "0", "1.250", "-3", "zwölf", "200000"],
    "cf_satz": ["12,50", "9,99", "1.234,5", "1,234.5", "zehn"],
    "cf_vertragsart": ["Premium", "premium", "Gold", " Standard "],
    "cf_leistungen": ["Glasreinigung; Boden", "Fenster", "boden,glas"],
    "name": ["'=SUMME(A1)", "a\x00b", "Müller\tGmbH", "  ", " Müller GmbH "],
    "email": [" info @ example.de ", "'=info@example.de", "", "a\x01@example.de", "info@example.de"],
    "website": ["example.de", " https://example.de ", ""],
}


@pytest.mark.parametrize("style", [None, GERMAN, ENGLISH])
def test_remembered_conversion_equals_convert_at_every_occurrence(olga, custom, style):
    template = get_template("company_customers")
    by_key = {c.key: c for c in template.columns}
    keys = list(CELLS)
    by_index = {i: by_key[key] for i, key in enumerate(keys)}
    result = ImportResult(template=template.key)
    importer = CustomerImporter(template=template, mode=INSERT, user=olga, allow_duplicates=False, result=result, labels={}, file_name="x.csv")
    maker = driver.RowMaker(by_index, importer, INSERT, style)
    width = max(len(v) for v in CELLS.values())
    rows = [[CELLS[key][(n + i) % len(CELLS[key])] for i, key in enumerate(keys)] for n in range(3 * width)]  # every text several times
    made = []
    for number, cells in enumerate(rows, start=2):
        made.append(maker.make(number, cells))
    for row, cells in zip(made, rows):
        problems = {p.column: p.message for p in result.errors if p.row == row.number}
        for i, key in enumerate(keys):
            try:
                expected = convert(by_key[key], cells[i], style)
            except ConvertError as exc:
                assert key in row.failed_keys and row.values[key] is None
                assert str(exc) in problems.values()
                continue
            assert key not in row.failed_keys or by_key[key].required, (key, cells[i])
            assert row.values[key] == expected and type(row.values[key]) is type(expected), (key, cells[i])
    tag_lists = [row.values["tags"] for row in made if row.values.get("tags")]
    assert len({id(t) for t in tag_lists}) == len(tag_lists)  # a fresh list per row
    assert {type(row.values["cf_satz"]) for row in made if row.values.get("cf_satz") is not None} <= {str, Decimal}


def test_an_empty_row_is_skipped_and_short_rows_count_as_empty_cells(olga):
    template = get_template("company_customers")
    match = match_headers(template, ["Name *", "Ort", "PLZ", "Land"])
    importer = CustomerImporter(template=template, mode=INSERT, user=olga, allow_duplicates=False, result=ImportResult(template=template.key),
                                labels={}, file_name="x.csv")
    maker = driver.RowMaker(match.by_index, importer, INSERT)
    assert maker.make(2, ["", "  ", None]) is None
    row = maker.make(3, ["Alpha GmbH", "Köln", "1067"])
    assert row.values == {"name": "Alpha GmbH", "city": "Köln", "postcode": "01067", "country": None}
    assert row.raw == {"name": "Alpha GmbH", "city": "Köln", "postcode": "1067", "country": None}
    assert maker.make(4, ["Beta GmbH", "Wien", "1010", "AT"]).values["postcode"] == "1010"


def test_the_collector_runs_less_often_during_an_import_and_as_before_afterwards(olga, monkeypatch):
    import gc
    import io

    before = gc.get_threshold()
    seen = []
    with driver.fewer_gc_passes():
        seen.append(gc.get_threshold())
        with driver.fewer_gc_passes():  # a second import in another thread of the process
            seen.append(gc.get_threshold())
        seen.append(gc.get_threshold())
    assert gc.get_threshold() == before
    assert all(t[0] == max(before[0], driver.GC_FIRST_THRESHOLD) and t[1:] == before[1:] for t in seen), seen
    lines = "\n".join(["Name *", *[f"Firma {i}" for i in range(3)]]).encode()
    thresholds = []
    monkeypatch.setattr(driver, "BATCH_SIZE", 1)  # progress after every row, inside the import
    result = driver.import_file(template="company_customers", file=io.BytesIO(lines), file_name="x.csv", user=olga, dry_run=True,
                                progress=lambda done, total: thresholds.append(gc.get_threshold()[0]))
    assert result.ok and gc.get_threshold() == before
    assert thresholds[:3] == [max(before[0], driver.GC_FIRST_THRESHOLD)] * 3 and thresholds[3] == before[0]
    gc.set_threshold(0)  # switched off: stays off
    try:
        with driver.fewer_gc_passes():
            assert gc.get_threshold()[0] == 0
    finally:
        gc.set_threshold(*before)

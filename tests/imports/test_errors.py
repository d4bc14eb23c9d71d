"""Every error kind: named by row, column and value with a hint — and nothing saved (R-IMP-3)."""

import pytest

from fortycrm.models import Customer, NumberSequence, Tag
from tests.imports.conftest import run, run_bytes

pytestmark = pytest.mark.django_db


def _state():
    return (Customer.objects.count(), Tag.objects.count(), NumberSequence.objects.get(key="customer").last_value, Customer.history.count())


@pytest.fixture
def bad(base_data):
    before = _state()
    result = run("company_customers", "company_customers_bad.csv")
    assert _state() == before, "a file with problems must import nothing"
    return {(p.row, p.column): p for p in result.errors}, result


@pytest.mark.parametrize(
    ("row", "column", "value", "words"),
    [
        (2, "Status", "Stammkunde", ["Stammkunde", "Interessent", "Kunde"]),
        (3, "Kundenbetreuer", "niemand", ["niemand"]),
        (4, "Kundenbetreuer", "nogroup", ["nogroup", "Gruppe"]),
        (5, "Kunde seit", "31.13.2020", ["31.13.2020", "31.12.2026"]),
        (6, "E-Mail", "keine-mail", ["E-Mail"]),
        (7, "Name *", "", ["Pflichtspalte", "Name *"]),
        (8, "Kundennummer", "10001", ["10001", "Hansa Reinigung GmbH"]),
        (10, "Kundennummer", "30000", ["30000", "Zeile 9"]),
        (11, "Kundennummer", "30001", ["Interessent"]),
        (12, "Rechnungen zusammenfassen", "vielleicht", ["vielleicht", "ja/nein"]),
        (12, "Kunde bis", "01.01.2021", ["Kunde bis", "Kunde seit"]),
        (13, "Land", "Deutschland", ["DE"]),
        (14, "Kundennummer", "abc", ["abc", "Ziffern"]),
        (14, "Schlagwörter", "X" * 70, ["60"]),
        (15, "Name *", "Alpha GmbH", ["Dublette", "Zeile 2"]),
        (16, "Name *", "Hansa Reinigung GmbH", ["Dublette", "Hansa Reinigung GmbH", "10001"]),
        (17, "E-Mail", "info@hansa.de", ["Dublette", "E-Mail", "Hansa Reinigung GmbH"]),
    ],
)
def test_each_problem_names_row_column_value_and_hint(bad, row, column, value, words):
    problems, _result = bad
    problem = problems.get((row, column))
    assert problem is not None, f"no problem for row {row}, column {column}: {sorted(problems)}"
    assert problem.value == value
    for word in words:
        assert word in problem.message, (word, problem.message)
    # issue 16 item 9: the column by letter and header, the whole value
    assert problem.letter and str(problem).startswith(f"Zeile {row}, Spalte {problem.letter} ({column})")
    assert f"„{value}“: " in str(problem) if value else f"({column}): " in str(problem)


def test_good_rows_of_a_bad_file_are_not_imported_and_no_problem_is_missing(bad):
    problems, result = bad
    assert not result.ok and result.created == 0
    assert result.error_count == len(result.errors) == 17
    assert {row for row, _col in problems} == set(range(2, 18)) - {9}  # row 9 itself is fine
    assert not Customer.objects.filter(name="Theta GmbH").exists()


def test_one_message_per_cell(bad):
    problems, result = bad
    cells = [(p.row, p.column) for p in result.errors]
    assert len(cells) == len(set(cells))


def test_rollback_after_rows_were_already_written(base_data):
    """1,200 good rows (one full batch written) then a bad one: nothing stays."""
    lines = ["Name *;PLZ;Status"] + [f"Firma {i} GmbH;{10000 + i};Kunde" for i in range(1200)] + ["Kaputt GmbH;99999;Gibtsnicht"]
    before = _state()
    result = run_bytes("company_customers", "\n".join(lines).encode("cp1252"))
    assert [(p.row, p.column) for p in result.errors] == [(1202, "Status")]
    assert _state() == before


def test_missing_mandatory_column_and_duplicate_header():
    result = run_bytes("company_customers", b"PLZ;Ort;ort\n12345;Kiel;Kiel\n")
    messages = " ".join(p.message for p in result.errors)
    assert "Name *" in messages and "fehlt" in messages
    assert "zweimal" in messages and "B" in messages and "C" in messages
    assert all(p.row == 1 for p in result.errors)


def test_empty_file_and_header_only_file():
    empty = run_bytes("company_customers", b"")
    assert not empty.ok and "leer" in empty.errors[0].message
    header_only = run_bytes("company_customers", b"Name *;PLZ\n;\n")
    assert not header_only.ok and "keine Datenzeilen" in header_only.errors[0].message


def test_broken_xlsx_and_old_xls():
    broken = run_bytes("company_customers", b"PK\x03\x04garbage", name="kunden.xlsx")
    assert not broken.ok and ".xlsx" in broken.errors[0].message
    old = run_bytes("company_customers", b"\xd0\xcf\x11\xe0 old excel", name="kunden.xls")
    assert not old.ok and ".xls" in old.errors[0].message


def test_unknown_template_is_refused():
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="company_customers"):
        run_bytes("kunden", b"Name\nx\n")


def test_update_mode_for_other_templates_is_refused(base_data):
    result = run("locations", "locations.csv", mode="update")
    assert not result.ok and "nur für Kunden" in result.errors[0].message

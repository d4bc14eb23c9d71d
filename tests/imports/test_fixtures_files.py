"""The committed fixture files are exactly what the helper writes (so they can be regenerated)."""

import io

from openpyxl import load_workbook

from tests.imports import make_fixtures
from tests.imports.conftest import FIXTURES


def test_committed_csv_fixtures_match_the_helper():
    for name, data in make_fixtures.FILES.items():
        assert (FIXTURES / name).read_bytes() == data, f"{name} differs; run python -m tests.imports.make_fixtures"


def test_committed_xlsx_fixture_matches_the_helper():
    def cells(data: bytes):
        return [list(r) for r in load_workbook(io.BytesIO(data), read_only=True).worksheets[0].iter_rows(values_only=True)]

    assert cells((FIXTURES / "company_customers.xlsx").read_bytes()) == cells(make_fixtures.xlsx_company())


def test_german_excel_fixture_really_is_windows_1252_with_semicolons():
    raw = (FIXTURES / "company_customers_cp1252.csv").read_bytes()
    assert "Müller".encode("cp1252") in raw and b";" in raw
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:  # pragma: no cover
        raise AssertionError("fixture should not be valid UTF-8")

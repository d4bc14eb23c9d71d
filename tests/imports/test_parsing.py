"""What German Excel writes (R-IMP-2): encodings, separators, dates, decimal comma, headers."""

import datetime as dt
import io
from decimal import Decimal

import pytest

from fortycrm.imports import columns
from fortycrm.imports.parsing import (
    ConvertError,
    convert,
    detect_encoding,
    match_headers,
    normalize_header,
    open_table,
    sniff_delimiter,
)


def col(kind, key="x", **kw):
    return columns.Column(key=key, label="X", kind=kind, **kw)


@pytest.mark.parametrize(
    ("raw", "encoding"),
    [("Müller".encode("cp1252"), "cp1252"), ("Müller".encode(), "utf-8"), (b"\xef\xbb\xbf" + "Müller".encode(), "utf-8-sig"), ("Müller".encode("utf-16"), "utf-16")],
)
def test_detect_encoding(raw, encoding):
    assert detect_encoding(io.BytesIO(raw)) == encoding


def test_sniff_delimiter_ignores_separators_inside_quotes():
    assert sniff_delimiter('Name;PLZ;Ort\n') == ";"
    assert sniff_delimiter('Name,PLZ,Ort\n') == ","
    assert sniff_delimiter('"Müller; Söhne",PLZ,Ort\n') == ","
    assert sniff_delimiter('"a,b,c";x\n') == ";"
    assert sniff_delimiter("Name\tPLZ\n") == "\t"
    assert sniff_delimiter("Name\n") == ";"


def test_csv_multiline_cells_keep_excel_row_numbers():
    data = 'Name;Notizen\n"Alpha GmbH";"Zeile 1\nZeile 2"\n\n"Beta GmbH";x\n'.encode("cp1252")
    table = open_table(io.BytesIO(data), "x.csv")
    assert list(table.rows) == [(2, ["Alpha GmbH", "Zeile 1\nZeile 2"]), (4, ["Beta GmbH", "x"])]


def test_utf16_tab_separated_unicode_text():
    data = "Name *\tOrt\nMüller GmbH\tKöln\n".encode("utf-16")
    table = open_table(io.BytesIO(data), "x.txt")
    assert table.headers == ["Name *", "Ort"] and list(table.rows) == [(2, ["Müller GmbH", "Köln"])]


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_byte_order_mark(encoding):
    data = "Name *;Ort\nMüller GmbH;Köln\nÖzdemir & Söhne;Görlitz\n".encode(encoding)
    table = open_table(io.BytesIO(data), "x.csv")
    assert table.headers == ["Name *", "Ort"]
    assert list(table.rows) == [(2, ["Müller GmbH", "Köln"]), (3, ["Özdemir & Söhne", "Görlitz"])]


@pytest.mark.django_db
def test_random_bytes_with_every_second_byte_nul_are_still_binary():
    import random

    from tests.imports.conftest import run_bytes

    rng = random.Random(7)
    noise = bytes(rng.getrandbits(8) if i % 2 else 0 for i in range(4000))
    result = run_bytes("company_customers", noise, "kunden.csv")
    assert not result.ok and result.created == 0
    assert "keine Textdatei" in result.errors[0].message, result.errors[0].message


@pytest.mark.parametrize(
    ("text", "expected"),
    [("31.12.2026", dt.date(2026, 12, 31)), ("1.2.2021", dt.date(2021, 2, 1)), ("2026-12-31", dt.date(2026, 12, 31)),
     ("31.12.26", dt.date(2026, 12, 31)), ("31.12.2026 00:00:00", dt.date(2026, 12, 31)), (dt.datetime(2020, 1, 2, 3, 4), dt.date(2020, 1, 2))],
)
def test_dates(text, expected):
    assert convert(col(columns.DATE), text) == expected


@pytest.mark.parametrize("text", ["31.13.2026", "2026/12/31", "morgen", "29.02.2025"])
def test_bad_dates_say_how_to_write_them(text):
    with pytest.raises(ConvertError) as exc:
        convert(col(columns.DATE), text)
    assert text in str(exc.value) and "31.12.2026" in str(exc.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1.234,5", "1234.5"), ("1234,5", "1234.5"), ("1234.5", "1234.5"), ("1,234.5", "1234.5"), ("1.234.567", "1234567"), (" 12 ", "12"), (12.25, "12.25"), (7, "7")],
)
def test_decimal_comma(text, expected):
    assert convert(col(columns.DECIMAL), text) == Decimal(expected)


@pytest.mark.parametrize("text", ["zwölf", "1,2,3", "NaN", "Infinity"])
def test_bad_numbers(text):
    with pytest.raises(ConvertError):
        convert(col(columns.DECIMAL), text)


def test_datetime_is_local_time():
    from django.utils import timezone

    value = convert(col(columns.DATETIME), "30.06.2025 12:30")
    assert timezone.is_aware(value) and timezone.localtime(value).hour == 12
    assert timezone.localtime(convert(col(columns.DATETIME), "2025-06-30T08:15")).minute == 15
    with pytest.raises(ConvertError):
        convert(col(columns.DATETIME), "30.06.2025 25:00")


def test_bool_int_choice_tags_text():
    assert [convert(col(columns.BOOL), v) for v in ("ja", "Nein", "x", "1", "yes", "FALSCH", True)] == [True, False, True, True, True, False, True]
    with pytest.raises(ConvertError):
        convert(col(columns.BOOL), "vielleicht")
    assert convert(col(columns.INT), "10001") == 10001 and convert(col(columns.INT), 10001.0) == 10001
    for fractional in ("10001,5", "10001,0", "10001.5"):  # a whole number never accepts a fractional part (issue 16)
        with pytest.raises(ConvertError):
            convert(col(columns.INT), fractional)
    salutation = columns.PRIVATE_CUSTOMERS.column("salutation")
    assert [convert(salutation, v) for v in ("Frau", "herr", "Ms", "Divers")] == ["ms", "mr", "ms", "diverse"]
    kind = columns.METERS.column("kind")
    assert [convert(kind, v) for v in ("Strom", "Wärme", "water")] == ["electricity", "heat", "water"]
    assert convert(col(columns.TAGS), "Reinigung, reinigung ,Büro,") == ["Reinigung", "Büro"]
    assert convert(col(columns.TEXT, key="postcode"), 1067) == "1067"  # the zero comes back per row, by country (german_postcode)
    assert convert(col(columns.TEXT), "  Müller  ") == "Müller" and convert(col(columns.TEXT), "   ") is None
    assert convert(col(columns.URL), "www.example.de") == "https://www.example.de"


def test_headers_are_matched_tolerantly():
    assert normalize_header("  NAME  * ") == "name"
    assert normalize_header("\ufeffKunden nummer") == "kunden nummer"
    match = match_headers(columns.COMPANY_CUSTOMERS, ["kundennummer", " name*", "PLZ", "postcode", "Customer Since", "E-Mail", ""])
    keys = {i: c.key for i, c in match.by_index.items()}
    assert keys == {0: "number", 1: "name", 2: "postcode", 4: "start_date", 5: "email"}
    assert len(match.problems) == 1
    assert "zweimal" in match.problems[0].message or "twice" in match.problems[0].message


def test_four_digit_postcode_gets_its_zero_back_in_germany_only():
    from fortycrm.imports.parsing import german_postcode

    assert german_postcode("1067", None) == "01067"
    assert german_postcode("1067", "de") == "01067"
    assert german_postcode("1010", "AT") == "1010"
    assert german_postcode("8001", "CH") == "8001"
    assert german_postcode("10115", "DE") == "10115"

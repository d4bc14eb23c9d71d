"""Issue 16 ("Import, second pass"): the reading layer — German thousands point, unreadable
files, export → import round trip, control characters, column synonyms, tags, messages.

The fixture files are written by tests/imports/make_fixtures_second_pass.py the way office
programs write them (cp1252, ``;``, CRLF, ``#.##0`` numbers, the apostrophe-protected export).
"""

import io
import os
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from fortycrm.imports import columns
from fortycrm.imports.parsing import ENGLISH, GERMAN, ConvertError, convert, normalize_header, unprotect
from fortycrm.models import Customer, ImportLog
from tests.imports import make_fixtures_second_pass
from tests.imports.conftest import FIXTURES, fixture_path, run, run_bytes

pytestmark = pytest.mark.django_db


def col(kind, key="x"):
    return columns.Column(key=key, label="X", kind=kind)


def errors(result) -> dict[tuple[int, str], object]:
    return {(p.row, p.column): p for p in result.errors}


def test_committed_fixtures_match_the_helper():
    for name, data in make_fixtures_second_pass.FILES.items():
        assert (FIXTURES / name).read_bytes() == data, f"{name} differs; run python -m tests.imports.make_fixtures_second_pass"
    raw = (FIXTURES / "second_pass_thousands_de.csv").read_bytes()
    assert "Gebäudedienst".encode("cp1252") in raw and b"\r\n" in raw and b'"12.000";' not in raw and b"12.000;" in raw


# --- item 1: the German thousands point ---------------------------------------------------


def test_thousands_point_in_a_german_excel_csv():
    result = run("company_customers", "second_pass_thousands_de.csv")
    assert result.ok, result.errors
    tausend = Customer.objects.get(number=12000)  # never customer number 12
    assert tausend.name == "Tausend Gebäudedienst GmbH"
    assert tausend.own_settings.hourly_rate == Decimal("1234") and tausend.own_settings.discount_percent == Decimal("2.5")
    zwanzig = Customer.objects.get(number=20500)
    assert zwanzig.own_settings.hourly_rate == Decimal("1234.50") and zwanzig.own_settings.payment_days == 1000
    assert not Customer.objects.filter(number=12).exists()


def test_fractional_customer_number_and_decimal_point_in_a_german_file_are_refused():
    before = Customer.objects.count()
    result = run("company_customers", "second_pass_thousands_bad.csv")
    found = errors(result)
    assert "12,0" in found[(2, "Kundennummer")].message and "ganze Zahl" in found[(2, "Kundennummer")].message
    assert "12,5" in found[(3, "Stundensatz (€)")].message and "Tausender" in found[(3, "Stundensatz (€)")].message
    assert Customer.objects.count() == before


def test_english_comma_file_reads_the_point_as_decimal_and_never_cuts_a_number():
    result = run("company_customers", "second_pass_english_comma.csv")
    assert "12.000" in errors(result)[(2, "Customer number")].message
    assert not Customer.objects.filter(number=12).exists()
    # the same file with one decimal comma in it is German: 12.000 is twelve thousand
    result = run("company_customers", "second_pass_english_comma_decimal_comma.csv")
    assert result.ok, result.errors
    assert Customer.objects.get(number=12000).own_settings.hourly_rate == Decimal("1234")


@pytest.mark.parametrize(
    ("style", "text", "expected"),
    [
        (GERMAN, "12.345", "12345"), (GERMAN, "1.014.512", "1014512"), (GERMAN, "12.345,5", "12345.5"), (GERMAN, "-1.234,5", "-1234.5"),
        (ENGLISH, "12.345", "12.345"), (ENGLISH, "1,234.5", "1234.5"), (ENGLISH, "12,5", "12.5"),
        (None, "12.5", "12.5"), (None, "1.014.512", "1014512"), (None, "12,345", "12.345"), (None, "1.234,5", "1234.5"),
    ],
)
def test_number_styles(style, text, expected):
    assert convert(col(columns.DECIMAL), text, style) == Decimal(expected)


@pytest.mark.parametrize(
    ("style", "text", "hint"),
    [(None, "12.345", "mehrdeutig"), (ENGLISH, "12,345", "mehrdeutig"), (GERMAN, "12.5", "12,5"), (GERMAN, "1.234.5", "keine Zahl"), (GERMAN, "1,2,3", "keine Zahl")],
)
def test_ambiguous_numbers_are_refused_with_a_hint(style, text, hint):
    with pytest.raises(ConvertError) as exc:
        convert(col(columns.DECIMAL), text, style)
    assert text in str(exc.value) and hint in str(exc.value)


def test_whole_numbers_never_accept_a_fractional_part():
    assert convert(col(columns.INT), "12.000", GERMAN) == 12000
    for style, text in [(None, "12.000"), (ENGLISH, "12.000"), (GERMAN, "12,0"), (GERMAN, "12.00"), (None, "12,5")]:
        with pytest.raises(ConvertError):
            convert(col(columns.INT), text, style)
    with pytest.raises(ConvertError):
        convert(col(columns.INT), 12.5)
    with pytest.raises(ConvertError, match="zu groß"):  # never an OverflowError in the database
        convert(col(columns.INT), "99999999999999999999999", GERMAN)


# --- item 2: unreadable files --------------------------------------------------------------


def test_old_xls_renamed_csv_fails_in_the_command_with_exit_code_1(capsys):
    with pytest.raises(CommandError) as exc:
        call_command("fortycrm_import", "company_customers", str(fixture_path("second_pass_xls_renamed.csv")))
    assert exc.value.returncode == 1
    assert "alte Excel-Datei (.xls)" in capsys.readouterr().err
    log = ImportLog.objects.get()
    assert log.state == ImportLog.State.FAILED and log.finished_at is not None


def test_30_mb_of_random_bytes_fail_cleanly(tmp_path, capsys):
    path = tmp_path / "kunden.csv"
    path.write_bytes(os.urandom(30 * 1024 * 1024))
    with pytest.raises(CommandError) as exc:
        call_command("fortycrm_import", "company_customers", str(path))
    assert exc.value.returncode == 1 and "keine Textdatei" in capsys.readouterr().err
    assert ImportLog.objects.get().state == ImportLog.State.FAILED


@pytest.mark.parametrize(
    ("data", "row", "words"),
    [
        (b"Name *;" + b"X" * 200_000 + b"\r\nA GmbH;1\r\n", 1, ["Zeile 1", "131.072 Zeichen", "Anführungszeichen"]),
        ("Name *;Ort\r\nA GmbH;Köln\r\n\"B GmbH;".encode("cp1252") + b"x" * 140_000 + b"\r\n", 3, ["Zeile 3", "131.072 Zeichen"]),
        ("Name *;Ort\r\nA GmbH;K\röln\r\n".encode("cp1252"), 2, ["Zeile 2", "Zeilenumbruch"]),
        (b"PK\x03\x04" + b"\x00" * 100, 1, ["Excel-Arbeitsmappe"]),
    ],
)
def test_unreadable_csv_rows_end_in_a_german_message(data, row, words):
    result = run_bytes("company_customers", data, "kunden.csv")
    assert not result.ok and result.created == 0
    problem = result.errors[0]
    assert problem.row == row and all(w in problem.message for w in words), problem.message
    assert not Customer.objects.filter(name="A GmbH").exists()


@pytest.mark.parametrize(
    ("name", "data", "words"),
    [
        ("kunden.csv", (FIXTURES / "second_pass_xls_renamed.csv").read_bytes(), "alte Excel-Datei"),
        ("kunden.csv", b"Name *;" + b"X" * 200_000 + b"\r\n", "131.072 Zeichen"),
        ("kunden.csv", (FIXTURES / "second_pass_messages.csv").read_bytes(), "Spalte G (Kunde seit)"),  # item 9 in the desk
    ],
)
def test_desk_shows_the_message_and_marks_the_log_failed(client, olga, name, data, words):
    client.force_login(olga)
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile(name, data, content_type="text/csv")
    response = client.post(reverse("admin:fortycrm_importlog_add"), {"template": "company_customers", "mode": "insert", "file": upload}, follow=True)
    assert response.status_code == 200
    assert words in response.content.decode()
    assert ImportLog.objects.get().state == ImportLog.State.FAILED


# --- item 4: export → import round trip ----------------------------------------------------


def test_apostrophe_protection_is_undone_exactly():
    from fortycrm.imports.files import neutralise

    for value in ["+49 30 1234", "=SUMME(A1)", "@Home", "-Süd-", "\tTab", "'plain", "''=x", "'=x", "O'Brien", "", "12,5"]:
        assert unprotect(neutralise(value)) == value, value
    assert unprotect("'+49 30 1234") == "+49 30 1234" and unprotect("+49 30 1234") == "+49 30 1234"
    assert convert(col(columns.TEXT), "'+49 30 1234") == "+49 30 1234"
    assert normalize_header("'=Name *") == "=name"


def test_export_protected_file_updates_without_apostrophes(base_data):
    result = run("company_customers", "second_pass_export_protected.csv", mode="update")
    assert result.ok, result.errors
    hansa = Customer.objects.get(number=10001)
    assert (hansa.name, hansa.short_name, hansa.phone, hansa.mobile) == ("@Home Service GmbH", "-Süd-", "+49 30 1234", "+49 171 5555")
    assert hansa.notes == '=HYPERLINK("x")\nzweite Zeile'


def _snapshot():
    rows = {}
    for c in Customer.objects.filter(number__gte=30000).select_related("status", "account_manager", "own_settings").prefetch_related("tags").order_by("number"):
        fields = {f.attname: getattr(c, f.attname) for f in Customer._meta.concrete_fields if f.attname not in ("updated_at",)}
        rows[c.number] = (fields, sorted(t.name for t in c.tags.all()), c.own_settings.hourly_rate)
    return rows


def test_round_trip_of_200_tricky_customers_changes_nothing(olga):
    from fortycrm.imports.columns import get_template
    from fortycrm.imports.files import customers_csv
    from tests.imports.make_fixtures import _csv

    tricky = ["=SUMME(A1:A9) {i}", "@Home Service {i} GmbH", "-Minus {i} KG", "+Plus {i} AG", "Müller & Söhne {i} oHG"]
    rows = [["Kundennummer", "Status", "Name *", "Kurzname", "Telefon", "Mobil", "Notizen", "Schlagwörter", "Kundenbetreuer", "Stundensatz (€)"]]
    for i in range(200):
        rows.append([
            str(30000 + i), "Kunde", tricky[i % 5].format(i=i), ["''=x", "'plain", "Größe", "-", "@"][i % 5],
            f"+49 30 {1000 + i}", f"-{i}", f"Zeile 1 {i}\nZeile 2: =B{i}\r\nÄußerst wichtig", "Winterdienst, Grünpflege" if i % 2 else "Glas",
            "olga", f"{i},50",
        ])
    result = run_bytes("company_customers", _csv(rows), "anlage.csv")
    assert result.ok and result.created == 200, result.errors[:3]
    before = _snapshot()
    assert before[30000][0]["name"] == "=SUMME(A1:A9) 0" and before[30000][0]["short_name"] == "'=x" and before[30003][0]["mobile"] == "-3"

    customers = Customer.objects.filter(number__gte=30000).select_related("status", "account_manager").prefetch_related("tags").order_by("number")
    exported = customers_csv(get_template("company_customers"), customers)
    assert b"'+49 30 1000" in exported and b"'=SUMME" in exported and b";''=x;" in exported
    history = Customer.history.count()
    result = run_bytes("company_customers", exported, "export.csv", mode="update")
    assert result.ok, result.errors[:3]
    if hasattr(result, "unchanged"):  # the update engine that counts changed / unchanged rows (issue 16 item 5)
        assert (result.updated, result.unchanged) == (0, 200)
    assert _snapshot() == before
    assert Customer.history.count() - history <= 202  # not more than one (possibly empty) entry per row


# --- item 6: control characters ------------------------------------------------------------


def test_nul_and_control_characters_are_refused_with_row_and_column():
    before = Customer.objects.count()
    result = run("company_customers", "second_pass_control_chars.csv")
    found = errors(result)
    nul = found[(2, "Name *")]
    assert "NUL" in nul.message and "Stelle 4" in nul.message and nul.value == "Nul\u2400 GmbH" and nul.letter == "A"
    assert "U+000B" in found[(3, "Notizen")].message and found[(3, "Notizen")].letter == "C"
    assert Customer.objects.count() == before
    assert not any("\x00" in str(p.as_dict()) for p in result.errors)


# --- item 7 and 8: synonyms, "meinten Sie", tags -------------------------------------------


def test_german_synonyms_are_accepted_and_tags_split_on_semicolon_and_line_break():
    result = run("company_customers", "second_pass_synonyms.csv")
    assert result.ok and not result.warnings, (result.errors, result.warnings)
    customer = Customer.objects.get(name="Synonym Gebäudeservice GmbH")
    assert (customer.street, customer.postcode, customer.city, customer.phone, customer.email, customer.notes) == (
        "Hauptstraße 5a", "01067", "Dresden", "+49 351 123", "info@synonym.de", "Tor 2")
    assert sorted(t.name for t in customer.tags.all()) == ["Büro", "Glasreinigung", "Winterdienst"]


def test_a_column_that_resembles_a_template_column_is_an_error_with_a_suggestion():
    result = run("company_customers", "second_pass_typo_headers.csv")
    found = errors(result)
    assert "Meinten Sie „PLZ“?" in found[(1, "Postleitzal")].message and found[(1, "Postleitzal")].letter == "B"
    assert "Meinten Sie „Telefon“?" in found[(1, "Telefon 2")].message
    assert not Customer.objects.filter(name="Tippfehler GmbH").exists()
    result = run("company_customers", "second_pass_missing_mandatory.csv")
    assert "Meinten Sie „Name *“?" in errors(result)[(1, "Firmenbezeichnung")].message


def test_every_template_column_has_a_german_synonym():
    for template in columns.TEMPLATES.values():
        assert [c.key for c in template.columns if not [a for a in c.aliases if a not in columns.ENGLISH_ALIASES]] == [], template.key


def test_every_synonym_names_one_column_of_its_template():
    from fortycrm.imports.parsing import header_lookup

    for template in columns.TEMPLATES.values():
        lookup = header_lookup(template)
        for column in template.columns:
            for alias in column.aliases:
                owner = lookup[normalize_header(alias)]
                labels = {normalize_header(c.label) for c in template.columns}
                assert owner.key == column.key or normalize_header(alias) in labels, (template.key, alias, owner.key, column.key)


# --- item 9: messages ----------------------------------------------------------------------


def test_messages_name_the_column_by_letter_and_show_the_whole_value():
    result = run("company_customers", "second_pass_messages.csv")
    found = errors(result)
    date = found[(2, "Kunde seit")]
    assert "„+49 30 1234“" in date.message and str(date).startswith("Zeile 2, Spalte G (Kunde seit) „+49 30 1234“: ")
    email = found[(2, "E-Mail")]
    assert str(email).startswith("Zeile 2, Spalte H (E-Mail) „info(at)meldung.de“: ")
    assert date.as_dict()["where"] == "Spalte G (Kunde seit)"
    from fortycrm.imports.files import errors_csv

    text = errors_csv([p.as_dict() for p in result.errors]).decode("utf-8-sig")
    assert "Spalte H (E-Mail);info(at)meldung.de;" in text


def test_postcode_column_letter_in_a_german_file():
    from fortycrm.imports.parsing import match_headers

    match = match_headers(columns.COMPANY_CUSTOMERS, ["Name *", "Kurzname", "Straße", "Ort", "Land", "PLZ"])
    assert match.letters["postcode"] == "F"
    result_io = io.BytesIO("Name *;Kurzname;Straße;Ort;Land;PLZ\r\nA;;;;;\x00\r\n".encode("cp1252"))
    from fortycrm.imports.driver import import_file

    result = import_file(template="company_customers", file=result_io, file_name="x.csv", dry_run=True)
    assert str(result.errors[0]).startswith("Zeile 2, Spalte F (PLZ) „␀“")

"""Company and private customers from real files (R-IMP-1/2, R-NUM, R-TAG, R-CUS-5/7)."""

import datetime as dt

import pytest

from fortycrm.models import Customer, NumberSequence, Tag
from tests.imports.conftest import by_row, run

pytestmark = pytest.mark.django_db


def test_german_excel_csv_windows_1252_semicolon(base_data, olga):
    result = run("company_customers", "company_customers_cp1252.csv", user=olga)
    assert result.ok, result.errors
    assert (result.created, result.processed) == (3, 3)  # empty trailing rows ignored
    mueller = Customer.objects.get(name="Müller Gebäudereinigung GmbH")
    assert mueller.kind == "company" and mueller.short_name == "Müller" and mueller.city == "Düsseldorf"
    assert mueller.status.name == "Kunde"
    assert mueller.start_date == dt.date(2020, 12, 31)
    assert mueller.combine_invoices is True
    assert mueller.account_manager == olga
    assert mueller.notes == "Schlüssel beim Pförtner"
    assert sorted(t.name for t in mueller.tags.all()) == ["Großkunde", "Reinigung"]
    # row 2 gets the next free number, row 4 keeps its chosen one (R-NUM-1/2)
    assert mueller.number == 10003
    weiss = Customer.objects.get(name="Öko-Service Weiß AG")
    assert weiss.number == 20500 and weiss.postcode == "01067" and weiss.start_date == dt.date(2019, 5, 1)
    assert NumberSequence.objects.get(key="customer").last_value == 20500
    # prospect: no number; account manager by e-mail; tag matched case-insensitively is created once
    schaefer = Customer.objects.get(name="Schäfer Hausmeisterdienste e.K.")
    assert schaefer.number is None and schaefer.status.name == "Interessent"
    assert schaefer.account_manager == olga and schaefer.start_date == dt.date(2021, 2, 1)
    assert [t.name for t in schaefer.tags.all()] == ["hausmeister"]
    # history: every imported customer has its "created" entry, by the importing user (R-CUS-7)
    entry = mueller.history.get()
    assert entry.history_type == "+" and entry.history_user == olga
    assert "company_customers_cp1252.csv" in entry.history_change_reason


def test_excel_utf8_csv_with_bom_and_commas(base_data):
    result = run("company_customers", "company_customers_utf8_bom_comma.csv")
    assert result.ok, result.errors
    zuercher = Customer.objects.get(name="Zürcher Glas & Rahmen GmbH")
    assert zuercher.end_date == dt.date(2026, 12, 31) and zuercher.city == "München"
    assert sorted(t.name for t in zuercher.tags.all()) == ["Glas", "Süd"]
    brueckner = Customer.objects.get(name="Brückner Facility KG")
    assert brueckner.status.name == "Interessent" and brueckner.number is None


def test_xlsx_with_date_cells_and_numeric_postcode(base_data, olga):
    result = run("company_customers", "company_customers.xlsx")
    assert result.ok, result.errors
    saxon = Customer.objects.get(name="Sächsische Glasreinigung GmbH")
    assert saxon.postcode == "01067"  # Excel stored 1067 as a number
    assert saxon.start_date == dt.date(2021, 7, 1) and saxon.combine_invoices is True and saxon.account_manager == olga
    thuringia = Customer.objects.get(name="Thüringer Hausdienste GmbH")
    assert thuringia.number == 20700 and thuringia.start_date == dt.date(2022, 8, 15)


def test_private_customers(base_data):
    result = run("private_customers", "private_customers.csv")
    assert result.ok, result.errors
    erika = Customer.objects.get(last_name="Mustermann")
    assert (erika.kind, erika.salutation, erika.title, erika.first_name) == ("private", "ms", "Dr.", "Erika")
    assert erika.number is not None and erika.start_date == dt.date(2022, 3, 15)
    juergen = Customer.objects.get(last_name="Weiß")
    assert juergen.salutation == "mr" and juergen.number is None


def test_preview_writes_nothing_but_says_what_would_happen(base_data):
    before = Customer.objects.count()
    result = run("company_customers", "company_customers_cp1252.csv", dry_run=True)
    assert result.ok and result.created == 3
    assert [p["action"] for p in result.preview] == ["create"] * 3
    assert result.preview[0]["label"].startswith("10003 ")  # the number it would get
    assert Customer.objects.count() == before
    assert not Tag.objects.filter(name="Großkunde").exists()
    assert NumberSequence.objects.get(key="customer").last_value == 10002


def test_tags_are_created_once_and_reused(base_data):
    Tag.objects.create(name="Reinigung", color="#FF0000")
    result = run("company_customers", "company_customers_cp1252.csv")
    assert result.ok
    assert Tag.objects.filter(normalized="reinigung").count() == 1
    assert Tag.objects.get(normalized="reinigung").color == "#FF0000"


def test_unknown_columns_are_reported_as_notes_not_errors(base_data):
    from tests.imports.conftest import run_bytes

    result = run_bytes("company_customers", b"Name *;Lieblingsfarbe\nAlpha GmbH;blau\n")
    assert result.ok
    assert [(p.row, p.column, p.level) for p in result.warnings] == [(1, "Lieblingsfarbe", "warning")]
    assert "ignored" in result.warnings[0].message or "ignoriert" in result.warnings[0].message
    assert by_row(result)[1]


def test_bulk_path_stores_exactly_what_the_desk_service_stores(base_data, olga):
    """The fast insert writes the same row and history entry as customer_create would."""
    import datetime as dt

    from django.forms.models import model_to_dict

    from fortycrm.services.customers import customer_create

    data = "Name *;Kurzname;PLZ;Ort;Land;E-Mail;Webseite;Kundenbetreuer;Schlagwörter;Kunde seit;Kunde bis;Rechnungen zusammenfassen;Notizen;Status\n"
    data += "Vergleich GmbH;Vgl;12345;Köln;at;a@b.de;www.vgl.de;olga;Eins, Zwei;01.02.2020;31.12.2026;ja;Zeile;Interessent\n"
    assert run_bytes_ok(data)
    imported = Customer.objects.get(name="Vergleich GmbH")
    desk = customer_create(
        kind="company", name="Vergleich GmbH", short_name="Vgl", postcode="12345", city="Köln", country="AT", email="a@b.de",
        website="https://www.vgl.de", account_manager=olga, tags=["Eins", "Zwei"], start_date=dt.date(2020, 2, 1),
        end_date=dt.date(2026, 12, 31), combine_invoices=True, notes="Zeile", status="Interessent",
    )
    skip = {"id", "created_at", "updated_at", "tags"}
    assert {k: v for k, v in model_to_dict(imported).items() if k not in skip} == {k: v for k, v in model_to_dict(desk).items() if k not in skip}
    assert sorted(imported.tags.values_list("name", flat=True)) == sorted(desk.tags.values_list("name", flat=True))
    assert imported.created_at and imported.updated_at and imported.logo.name == "" and imported.custom_field_data == {}
    h_imported, h_desk = imported.history.get(), desk.history.get()
    fields = [f.attname for f in Customer.history.model.tracked_fields if f.attname not in {"id", "created_at", "updated_at"}]
    assert [getattr(h_imported, f) for f in fields] == [getattr(h_desk, f) for f in fields]
    assert h_imported.history_type == "+" and h_imported.id == imported.pk


def run_bytes_ok(text: str) -> bool:
    from tests.imports.conftest import run_bytes

    result = run_bytes("company_customers", text.encode("cp1252"), allow_duplicates=True)
    assert result.ok, result.errors
    return True


def test_api_list_count_follows_an_import(base_data, olga):
    """The bulk path sends no signals; the API's cached customer count must still follow it."""
    from rest_framework.test import APIClient

    from fortycrm.models import ApiKey
    from fortycrm.services.tags import tags_resolve

    tags_resolve(["Großkunde", "Reinigung", "hausmeister"])  # no new tag saves during the import
    _obj, key = ApiKey.objects.create_key(name="reader", scope="read")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    before = api.get("/api/v1/customers/").json()["count"]
    assert before == 2
    result = run("company_customers", "company_customers_cp1252.csv", user=olga)
    assert result.ok, result.errors
    assert api.get("/api/v1/customers/").json()["count"] == before + 3


def test_csv_postcode_that_excel_shortened_gets_its_zero_back(base_data):
    from tests.imports.conftest import run_bytes

    data = "Name *;PLZ;Ort;Land\nDresden GmbH;1067;Dresden;\nWien GmbH;1010;Wien;AT\n".encode("cp1252")
    result = run_bytes("company_customers", data)
    assert result.ok, result.errors
    assert Customer.objects.get(name="Dresden GmbH").postcode == "01067"
    assert Customer.objects.get(name="Wien GmbH").postcode == "1010"

"""Custom fields in the import and export (R-FLD): template columns, German values, row/column errors."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from fortycrm.imports import files
from fortycrm.imports.columns import get_template
from fortycrm.models import Contact, Customer
from tests import factories
from tests.fields.conftest import define
from tests.imports.conftest import run_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def fields(all_types):
    define(name="flaeche_pflicht", label="Fläche Pflicht", type="integer", required=True)
    define(name="nur_privat", label="Nur privat", type="text", applies_to="private")
    return all_types


def _fill(template_key: str, rows: list[dict[str, str]]) -> bytes:
    """A template downloaded as XLSX (after the fields were defined), filled like Excel would."""
    workbook = load_workbook(io.BytesIO(files.template_xlsx(get_template(template_key))))
    sheet = workbook.worksheets[0]
    headers = [c.value for c in sheet[1]]
    for values in rows:
        sheet.append([values.get(h, "") for h in headers])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def test_template_has_the_custom_field_columns_with_explanations(fields):
    workbook = load_workbook(io.BytesIO(files.template_xlsx(get_template("company_customers"))))
    headers = [c.value for c in workbook.worksheets[0][1]]
    assert "Vertragsart" in headers and "Fläche Pflicht *" in headers and "Leistungen" in headers
    assert "Nur privat" not in headers  # applies to private customers only
    explanations = {row[0].value: row[3].value for row in workbook.worksheets[1].iter_rows(min_row=2) if row[0].value}
    assert "Standard" in explanations["Vertragsart"] and "Premium" in explanations["Vertragsart"]
    assert "minimum 1" in explanations["Fläche m²"] or "Minimum 1" in explanations["Fläche m²"]
    assert "Nur privat" in files.headers(get_template("private_customers"))


def test_german_values_are_imported(fields):
    data = _fill("company_customers", [{
        "Name *": "Sonne GmbH", "Fläche Pflicht *": "1.250", "Schlüssel-Ort": "Pförtner", "Fläche m²": "120",
        "Stundensatz (stundensatz)": "32,50", "Vertragsbeginn": "31.03.2026", "Schlüssel hinterlegt": "ja", "Vertragsart": "Premium",
        "Leistungen": "Glasreinigung; boden", "Kundenportal": "https://portal.example.de", "Rechnungs-E-Mail (rechnung_mail)": "rechnung@sonne.de",
    }])
    result = run_bytes("company_customers", data, "felder.xlsx")
    assert not result.errors, [(p.row, p.column, p.message) for p in result.errors]
    assert Customer.objects.get().custom_field_data == {
        "flaeche_pflicht": 1250, "schluessel_ort": "Pförtner", "flaeche": 120, "stundensatz": "32.50", "vertragsbeginn": "2026-03-31",
        "schluessel": True, "vertragsart": "premium", "leistungen": ["glas", "boden"], "portal": "https://portal.example.de",
        "rechnung_mail": "rechnung@sonne.de",
    }


def test_a_wrong_choice_and_a_wrong_date_are_reported_at_row_and_column_and_nothing_is_saved(fields):
    data = _fill("company_customers", [
        {"Name *": "Gut GmbH", "Fläche Pflicht *": "10", "Vertragsart": "Standard"},
        {"Name *": "Falsch GmbH", "Fläche Pflicht *": "10", "Vertragsart": "Gold"},
        {"Name *": "Datum GmbH", "Fläche Pflicht *": "10", "Vertragsbeginn": "31.02.2026"},
        {"Name *": "Leer GmbH"},
        {"Name *": "Klein GmbH", "Fläche Pflicht *": "10", "Fläche m²": "0"},
    ])
    result = run_bytes("company_customers", data, "felder.xlsx")
    problems = {(p.row, p.column): p for p in result.errors}
    assert problems[(3, "Vertragsart")].value == "Gold" and "Vertragsart" in problems[(3, "Vertragsart")].message
    assert "31.02.2026" in problems[(4, "Vertragsbeginn")].message
    assert (5, "Fläche Pflicht *") in problems
    assert "1" in problems[(6, "Fläche m²")].message
    assert not Customer.objects.exists()


def test_update_mode_changes_only_filled_custom_cells(fields):
    customer = factories.company("Alt GmbH", status="Kunde", number=10001, custom_field_data={"flaeche_pflicht": 5, "vertragsart": "standard"})
    data = _fill("company_customers", [{"Kundennummer": "10001", "Name *": "Alt GmbH", "Vertragsart": "rahmen"}])
    result = run_bytes("company_customers", data, "felder.xlsx", mode="update")
    assert not result.errors, [(p.row, p.column, p.message) for p in result.errors]
    customer.refresh_from_db()
    assert customer.custom_field_data == {"flaeche_pflicht": 5, "vertragsart": "rahmen"}


def test_contacts_import_custom_fields(db):
    define(name="pflegegrad", label="Pflegegrad", type="integer", object_type="contact", min_value=1, max_value=5)
    factories.private("Schulz", "Petra", status="Kunde", number=10002)
    header = ";".join(files.headers(get_template("contacts")))
    assert header.endswith("Pflegegrad")
    body = header + "\n" + ";".join(["10002", "", "", "", "Petra", "Schulz", "", "", "", "", "", "", "", "3"])
    result = run_bytes("contacts", body.encode("utf-8"), "kontakte.csv")
    assert not result.errors, [(p.row, p.column, p.message) for p in result.errors]
    assert Contact.objects.get().custom_field_data == {"pflegegrad": 3}


def test_export_includes_custom_fields_and_reimports(fields):
    factories.company("Export GmbH", status="Kunde", number=10001, custom_field_data={
        "flaeche_pflicht": 7, "stundensatz": "32.50", "vertragsbeginn": "2026-03-31", "schluessel": True, "leistungen": ["glas", "boden"],
    })
    text = files.customers_csv(get_template("company_customers"), Customer.objects.all()).decode("utf-8-sig")
    import csv

    header, row = list(csv.reader(io.StringIO(text), delimiter=";"))[:2]
    cells = dict(zip(header, row))
    assert cells["Fläche Pflicht *"] == "7" and cells["Stundensatz (stundensatz)"] == "32,50" and cells["Vertragsbeginn"] == "31.03.2026"
    assert cells["Schlüssel hinterlegt"] == "ja" and cells["Leistungen"] == "glas; boden"
    result = run_bytes("company_customers", text.encode("utf-8"), "export.csv", mode="update")
    assert not result.errors, [(p.row, p.column, p.message) for p in result.errors]


def test_a_custom_field_named_like_a_standard_column_gets_a_unique_header(fields):
    """"Stundensatz" is also a standard column (customer settings): the custom field's header
    carries its technical name, so the template has no duplicate and both read back."""
    headers = files.headers(get_template("company_customers"))
    assert headers.count("Stundensatz (€)") == 1 and "Stundensatz (stundensatz)" in headers
    assert len(headers) == len(set(headers))

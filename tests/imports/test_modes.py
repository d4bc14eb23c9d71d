"""Update mode, duplicate report, allow-duplicates (R-IMP-4)."""

import pytest

from fortycrm.models import Customer
from tests.imports.conftest import run, run_bytes

pytestmark = pytest.mark.django_db


def test_update_by_customer_number(base_data, olga):
    hansa, schulz = base_data["hansa"], base_data["schulz"]
    data = (
        "Kundennummer *;Name *;Ort;Schlagwörter;Kundenbetreuer;Status\n"
        "10001;Hansa Reinigung GmbH & Co. KG;Hamburg-Altona;Stammkunde, Nord;olga;\n"
    )
    result = run_bytes("company_customers", data.encode("cp1252"), mode="update", user=olga)
    assert result.ok, result.errors
    assert (result.created, result.updated) == (0, 1)
    hansa.refresh_from_db()
    assert hansa.name == "Hansa Reinigung GmbH & Co. KG" and hansa.city == "Hamburg-Altona"
    assert hansa.postcode == "20457" and hansa.email == "info@hansa.de"  # columns left empty / absent stay
    assert sorted(t.name for t in hansa.tags.all()) == ["Nord", "Stammkunde"]
    assert hansa.account_manager == olga and hansa.number == 10001 and hansa.status.name == "Kunde"
    latest = hansa.history.first()
    assert latest.history_type == "~" and latest.history_user == olga
    schulz.refresh_from_db()
    assert schulz.city == ""


def test_update_problems_unknown_number_wrong_kind_missing_number_status_rule(base_data):
    data = (
        "Kundennummer;Name;Status\n"
        "55555;Niemand GmbH;\n"  # unknown number
        "10002;Schulz GmbH;\n"  # private customer in the company template
        ";Ohne Nummer GmbH;\n"  # no number
        "10001;;Interessent\n"  # numbered customer cannot go back to a status without number (R-STA-5)
    )
    before = list(Customer.objects.values_list("pk", "name", "status_id"))
    result = run_bytes("company_customers", data.encode(), mode="update")
    problems = {(p.row, p.column): p.message for p in result.errors}
    assert "55555" in problems[(2, "Kundennummer")]
    assert "Schulz" in problems[(3, "Kundennummer")]
    assert (4, "Kundennummer") in problems
    assert "10001" in problems[(5, "Status")]
    assert list(Customer.objects.values_list("pk", "name", "status_id")) == before


def test_update_needs_the_number_column(base_data):
    result = run_bytes("company_customers", b"Name;Ort\nHansa Reinigung GmbH;Kiel\n", mode="update")
    assert not result.ok and "Kundennummer" in result.errors[0].message


def test_update_fixture_file_is_all_or_nothing(base_data, olga):
    result = run("company_customers", "company_customers_update.csv", mode="update", user=olga)
    assert [(p.row, p.column) for p in result.errors] == [(3, "Kundennummer *")]  # 10002 is a private customer
    base_data["hansa"].refresh_from_db()
    assert base_data["hansa"].name == "Hansa Reinigung GmbH"  # row 2 was fine but is not saved either
    private = run("private_customers", "private_customers.csv", mode="update")
    assert [(p.row, p.column) for p in private.errors] == [(1, "Kundennummer")]


def test_duplicates_can_be_imported_on_purpose(base_data):
    data = "Name *;PLZ;E-Mail\nHansa Reinigung GmbH;20457;\nNeu GmbH;12345;info@hansa.de\nNeu GmbH;12345;\n"
    refused = run_bytes("company_customers", data.encode())
    assert [(p.row, p.code) for p in refused.errors] == [(2, "duplicate"), (3, "duplicate"), (4, "duplicate")]
    assert Customer.objects.count() == 2
    allowed = run_bytes("company_customers", data.encode(), allow_duplicates=True)
    assert allowed.ok and allowed.created == 3
    assert [(p.row, p.level) for p in allowed.warnings] == [(2, "warning"), (3, "warning"), (4, "warning")]
    assert Customer.objects.filter(name="Hansa Reinigung GmbH").count() == 2


def test_private_duplicates_by_name_and_postcode(base_data):
    base_data["schulz"].postcode = "28195"
    base_data["schulz"].save()
    data = "Vorname;Nachname;PLZ\nPetra;Schulz;28195\nPeter;Schulz;28195\n"
    result = run_bytes("private_customers", data.encode())
    assert [(p.row, p.column) for p in result.errors] == [(2, "Nachname")]

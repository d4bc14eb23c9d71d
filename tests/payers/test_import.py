"""R-PAY-1 import: a cost-bearer template and an assignment template, all or nothing."""

from __future__ import annotations

import pytest

from fortycrm.imports.columns import TEMPLATES
from fortycrm.imports.files import template_csv
from fortycrm.models import CostBearer, CustomerCostBearer
from tests import factories
from tests.imports.conftest import run_bytes

pytestmark = pytest.mark.django_db

BEARERS = (
    "Name;Art;IK;Straße;PLZ;Ort\n"
    "AOK Pflegekasse;Pflegekasse;260326822;Weg 1;10115;Berlin\n"
    "Sozialamt Mitte;Sozialamt / Behörde;;Platz 2;10117;Berlin\n"
)


def test_templates_are_offered():
    assert {"cost_bearers", "customer_cost_bearers"} <= set(TEMPLATES)
    assert template_csv(TEMPLATES["customer_cost_bearers"])


def test_cost_bearers_and_assignments_import():
    result = run_bytes("cost_bearers", BEARERS.encode())
    assert result.ok, result.errors
    assert CostBearer.objects.get(ik="260326822").kind == "care_insurer"
    assert CostBearer.objects.get(name="Sozialamt Mitte").kind == "authority"
    customer = factories.private("Berger", status=factories.status("Kunde"))
    data = (
        "Kundennummer;Kostenträger;Versichertennummer;Anteil (%);Monatsbudget (€);Gültig ab;Gültig bis\n"
        f"{customer.number};260326822;A123456780;;131,00;01.03.2025;\n"
        f"{customer.number};Sozialamt Mitte;;40;;01.03.2025;31.12.2025\n"
    )
    result = run_bytes("customer_cost_bearers", data.encode())
    assert result.ok, result.errors
    links = CustomerCostBearer.objects.filter(customer=customer).order_by("id")
    assert [str(link.monthly_budget) for link in links] == ["131.00", "None"]
    assert links[0].history.count() == 1  # the history records the import


def test_bad_rows_are_listed_and_nothing_is_saved():
    bad = BEARERS + "Kaputt;Pflegekasse;260326821;;;\n"
    result = run_bytes("cost_bearers", bad.encode())
    assert not result.ok
    assert any("IK" in str(e) for e in result.errors)
    assert not CostBearer.objects.exists()
    run_bytes("cost_bearers", BEARERS.encode())
    customer = factories.private("Berger", status=factories.status("Kunde"))
    data = (
        "Kundennummer;Kostenträger;Versichertennummer;Anteil (%);Monatsbudget (€);Gültig ab;Gültig bis\n"
        f"{customer.number};260326822;A12;;131,00;01.03.2025;\n"
        f"{customer.number};Unbekannte Kasse;;40;;01.03.2025;\n"
        f"{customer.number};Sozialamt Mitte;;140;;01.03.2025;\n"
    )
    result = run_bytes("customer_cost_bearers", data.encode())
    assert not result.ok
    text = " ".join(str(e) for e in result.errors)
    assert "Versichertennummer" in text or "insurance" in text.lower()
    assert "Unbekannte Kasse" in text
    assert not CustomerCostBearer.objects.exists()


# --- settings columns in the customer templates (optional) ---------------------------------
def test_customer_import_with_optional_settings_columns():
    from fortycrm.models import Customer
    from fortycrm.selectors import customer_effective_settings

    data = "Nachname;Vorname;Zahlungsziel (Tage);Kalenderfarbe;Versand\nBerger;Hanna;30;#FF0000;Post\nKlein;Karl;;;\n"
    result = run_bytes("private_customers", data.encode())
    assert result.ok, result.errors
    berger = customer_effective_settings(Customer.objects.get(last_name="Berger"))
    assert (berger.payment_days, berger.calendar_color, berger.delivery) == (30, "#FF0000", "post")
    assert berger.overrides == ["payment_days", "delivery", "calendar_color"]
    assert customer_effective_settings(Customer.objects.get(last_name="Klein")).overrides == []


@pytest.mark.parametrize(
    ("header", "cell", "column"),
    [("Kalenderfarbe", "rot", "Kalenderfarbe"), ("Skonto (%)", "2", "Skontotage"), ("Rechnungs-E-Mail", "kein-mail", "Rechnungs-E-Mail")],
)
def test_bad_settings_cells_are_listed_and_nothing_is_saved(header, cell, column):
    from fortycrm.models import Customer, CustomerSettings

    data = f"Nachname;{header}\nBerger;{cell}\n"
    result = run_bytes("private_customers", data.encode())
    assert not result.ok
    assert any(column in p.column for p in result.errors), result.errors
    assert not Customer.objects.exists() and not CustomerSettings.objects.exists()


def test_customer_export_carries_own_settings_and_reads_back():
    from fortycrm.imports.columns import get_template
    from fortycrm.imports.files import customers_csv
    from fortycrm.models import Customer
    from fortycrm.selectors import customer_effective_settings
    from fortycrm.services import payers

    customer = factories.private("Berger", status=factories.status("Kunde"))
    payers.customer_settings_save(customer=customer, values={"payment_days": 21, "hourly_rate": "38.50"})
    rows = Customer.objects.select_related("status", "account_manager", "own_settings__letterhead").prefetch_related("tags")
    text = customers_csv(get_template("private_customers"), rows).decode("utf-8-sig")
    header, line = text.splitlines()[:2]
    assert "Zahlungsziel (Tage)" in header or "Payment terms (days)" in header
    assert "21" in line and "38,50" in line
    payers.customer_settings_save(customer=customer, values={"payment_days": None, "hourly_rate": None})
    result = run_bytes("private_customers", text.encode("utf-8"), mode="update")
    assert result.ok, result.errors
    effective = customer_effective_settings(customer)
    assert (effective.payment_days, str(effective.hourly_rate)) == (21, "38.50")


def test_price_list_import_defaults_and_customer_prices_all_or_nothing():
    customer = factories.company("Hafenkontor GmbH", status=factories.status("Kunde"))
    good = (
        "Kundennummer;Leistungsart;Einheit;Preis (€, netto)\n"
        ";Unterhaltsreinigung;pro Stunde;32,50\n"
        f"{customer.number};Unterhaltsreinigung;;29,00\n"
        ";Winterdienst;Pauschale je Termin;1.250,00\n"
    )
    result = run_bytes("service_prices", good.encode())
    assert result.ok, result.errors
    from fortycrm.models import ServicePrice

    rows = {(p.customer_id, p.service_kind): (p.unit, str(p.price)) for p in ServicePrice.objects.all()}
    assert rows == {
        (None, "Unterhaltsreinigung"): ("hour", "32.50"),
        (customer.pk, "Unterhaltsreinigung"): ("hour", "29.00"),
        (None, "Winterdienst"): ("flat", "1250.00"),
    }
    bad = (
        "Kundennummer;Leistungsart;Einheit;Preis (€, netto)\n"
        ";Glasreinigung;pro Stunde;40,00\n"
        ";unterhaltsreinigung;pro Stunde;35,00\n"  # the default for it exists already
        "99999;Grünpflege;;20,00\n"  # no such customer
        ";Hausmeister;pro Woche;20,00\n"  # unknown unit
    )
    result = run_bytes("service_prices", bad.encode())
    assert not result.ok
    text = " ".join(str(e) for e in result.errors)
    assert "schon einen Preis für „unterhaltsreinigung“" in text and "99999" in text and "„pro Woche“ ist hier nicht erlaubt" in text
    assert not ServicePrice.objects.filter(service_kind="Glasreinigung").exists()  # all or nothing

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

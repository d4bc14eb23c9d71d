"""R-PAY: changes of cost-bearer assignments, customer settings and prices in the customer's history tab;
a save that changes nothing writes no history."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from fortycrm.models import Customer, CustomerCostBearer, CustomerSettings, ServicePrice
from fortycrm.payer_selectors import customer_history
from fortycrm.services import payers
from tests.factories import private
from tests.locations.conftest import desk, form_data  # noqa: F401
from tests.payers.helpers import assign, bearer
from tests.records import with_tabs

pytestmark = pytest.mark.django_db


def history_counts(customer) -> tuple[int, int, int, int]:
    return (
        Customer.history.filter(id=customer.pk).count(),
        CustomerCostBearer.history.filter(customer_id=customer.pk).count(),
        CustomerSettings.history.filter(customer_id=customer.pk).count(),
        ServicePrice.history.filter(customer_id=customer.pk).count(),
    )


def changes(customer) -> dict[str, str]:
    """label → the newest change of it"""
    found: dict[str, str] = {}
    for row in customer_history(customer):
        for label, change in row["what"]:
            found.setdefault(label, change)
    return found


@pytest.fixture
def customer(db):
    customer = private("Vogel", "Ida")
    link = assign(customer, bearer("AOK Pflegekasse"), valid_from=dt.date(2026, 1, 1), share="40")
    link.share_percent = Decimal("50")
    payers.assignment_save(link=link)
    payers.customer_settings_save(customer=customer, values={"payment_days": 30})
    payers.customer_settings_save(customer=customer, values={"payment_days": 21})
    payers.service_price_save(price=ServicePrice(customer=customer, service_kind="Betreuung", unit="hour", price=Decimal("30")))
    return customer


def test_history_tab_shows_assignment_settings_and_price_changes(desk, customer):  # noqa: F811
    found = changes(customer)
    assert found["Kostenträger AOK Pflegekasse: Anteil (%)"] == "40,00 → 50,00"
    assert found["Kostenträger AOK Pflegekasse"] == "hinzugefügt"
    assert found["Einstellungen: Zahlungsziel (Tage netto)"] == "30 → 21"
    assert found["Preis Betreuung"] == "hinzugefügt"
    html = desk.get(f"/desk/fortycrm/customer/{customer.pk}/change/").content.decode()
    assert "Kostenträger AOK Pflegekasse: Anteil (%)" in html and "40,00 → 50,00" in html
    assert "Einstellungen: Zahlungsziel (Tage netto)" in html


def test_unchanged_saves_write_no_history(desk, customer):  # noqa: F811
    before = history_counts(customer)
    link = CustomerCostBearer.objects.get(customer=customer)
    payers.assignment_save(link=link)
    payers.customer_settings_save(customer=customer, values={"payment_days": 21})
    payers.service_price_save(price=ServicePrice.objects.get(customer=customer))
    url = f"/desk/fortycrm/customer/{customer.pk}/change/"
    response = desk.post(url, form_data(desk.get(url)))
    assert response.status_code == 302, response.content.decode()[:2000]
    assert history_counts(customer) == before
    rows_before = len(customer_history(customer))
    # a real change through the desk is recorded once
    data = form_data(with_tabs(desk, desk.get(url)))  # the settings tab opened
    prefix = next(k for k in data if k.endswith("-payment_days") and "settings" in k.lower())
    data[prefix] = "10"
    assert desk.post(url, data).status_code == 302
    assert history_counts(customer)[2] == before[2] + 1
    assert changes(customer)["Einstellungen: Zahlungsziel (Tage netto)"] == "21 → 10"
    assert len(customer_history(customer)) == rows_before + 1

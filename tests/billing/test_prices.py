"""R-PAY-2/R-BIL-3: the price list of the customer settings prices the billing run's lines."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from fortycrm.models import InvoiceLine, ServicePrice
from fortycrm.services.billing_run import billing_run
from fortycrm.services.payers import customer_settings_save, service_price_save
from tests import factories
from tests.api.conftest import client_for, make_key  # noqa: F401
from tests.billing.conftest import make_order
from tests.records import with_tabs

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 27)


def price(kind, amount, *, unit="hour", customer=None):
    return service_price_save(price=ServicePrice(customer=customer, service_kind=kind, unit=unit, price=Decimal(amount)))


def lines_by_title():
    return {ln.description.split(",")[0]: (ln.quantity, ln.unit_price) for ln in InvoiceLine.objects.all()}


def test_service_kind_prices_the_order_customer_entry_before_default_else_order_price():
    customer = factories.company("Praxis Dr. Weiß")
    price("Unterhaltsreinigung", "80.00", unit="flat")
    price("Glasreinigung", "40.00")
    price("glasreinigung", "35.50", customer=customer)  # the customer's own hourly rate
    customer_settings_save(customer=customer, values={"hourly_rate": Decimal("25.00")})
    make_order(customer, "Büro", price="100.00", service_kind=" unterhaltsreinigung")
    make_order(customer, "Fenster", price="1.00", service_kind="Glasreinigung", hours=Decimal("2.5"))
    make_order(customer, "Garten", price="1.00", hours=Decimal("3"))  # no kind: the customer's hourly rate
    make_order(customer, "Sonder", price="60.00", service_kind="Winterdienst")  # kind without price: the order price
    billing_run("2026-03", today=TODAY)
    assert lines_by_title() == {
        "Büro": (Decimal("1.00"), Decimal("80.00")),
        "Fenster": (Decimal("2.50"), Decimal("35.50")),
        "Garten": (Decimal("3.00"), Decimal("25.00")),
        "Sonder": (Decimal("1.00"), Decimal("60.00")),
    }
    assert "2,5 Std." in InvoiceLine.objects.get(description__startswith="Fenster").description


def test_hourly_price_without_hours_is_refused_and_nothing_created():
    customer = factories.company("Kanzlei Nord")
    price("Unterhaltsreinigung", "30.00")
    make_order(customer, "Büro", service_kind="Unterhaltsreinigung")
    with pytest.raises(ValidationError) as exc:
        billing_run("2026-03", today=TODAY)
    assert "Büro" in str(exc.value) and "Unterhaltsreinigung" in str(exc.value) and "Stunden" in str(exc.value)
    assert not InvoiceLine.objects.exists()


def test_price_list_rules():
    customer = factories.company("Kanzlei Süd")
    price("Unterhaltsreinigung", "30.00")
    with pytest.raises(ValidationError) as exc:
        price("UNTERHALTSREINIGUNG ", "31.00")
    assert "service_kind" in exc.value.message_dict
    price("Unterhaltsreinigung", "31.00", customer=customer)  # a customer's own entry may repeat the kind
    for bad, field in (({"service_kind": " "}, "service_kind"), ({"price": Decimal("0")}, "price"), ({"unit": "day"}, "unit")):
        data = {"service_kind": "Neu", "unit": "hour", "price": Decimal("1"), **bad}
        with pytest.raises(ValidationError) as exc:
            service_price_save(price=ServicePrice(**data))
        assert field in exc.value.message_dict
    assert ServicePrice.objects.count() == 2


def test_price_list_api():
    api = client_for(make_key("write"))
    customer = factories.company("API GmbH")
    r = api.post("/api/v1/service-prices/", {"service_kind": "Betreuung", "unit": "flat", "price": "45.00"}, format="json")
    assert r.status_code == 201, r.json()
    assert r.json()["customer"] is None
    r = api.post("/api/v1/service-prices/", {"customer": customer.pk, "service_kind": "Betreuung", "unit": "hour", "price": "30.00"}, format="json")
    assert r.status_code == 201
    assert api.post("/api/v1/service-prices/", {"service_kind": "betreuung", "price": "1.00"}, format="json").status_code == 400
    assert [row["price"] for row in api.get("/api/v1/service-prices/", {"default": "true"}).json()["results"]] == ["45.00"]
    r = api.post("/api/v1/orders/", {"customer": customer.pk, "title": "Pflege", "start": "2026-03-01", "price": "1.00",
                                    "service_kind": "Betreuung", "hours": "2", "vat_rate": "0", "vat_exemption": "§ 4 Nr. 16 UStG"}, format="json")
    assert r.status_code == 201, r.json()
    assert r.json()["vat_rate"] == "0.0" and r.json()["hours"] == "2.00"


def test_price_list_in_the_desk(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("chefin", "c@example.com", "pw-chefin-12345"))
    customer = factories.company("Desk GmbH")
    price("Unterhaltsreinigung", "30.00")
    price("Glasreinigung", "40.00")
    price("Glasreinigung", "35.50", customer=customer)
    page = with_tabs(client, client.get(f"/desk/fortycrm/customer/{customer.pk}/change/")).content.decode()
    assert "fortycrm-price-list" in page and "35,50" in page and "eigener Preis" in page and "30,00" in page
    assert "40,00" not in page  # the default is overridden by the customer's own price
    assert client.get("/desk/fortycrm/serviceprice/").status_code == 200
    assert client.get(f"/desk/fortycrm/serviceprice/add/?customer={customer.pk}").status_code == 200
    r = client.post("/desk/fortycrm/serviceprice/add/", {"service_kind": "glasreinigung", "unit": "flat", "price": "1"})
    assert r.status_code == 200 and "hat schon einen Preis" in r.content.decode()
    r = client.post("/desk/fortycrm/serviceprice/add/", {"service_kind": "Winterdienst", "unit": "flat", "price": "55"})
    assert r.status_code == 302 and ServicePrice.objects.filter(service_kind="Winterdienst", customer=None).exists()

"""R-PAY desk: menu "Kostenträger", Kundeneinstellungen, sections on the customer record."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fortycrm.models import CostBearer, CustomerDefaults
from fortycrm.services import payers
from tests.factories import private
from tests.payers.helpers import assign, bearer
from tests.records import with_tabs

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("chefin", "c@example.com", "pw-chefin-12345"))
    return client


def test_cost_bearer_pages_and_bad_ik(desk):
    assert desk.get("/desk/fortycrm/costbearer/").status_code == 200
    assert desk.get("/desk/fortycrm/costbearer/add/").status_code == 200
    r = desk.post("/desk/fortycrm/costbearer/add/", {"name": "AOK", "kind": "care_insurer", "ik": "260326821", "country": "DE"})
    assert r.status_code == 200
    assert "falsche Prüfziffer" in r.content.decode()  # the desk speaks German
    assert not CostBearer.objects.exists()
    cb = bearer()
    assert desk.get(f"/desk/fortycrm/costbearer/{cb.pk}/change/").status_code == 200


def test_assigned_cost_bearer_delete_shows_the_customers(desk):
    cb = bearer()
    assign(private("Berger", "Hans"), cb, budget="131")
    r = desk.post(f"/desk/fortycrm/costbearer/{cb.pk}/delete/", {"post": "yes"}, follow=True)
    assert "Hans Berger" in r.content.decode()
    assert CostBearer.objects.filter(pk=cb.pk).exists()


def test_customer_defaults_page_and_discount_rule(desk):
    r = desk.get("/desk/fortycrm/customerdefaults/")
    assert r.status_code == 302
    url = r["Location"]
    assert desk.get(url).status_code == 200
    data = {"payment_days": "14", "discount_percent": "2", "discount_days": "", "delivery": "email", "calendar_color": "#1E88E5", "relief_amount": "131"}
    r = desk.post(url, data)
    assert r.status_code == 200 and "Skonto braucht seine Frist" in r.content.decode()
    r = desk.post(url, {**data, "discount_days": "10"})
    assert r.status_code == 302
    assert CustomerDefaults.load().discount_days == 10


def test_customer_record_shows_budget_and_effective_settings(desk):
    customer = private(email="erika@example.com")
    assign(customer, bearer(), budget="131", valid_from=dt.date(2025, 1, 1))
    payers.customer_settings_save(customer=customer, values={"payment_days": 30})
    html = with_tabs(desk, desk.get(f"/desk/fortycrm/customer/{customer.pk}/change/")).content.decode()
    assert "fortycrm-budget" in html and "131,00" in html
    assert 'data-setting="payment_days"' in html and "eigener Wert des Kunden" in html
    assert "erika@example.com" in html


def queries_for_record(client, customer) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(f"/desk/fortycrm/customer/{customer.pk}/change/")
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_customer_record_query_count_does_not_grow_with_assignments(desk):
    one, many = private("Eins"), private("Viele")
    bearers = [bearer(name=f"Kasse {i}", kind="authority", ik="") for i in range(6)]
    assign(one, bearers[0], budget="131")
    for cb in bearers:
        assign(many, cb, budget="50")
    queries_for_record(desk, one)  # warm-up (site settings, content types)
    assert queries_for_record(desk, one) == queries_for_record(desk, many)

"""R-PAY API contract: cost bearers, assignments with budget, customer settings."""

from __future__ import annotations

import pytest

from fortycrm.models import CostBearer, CustomerCostBearer, CustomerSettings
from tests.api.conftest import client_for, make_key  # noqa: F401
from tests.factories import private
from tests.payers.helpers import VALID_IK, assign, bearer

pytestmark = pytest.mark.django_db

CB = "/api/v1/cost-bearers/"
CCB = "/api/v1/customer-cost-bearers/"


@pytest.fixture
def api(db):
    return client_for(make_key("write"))


def test_cost_bearer_crud(api):
    r = api.post(CB, {"name": "AOK Pflegekasse", "kind": "care_insurer", "ik": VALID_IK, "city": "Berlin"}, format="json")
    assert r.status_code == 201, r.json()
    body = r.json()
    assert set(body) >= {"id", "name", "kind", "ik", "street", "postcode", "city", "country", "email", "phone", "notes"}
    pk = body["id"]
    assert api.get(f"{CB}{pk}/").json()["ik"] == VALID_IK
    assert api.patch(f"{CB}{pk}/", {"phone": "030 1"}, format="json").json()["phone"] == "030 1"
    assert api.get(CB, {"kind": "care_insurer"}).json()["results"][0]["id"] == pk
    assert api.delete(f"{CB}{pk}/").status_code == 204
    assert not CostBearer.objects.exists()


@pytest.mark.parametrize(("payload", "field"), [({"ik": "12345"}, "ik"), ({"ik": "260326821"}, "ik"), ({"kind": "insurer"}, "kind"), ({"email": "x"}, "email")])
def test_cost_bearer_bad_input(api, payload, field):
    r = api.post(CB, {"name": "AOK", "kind": "care_insurer", **payload}, format="json")
    assert r.status_code == 400
    assert field in r.json()
    assert not CostBearer.objects.exists()


def test_assigned_cost_bearer_delete_is_refused_naming_the_customer(api):
    cb = bearer()
    assign(private("Berger", "Hans"), cb, budget="131")
    r = api.delete(f"{CB}{cb.pk}/")
    assert r.status_code in (400, 409)
    assert "Hans Berger" in str(r.json())
    assert CostBearer.objects.filter(pk=cb.pk).exists()


def test_assignment_crud_and_budget(api):
    customer, cb = private(), bearer()
    payload = {
        "customer": customer.pk, "cost_bearer": cb.pk, "insurance_number": "A123456780", "monthly_budget": "131.00",
        "valid_from": "2025-03-15", "priority": 1,
    }
    r = api.post(CCB, payload, format="json")
    assert r.status_code == 201, r.json()
    body = r.json()
    assert set(body) >= {"id", "customer", "cost_bearer", "insurance_number", "share_percent", "monthly_budget", "valid_from", "valid_until", "priority", "notes"}
    pk = body["id"]
    assert [row["id"] for row in api.get(CCB, {"customer": customer.pk}).json()["results"]] == [pk]
    assert api.get(CCB, {"customer": private("Other").pk}).json()["results"] == []
    budget = api.get(f"{CCB}{pk}/budget/", {"on": "2025-04-30"}).json()
    assert budget == {"accrued": "262.00", "used": "0.00", "remaining": "262.00", "expiring": [{"amount": "262.00", "on": "2026-06-30"}]}
    assert api.get(f"{CCB}{pk}/budget/", {"on": "30.04.2025"}).status_code == 400
    assert api.patch(f"{CCB}{pk}/", {"valid_until": "2025-12-31"}, format="json").status_code == 200
    assert api.delete(f"{CCB}{pk}/").status_code == 204


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"insurance_number": "12345"}, "insurance_number"),
        ({"monthly_budget": "-5"}, "monthly_budget"),
        ({"monthly_budget": None, "share_percent": "120"}, "share_percent"),
        ({"valid_until": "2025-01-01"}, "valid_until"),
    ],
)
def test_assignment_bad_input(api, change, field):
    payload = {"customer": private().pk, "cost_bearer": bearer().pk, "monthly_budget": "131", "valid_from": "2025-03-15", **change}
    r = api.post(CCB, payload, format="json")
    assert r.status_code == 400
    assert field in r.json(), r.json()
    assert not CustomerCostBearer.objects.exists()


def test_overlapping_assignment_is_refused(api):
    customer, cb = private(), bearer()
    assign(customer, cb, budget="131")
    r = api.post(CCB, {"customer": customer.pk, "cost_bearer": cb.pk, "monthly_budget": "131", "valid_from": "2025-06-01"}, format="json")
    assert r.status_code == 400
    assert "valid_from" in r.json()


def test_customer_carries_effective_settings_and_overrides(api):
    customer = private(email="erika@example.com")
    body = api.get(f"/api/v1/customers/{customer.pk}/").json()
    assert body["settings"] == {
        "payment_days": 14, "discount_percent": "0.00", "discount_days": None, "letterhead": None, "delivery": "email",
        "invoice_email": "erika@example.com", "calendar_color": "#1E88E5", "hourly_rate": None,
    }
    assert body["settings_overrides"] == []
    r = api.patch(f"/api/v1/customers/{customer.pk}/", {"settings": {"payment_days": 30, "delivery": "post"}}, format="json")
    assert r.status_code == 200, r.json()
    assert r.json()["settings"]["payment_days"] == 30
    assert r.json()["settings_overrides"] == ["payment_days", "delivery"]
    listed = {row["id"]: row for row in api.get("/api/v1/customers/").json()["results"]}
    assert listed[customer.pk]["settings"]["delivery"] == "post"
    assert listed[customer.pk]["settings_overrides"] == ["payment_days", "delivery"]
    r = api.patch(f"/api/v1/customers/{customer.pk}/", {"settings": {"payment_days": None}}, format="json")
    assert r.json()["settings"]["payment_days"] == 14
    assert r.json()["settings_overrides"] == ["delivery"]


def test_customer_created_with_settings(api):
    r = api.post("/api/v1/customers/", {"kind": "private", "last_name": "Neu", "settings": {"calendar_color": "#00FF00"}}, format="json")
    assert r.status_code == 201, r.json()
    assert r.json()["settings"]["calendar_color"] == "#00FF00"


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"discount_percent": "2"}, "discount_days"),
        ({"invoice_email": "nope"}, "invoice_email"),
        ({"calendar_color": "green"}, "calendar_color"),
        ({"delivery": "fax"}, "delivery"),
        ({"colour": "#FFFFFF"}, "colour"),
    ],
)
def test_bad_settings_are_refused_and_nothing_saved(api, values, field):
    customer = private()
    r = api.patch(f"/api/v1/customers/{customer.pk}/", {"last_name": "Geändert", "settings": values}, format="json")
    assert r.status_code == 400
    # nested errors come flat, prefixed with the setting's name (api.exceptions.flat_field_errors)
    assert any(message.startswith(f"{field}: ") for message in r.json()["settings"]), r.json()
    customer.refresh_from_db()
    assert customer.last_name == "Schmidt"
    assert not CustomerSettings.objects.exists()

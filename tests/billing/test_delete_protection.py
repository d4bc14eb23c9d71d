"""Deleting a customer never deletes issued invoices (GoBD), issue 12 item 11: desk, bulk action, API, locations."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from fortycrm.models import Customer, Invoice, Location
from fortycrm.services import billing
from fortycrm.services.locations import location_delete
from tests import factories
from tests.billing.conftest import draft_with_lines, make_location
from tests.locations.conftest import form_data
from tests.records import with_tabs

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """The hash speed plays no part here: a fast hasher keeps these tests quick."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LINE = {"description": "Reinigung", "quantity": Decimal("1"), "unit_price": Decimal("80.00")}


@pytest.fixture
def desk(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("chefin", "chefin@example.com", "pw-chefin-123"))
    return client


def test_delete_page_explains_and_offers_former_customer(desk, customer):
    billing.invoice_issue(invoice=draft_with_lines(customer, [LINE]))
    page = desk.get(reverse("admin:fortycrm_customer_delete", args=[customer.pk])).content.decode()
    assert "GoBD" in page and "1 gestellte Rechnung" in page and "Stattdessen Status „ehemaliger Kunde“ setzen" in page
    desk.post(reverse("admin:fortycrm_customer_delete", args=[customer.pk]), {"post": "yes"})
    assert Customer.objects.filter(pk=customer.pk).exists() and Invoice.objects.count() == 1


def test_bulk_delete_deletes_nothing_when_one_has_issued_invoices_and_former_status_is_applied(desk, customer):
    billing.invoice_issue(invoice=draft_with_lines(customer, [LINE]))
    other = factories.company("Ohne Rechnung GmbH")
    changelist = reverse("admin:fortycrm_customer_changelist")
    chosen = {"action": "delete_selected", "_selected_action": [customer.pk, other.pk]}
    page = desk.post(changelist, {**chosen, "post": "yes"}).content.decode()
    assert "Es wurde nichts gelöscht, auch nicht der 1 weitere" in page
    assert Customer.objects.count() == 2
    desk.post(changelist, {"action": "set_status", "apply": "1", "status": factories.status("ehemaliger Kunde").pk, "_selected_action": [customer.pk]})
    customer.refresh_from_db()
    assert customer.status.name == "ehemaliger Kunde"
    desk.post(changelist, {"action": "delete_selected", "_selected_action": [other.pk], "post": "yes"})
    assert not Customer.objects.filter(pk=other.pk).exists()


def test_api_delete_is_409_with_the_reason(customer, django_user_model):
    from rest_framework.test import APIClient

    location = make_location(customer)
    billing.invoice_issue(invoice=draft_with_lines(customer, [LINE], location=location))
    api = APIClient()
    api.force_authenticate(django_user_model.objects.create_superuser("api", "api@example.com", "pw-api-12345"))
    response = api.delete(f"/api/v1/customers/{customer.pk}/")
    assert response.status_code == 409 and "ehemaliger Kunde" in str(response.json())
    response = api.delete(f"/api/v1/locations/{location.pk}/")
    assert response.status_code == 409 and "GoBD" in str(response.json())
    assert Customer.objects.filter(pk=customer.pk).exists() and Location.objects.filter(pk=location.pk).exists()


def test_location_on_an_issued_invoice_cannot_be_deleted(desk, customer):
    location = make_location(customer)
    billing.invoice_issue(invoice=draft_with_lines(customer, [LINE], location=location))
    with pytest.raises(ValidationError, match="GoBD"):
        location_delete(location=location)
    response = desk.post(reverse("admin:fortycrm_location_delete", args=[location.pk]), {"post": "yes"}, follow=True)
    assert "GoBD" in response.content.decode()
    desk.post(reverse("admin:fortycrm_location_changelist"), {"action": "delete_checked", "_selected_action": [location.pk]})
    assert Location.objects.filter(pk=location.pk).exists() and Invoice.objects.count() == 1
    # the locations tab of the customer record: an error on the row, nothing saved, never a 500
    url = reverse("admin:fortycrm_customer_change", args=[customer.pk])
    data = form_data(with_tabs(desk, desk.get(url)))  # the tab opened
    data["locations-0-DELETE"] = "on"
    response = desk.post(url, data)
    assert response.status_code == 200 and "GoBD" in response.content.decode()
    assert Location.objects.filter(pk=location.pk).exists()

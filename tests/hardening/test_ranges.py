"""Issue 8 item 10: values SQLite would store but MariaDB refuses are refused everywhere."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from fortycrm.models import Contact, CustomerStatus, Invoice, InvoiceLine, Location, Meter, MeterReading, Order, SiteSettings
from fortycrm.services import billing, contacts, meters, statuses
from tests import factories

pytestmark = pytest.mark.django_db
API = "/api/v1"
TOO_BIG = 1099511627776

# the smallest range MariaDB and PostgreSQL columns of each type hold
PORTABLE = {
    "SmallIntegerField": (-32768, 32767),
    "PositiveSmallIntegerField": (0, 32767),
    "IntegerField": (-2147483648, 2147483647),
    "PositiveIntegerField": (0, 2147483647),
    "BigIntegerField": (-(2**63), 2**63 - 1),
    "PositiveBigIntegerField": (0, 2**63 - 1),
}


def validated_range(field) -> tuple[float, float]:
    """The range ``full_clean`` lets through (explicit validators and the database's own)."""
    low, high = float("-inf"), float("inf")
    for validator in field.validators:
        if isinstance(validator, MinValueValidator):
            low = max(low, validator.limit_value)
        elif isinstance(validator, MaxValueValidator):
            high = min(high, validator.limit_value)
    return low, high


def test_every_integer_field_is_limited_to_what_every_database_holds():
    problems = []
    for model in apps.get_app_config("fortycrm").get_models():
        for field in model._meta.concrete_fields:
            if not isinstance(field, models.IntegerField) or isinstance(field, models.AutoField) or field.is_relation:
                continue
            low, high = validated_range(field)
            portable_low, portable_high = PORTABLE[field.get_internal_type()]
            if low < portable_low or high > portable_high:
                problems.append(f"{model.__name__}.{field.name}: {low}..{high}")
    assert not problems, problems


def test_services_refuse_out_of_range_values():
    customer = factories.company("Bereich GmbH")
    status = CustomerStatus(name="Riesig", position=TOO_BIG)
    with pytest.raises(ValidationError) as exc:
        statuses.status_save(status=status)
    assert "position" in exc.value.message_dict
    contact = Contact(customer=customer, last_name="Groß", priority=40000)
    with pytest.raises(ValidationError) as exc:
        contacts.contact_save(contact=contact)
    assert "priority" in exc.value.message_dict
    order = Order(customer=customer, title="Zu teuer", price=Decimal("100000000000"), start=dt.date(2026, 1, 1))
    with pytest.raises(ValidationError) as exc:
        billing.order_create(order=order)
    assert "price" in exc.value.message_dict
    with pytest.raises(ValidationError):
        billing.invoice_create(invoice=Invoice(customer=customer, date=dt.date(2026, 1, 1)), lines=[{"description": "x", "quantity": Decimal("123456789012")}])
    invoice = billing.invoice_create(invoice=Invoice(customer=customer, date=dt.date(2026, 1, 1)))
    with pytest.raises(ValidationError) as exc:
        billing.invoice_line_save(line=InvoiceLine(invoice=invoice, description="x", quantity=1, unit_price=Decimal("1e12")))
    assert "unit_price" in exc.value.message_dict
    meter = meters.meter_save(meter=Meter(location=Location.objects.create(customer=customer, name="Haus"), kind="water", number="W-9", unit="m³"))
    with pytest.raises(ValidationError) as exc:
        meters.reading_record(reading=MeterReading(meter=meter, read_at=timezone.now(), value=Decimal("1e12")))
    assert "value" in exc.value.message_dict
    site = SiteSettings.load()
    site.api_rate_limit_per_minute = 2**31
    with pytest.raises(ValidationError) as exc:
        site.full_clean()
    assert "api_rate_limit_per_minute" in exc.value.message_dict
    assert not CustomerStatus.objects.filter(name="Riesig").exists() and not Contact.objects.exists() and not Order.objects.exists()


def test_api_refuses_out_of_range_values_with_400(write_api):
    customer = factories.company("Bereich GmbH")
    location = Location.objects.create(customer=customer, name="Haus")
    meter = meters.meter_save(meter=Meter(location=location, kind="water", number="W-1", unit="m³"))
    cases = [
        ("statuses", {"name": "Riesig", "position": TOO_BIG}, "position"),
        ("statuses", {"name": "Riesig", "position": 32768}, "position"),
        ("statuses", {"name": "Riesig", "position": -1}, "position"),
        ("contacts", {"customer": customer.pk, "last_name": "Groß", "priority": 40000}, "priority"),
        ("contacts", {"customer": customer.pk, "last_name": "Groß", "priority": TOO_BIG}, "priority"),
        ("orders", {"customer": customer.pk, "title": "x", "price": "100000000000", "start": "2026-01-01"}, "price"),
        ("invoices", {"customer": customer.pk, "date": "2026-01-01", "lines": [{"description": "x", "quantity": "123456789012", "unit_price": "1"}]}, "lines"),
        ("invoices", {"customer": customer.pk, "date": "2026-01-01", "lines": [{"description": "x", "quantity": "1", "unit_price": "1e12"}]}, "lines"),
        ("readings", {"meter": meter.pk, "read_at": timezone.now().isoformat(), "value": "1000000000000"}, "value"),
    ]
    for resource, body, field in cases:
        response = write_api.post(f"{API}/{resource}/", body, format="json")
        assert response.status_code == 400, (resource, body, response.content)
        assert field in response.json(), (resource, response.json())
    status = write_api.post(f"{API}/statuses/", {"name": "Klein", "position": 32767}, format="json")
    assert status.status_code == 201, status.content
    assert write_api.patch(f"{API}/statuses/{status.json()['id']}/", {"position": TOO_BIG}, format="json").status_code == 400
    assert CustomerStatus.objects.get(name="Klein").position == 32767
    assert not Order.objects.exists() and not Invoice.objects.exists() and not MeterReading.objects.exists()

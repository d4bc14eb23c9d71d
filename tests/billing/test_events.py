"""invoice.issued: the webhook event of issuing, in the outbox in the same transaction (issue 11 + 14)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from fortycrm.models import Event
from fortycrm.services import billing
from tests import factories
from tests.billing.conftest import draft_with_lines

pytestmark = pytest.mark.django_db
LINE = {"description": "Unterhaltsreinigung März", "quantity": Decimal("1"), "unit_price": Decimal("100.00")}


def test_issuing_an_invoice_records_invoice_issued_once():
    customer = factories.company("Hausverwaltung Nord GmbH")
    invoice = draft_with_lines(customer, [LINE])
    Event.objects.all().delete()
    issued = billing.invoice_issue(invoice=invoice, today=dt.date(2026, 3, 31))
    event = Event.objects.get(type="invoice.issued")
    assert event.object_id == issued.pk
    assert event.data["number"] == issued.number and event.data["is_draft"] is False
    # a refused second issue records nothing
    with pytest.raises(ValidationError):
        billing.invoice_issue(invoice=issued)
    assert Event.objects.filter(type="invoice.issued").count() == 1

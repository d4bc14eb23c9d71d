from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tests import factories


def make_order(customer, title="Unterhaltsreinigung", *, recurrence="monthly", price="100.00", start=dt.date(2026, 1, 1), end=None, location=None, **kwargs):
    from fortycrm.models import Order
    from fortycrm.services.billing import order_create

    return order_create(order=Order(customer=customer, location=location, title=title, recurrence=recurrence,
                                    price=Decimal(price), start=start, end=end, **kwargs))


def make_location(customer, name="Objekt Parkstraße", *, bill_separately=False):
    from fortycrm.models import Location
    from fortycrm.services.locations import location_save

    return location_save(location=Location(customer=customer, name=name, street="Parkstraße 1", postcode="20095", city="Hamburg",
                                           bill_separately=bill_separately))


@pytest.fixture
def customer(db):
    return factories.company("Hausverwaltung Nord GmbH", street="Hafenweg 5", postcode="20457", city="Hamburg")


@pytest.fixture
def combined(db):
    return factories.company("Sammel AG", combine_invoices=True)


def draft_with_lines(customer, lines, **kwargs):
    from fortycrm.models import Invoice
    from fortycrm.services.billing import invoice_create

    return invoice_create(invoice=Invoice(customer=customer, date=dt.date(2026, 1, 31), **kwargs), lines=lines)

"""Fixtures for locations, suppliers, meters, readings, orders and invoices (issue 3)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.utils import timezone

from tests import factories


@pytest.fixture
def prospect():
    """A company customer in the default status "Interessent" (no number)."""
    return factories.company("Hausverwaltung Nord GmbH")


@pytest.fixture
def location(prospect):
    from fortycrm.models import Location
    from fortycrm.services.locations import location_save

    return location_save(location=Location(customer=prospect, name="Wohnanlage Parkstraße", street="Parkstraße 1", postcode="20095", city="Hamburg"))


@pytest.fixture
def supplier():
    from fortycrm.models import Supplier
    from fortycrm.services.locations import supplier_save

    return supplier_save(supplier=Supplier(name="Elektro Schulz", trade="Elektriker", phone="040 999", emergency_phone="0171 999"))


@pytest.fixture
def meter(location):
    from fortycrm.models import Meter
    from fortycrm.services.meters import meter_save

    return meter_save(meter=Meter(location=location, kind="electricity", number="E-4711", unit="kWh", comment="Keller"))


def ago(days: float = 0, hours: float = 0) -> dt.datetime:
    return (timezone.now() - dt.timedelta(days=days, hours=hours)).replace(microsecond=0)


def record(meter, value, *, days: float, exchange: bool = False, photo=None):
    from fortycrm.models import MeterReading
    from fortycrm.services.meters import reading_record

    return reading_record(reading=MeterReading(meter=meter, read_at=ago(days), value=Decimal(str(value)), is_exchange=exchange, photo=photo))


class _FormParser(HTMLParser):
    """Collects what a browser would submit from the first POST form of a page."""

    def __init__(self):
        super().__init__()
        self.data: dict[str, list[str]] = {}
        self._select = None
        self._textarea = None
        self._in_form = False
        self._done = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if self._done:
            return
        if tag == "form" and (a.get("method") or "").lower() == "post" and a.get("id", "").endswith("_form"):
            self._in_form = True
        if not self._in_form:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = (a.get("type") or "text").lower()
            if kind in ("submit", "button", "file", "image", "reset"):
                return
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.data.setdefault(name, []).append(a.get("value") or "on")
                return
            self.data.setdefault(name, []).append(a.get("value") or "")
        elif tag == "select" and name:
            self._select = name
            self.data.setdefault(name, [])
        elif tag == "option" and self._select and "selected" in a:
            self.data[self._select].append(a.get("value") or "")
        elif tag == "textarea" and name:
            self._textarea = name
            self.data.setdefault(name, [""])

    def handle_data(self, data):
        if self._textarea:
            self.data[self._textarea][0] += data

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            if self._textarea:
                self.data[self._textarea][0] = self.data[self._textarea][0].lstrip("\n")
            self._textarea = None
        elif tag == "form" and self._in_form:
            self._in_form = False
            self._done = True


def form_data(response) -> dict:
    """The change form's current values as POST data (management forms included)."""
    parser = _FormParser()
    parser.feed(response.content.decode())
    data = {}
    for name, values in parser.data.items():
        if not values:
            continue
        data[name] = values if len(values) > 1 else values[0]
    return data


@pytest.fixture
def desk(client, django_user_model):
    """A signed-in superuser's test client (desk in German, the default)."""
    user = django_user_model.objects.create_superuser("chefin", "chefin@example.com", "pw-chefin-123", first_name="Clara", last_name="Chefin")
    client.force_login(user)
    client.user = user
    return client

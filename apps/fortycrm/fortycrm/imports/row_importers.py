"""Contacts, locations, meters and readings: row by row through the service of the model
(``contact_save``, ``location_save``, ``meter_save``, ``reading_record``), each row in a
savepoint so that all problems of the file are collected."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from fortycrm.imports.importer_base import Importer, norm
from fortycrm.imports.parsing import display
from fortycrm.imports.results import Row
from fortycrm.models import Contact, Customer, Location, Meter, MeterReading
from fortycrm.services.contacts import contact_save
from fortycrm.services.locations import location_save
from fortycrm.services.meters import meter_save, reading_record


class RowImporter(Importer):
    """Row by row through the service of the model; each row in a savepoint."""

    def process(self, batch: list[Row]) -> None:
        for row in batch:
            if row.failed:
                continue
            try:
                with transaction.atomic():
                    label = self.save_row(row)
            except (ValidationError, PermissionDenied) as exc:
                self.validation_error(row, exc)
                continue
            if label is not None:
                self.result.created += 1
                self.result.note(row.number, "create", label)

    def save_row(self, row: Row) -> str | None:  # pragma: no cover - abstract
        raise NotImplementedError

    def fields(self, row: Row, keys: list[str], defaults: dict[str, Any] | None = None) -> dict[str, Any]:
        defaults = defaults or {}
        data = {}
        for key in keys:
            value = row.values.get(key)
            if value is None:
                value = defaults.get(key, "")
            data[key] = value
        return data

    def location_of(self, customer: Customer, name: str) -> Location:
        locations = list(customer.locations.all())
        for location in locations:
            if norm(location.name) == norm(name):
                return location
        known = ", ".join(f"“{loc.name}”" for loc in locations) or _("none yet")
        raise ValidationError(
            {"location": _("The customer “%(customer)s” has no location named “%(name)s”. Its locations: %(known)s. Import the locations first or correct the name.")
             % {"customer": customer.display_name, "name": name, "known": known}}
        )


class ContactImporter(RowImporter):
    KEYS = ["salutation", "title", "first_name", "last_name", "role", "phone", "mobile", "email", "priority", "birthday", "notes"]

    def save_row(self, row: Row) -> str:
        customer = self.customer_by_number(row.values["customer"])
        location = self.location_of(customer, row.values["location"]) if row.values.get("location") else None
        contact = Contact(customer=customer, location=location, custom_field_data=self.custom_data(row),
                          **self.fields(row, self.KEYS, {"priority": 1, "birthday": None}))
        contact._history_user = self.user
        contact._change_reason = self.reason
        contact_save(contact=contact)
        return f"{contact} ({customer.display_name})"


class LocationImporter(RowImporter):
    KEYS = ["name", "street", "postcode", "city", "country", "access_notes", "site_notes", "bill_separately"]

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seen: dict[tuple, int] = {}

    def save_row(self, row: Row) -> str:
        customer = self.customer_by_number(row.values["customer"])
        key = (customer.pk, norm(row.values["name"]))
        if key in self.seen:
            self.duplicate(row, "name", _("Possible duplicate: the same customer and location name as row %(other)s.") % {"other": self.seen[key]})
        else:
            self.seen[key] = row.number
            if customer.locations.filter(name__iexact=row.values["name"]).exists():
                self.duplicate(row, "name", _("Possible duplicate: the customer “%(customer)s” already has a location named “%(name)s”.")
                               % {"customer": customer.display_name, "name": row.values["name"]})
        location = Location(customer=customer, custom_field_data=self.custom_data(row),
                            **self.fields(row, self.KEYS, {"country": "DE", "bill_separately": False}))
        location._history_user = self.user
        location._change_reason = self.reason
        location_save(location=location)
        return f"{location.name} ({customer.display_name})"


class MeterImporter(RowImporter):
    KEYS = ["kind", "number", "unit", "comment", "installed_on"]

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seen: dict[str, int] = {}

    def save_row(self, row: Row) -> str:
        customer = self.customer_by_number(row.values["customer"])
        location = self.location_of(customer, row.values["location"])
        number = row.values["number"]
        if norm(number) in self.seen:
            self.duplicate(row, "number", _("Possible duplicate: the meter number %(number)s also appears in row %(other)s.") % {"number": number, "other": self.seen[norm(number)]})
        else:
            self.seen[norm(number)] = row.number
            other = Meter.objects.filter(number=number).select_related("location").first()
            if other is not None:
                self.duplicate(row, "number", _("Possible duplicate: a meter with number %(number)s already exists at “%(location)s”.")
                               % {"number": number, "location": other.location.name})
        meter = Meter(location=location, **self.fields(row, self.KEYS, {"installed_on": None}))
        meter._history_user = self.user
        meter._change_reason = self.reason
        meter_save(meter=meter)
        return f"{meter} ({location.name})"


class ReadingImporter(RowImporter):
    field_columns = {"read_at": "read_at", "value": "value", "meter": "meter", "is_exchange": "is_exchange"}

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._meters: dict[tuple, Meter | ValidationError] = {}

    def meter(self, number: str, customer_number: int | None) -> Meter:
        key = (number, customer_number)
        if key not in self._meters:
            qs = Meter.objects.filter(number=number).select_related("location__customer")
            if customer_number is not None:
                qs = qs.filter(location__customer__number=customer_number)
            found = list(qs[:5])
            if not found:
                message = _("There is no meter with number “%(number)s”. Check the number, or import the meters first.") % {"number": number}
                if customer_number is not None:
                    message = _("Customer %(customer)s has no meter with number “%(number)s”. Check both numbers.") % {"number": number, "customer": customer_number}
                self._meters[key] = ValidationError({"meter": message})
            elif len(found) > 1:
                owners = ", ".join(f"{m.location.customer.display_name} ({m.location.customer.number or '–'})" for m in found)
                self._meters[key] = ValidationError(
                    {"meter": _("Several meters have the number “%(number)s” (%(owners)s). Add the column “Customer number” to say which one.")
                     % {"number": number, "owners": owners}}
                )
            else:
                self._meters[key] = found[0]
        found = self._meters[key]
        if isinstance(found, ValidationError):
            raise found
        return found

    def save_row(self, row: Row) -> str:
        meter = self.meter(row.values["meter"], row.values.get("customer"))
        reading = MeterReading(
            meter=meter,
            read_at=row.values["read_at"],
            value=row.values["value"],
            comment=row.values.get("comment") or "",
            is_exchange=bool(row.values.get("is_exchange")),
        )
        reading._history_user = self.user
        reading._change_reason = self.reason
        reading_record(reading=reading, user=self.user)
        return f"{meter.number}: {display(row.raw.get('value'))}"



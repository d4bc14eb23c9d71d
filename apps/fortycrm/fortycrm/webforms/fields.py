"""The fields a website form may offer: built in ONE place from the intake's fields.

The customers' custom fields follow as ``cf_<name>`` rows (multi-choice fields excepted);
the desk, the script and the checks of a submission all read this list.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any

from django.utils import translation
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

# name → (label, autocomplete, input type)
_INTAKE_PRESENTATION = {
    "kind": (_("Enquiry as"), "off", "select"),
    "company_name": (_("Company"), "organization", "text"),
    "salutation": (_("Salutation"), "honorific-prefix", "select"),
    "title": (_("Title"), "honorific-prefix", "text"),
    "first_name": (_("First name"), "given-name", "text"),
    "last_name": (_("Last name"), "family-name", "text"),
    "email": (_("E-mail"), "email", "email"),
    "phone": (_("Phone"), "tel", "tel"),
    "mobile": (_("Mobile phone"), "tel", "tel"),
    "street": (_("Street and number"), "street-address", "text"),
    "postcode": (_("Postcode"), "postal-code", "text"),
    "city": (_("City"), "address-level2", "text"),
    "country": (_("Country (e.g. DE)"), "country", "text"),
    "location_name": (_("Name of the property"), "off", "text"),
    "location_street": (_("Street of the property"), "off", "text"),
    "location_postcode": (_("Postcode of the property"), "off", "text"),
    "location_city": (_("City of the property"), "off", "text"),
    "location_country": (_("Country of the property"), "off", "text"),
    "message": (_("Your message"), "off", "textarea"),
}


@dataclass(frozen=True)
class OfferedField:
    name: str
    label: str
    autocomplete: str
    input_type: str  # text, email, tel, textarea, select
    max_length: int | None = None
    choices: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    definition: Any = None  # the CustomField behind a ``cf_<name>`` row; None for intake fields


@cache
def _intake_fields() -> tuple[tuple[str, serializers.Field], ...]:
    from fortycrm.api.intake import IntakeSerializer

    return tuple((name, f) for name, f in IntakeSerializer().fields.items() if name in _INTAKE_PRESENTATION)


def offered_fields() -> list[OfferedField]:
    """Every field a website form may offer, in the default order. THE place to add custom fields."""
    rows: list[OfferedField] = []
    for name, intake_field in _intake_fields():
        label, autocomplete, input_type = _INTAKE_PRESENTATION[name]
        choices = tuple((str(k), str(v)) for k, v in getattr(intake_field, "choices", {}).items()) if input_type == "select" else ()
        rows.append(OfferedField(name, str(label), autocomplete, input_type, getattr(intake_field, "max_length", None), choices))
    rows.extend(_custom_field_rows())
    return rows


# custom field type → (input type, choices); multi-choice fields are not offered on website forms
_CUSTOM_INPUTS = {
    "text": "text", "longtext": "textarea", "integer": "text", "decimal": "text", "date": "date",
    "boolean": "select", "select": "select", "url": "url", "email": "email",
}


def _custom_field_rows() -> list[OfferedField]:
    """The customers' custom fields (``cf_<name>``), checked on submission like everywhere else."""
    from fortycrm import custom_fields

    rows = []
    for definition in custom_fields.definitions("customer"):
        input_type = _CUSTOM_INPUTS.get(definition.type)
        if input_type is None:
            continue
        if definition.type == "boolean":
            choices = (("ja", str(_("yes"))), ("nein", str(_("no"))))
        elif definition.type == "select":
            choices = tuple((value, custom_fields.choice_label(definition, value)) for value in custom_fields.choice_values(definition))
        else:
            choices = ()
        label = definition.label_en if translation.get_language() == "en" and definition.label_en else definition.label
        max_length = 2000 if definition.type == "longtext" else 200
        rows.append(OfferedField(custom_fields.field_key(definition.name), label, "off", input_type, max_length, choices, definition))
    return rows


def custom_field_values(values: dict[str, str], offered: dict[str, OfferedField]) -> tuple[dict[str, object], dict[str, list[str]]]:
    """The ``cf_<name>`` values of a submission (``offered``: ``offered_field_map()``) as stored
    data, and problems per field."""
    from django.core.exceptions import ValidationError

    from fortycrm import custom_fields

    stored: dict[str, object] = {}
    errors: dict[str, list[str]] = {}
    for key, text in values.items():
        definition = offered[key].definition if key in offered else None
        if definition is None:
            continue
        try:
            value = custom_fields.value_from_text(definition, text)
            custom_fields.value_check(definition, value)
        except ValidationError as exc:
            errors[key] = list(exc.messages)
            continue
        if value is not None:
            stored[definition.name] = value
    return stored, errors


def offered_field_map() -> dict[str, OfferedField]:
    return {f.name: f for f in offered_fields()}


#: fields every form must offer as required (the intake needs the person's last name)
ALWAYS_REQUIRED = ("last_name",)
DEFAULT_FIELDS = [
    {"name": "company_name", "required": False},
    {"name": "first_name", "required": False},
    {"name": "last_name", "required": True},
    {"name": "email", "required": True},
    {"name": "phone", "required": False},
    {"name": "message", "required": False},
]

from __future__ import annotations

import pytest

from fortycrm.models import CustomField
from fortycrm.services.custom_fields import customfield_save

CONTRACT_CHOICES = [
    {"value": "standard", "label": "Standard"},
    {"value": "premium", "label": "Premium"},
    {"value": "rahmen", "label": "Rahmenvertrag"},
]


def define(**kwargs) -> CustomField:
    kwargs.setdefault("object_type", "customer")
    kwargs.setdefault("label", kwargs["name"].replace("_", " ").title())
    return customfield_save(field=CustomField(**kwargs))


@pytest.fixture
def contract_type(db) -> CustomField:
    return define(name="vertragsart", label="Vertragsart", type="select", choices=CONTRACT_CHOICES, list_filter=True, list_column=True)


@pytest.fixture
def area(db) -> CustomField:
    return define(name="flaeche", label="Fläche m²", type="integer", min_value=1, max_value=100000)


@pytest.fixture
def all_types(db) -> dict[str, CustomField]:
    """One field of every type on customers."""
    return {
        "text": define(name="schluessel_ort", label="Schlüssel-Ort", type="text", searchable=True),
        "longtext": define(name="hinweise", label="Hinweise", type="longtext"),
        "integer": define(name="flaeche", label="Fläche m²", type="integer", min_value=1, max_value=100000),
        "decimal": define(name="stundensatz", label="Stundensatz", type="decimal", min_value="10", max_value="200.5"),
        "date": define(name="vertragsbeginn", label="Vertragsbeginn", type="date", min_value="2000-01-01"),
        "boolean": define(name="schluessel", label="Schlüssel hinterlegt", type="boolean"),
        "select": define(name="vertragsart", label="Vertragsart", type="select", choices=CONTRACT_CHOICES),
        "multiselect": define(
            name="leistungen", label="Leistungen", type="multiselect",
            choices=[{"value": "glas", "label": "Glasreinigung"}, {"value": "boden", "label": "Bodenpflege"}, {"value": "winter", "label": "Winterdienst"}],
        ),
        "url": define(name="portal", label="Kundenportal", type="url"),
        "email": define(name="rechnung_mail", label="Rechnungs-E-Mail", type="email"),
    }

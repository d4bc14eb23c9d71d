"""Customer creation exists once: the import's insert path runs services.customers.customer_prepare,
the same preparation step as customer_create (desk, API, intake); the importer only batches the write."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from fortycrm.models import Customer
from fortycrm.services import customers as customer_services
from tests.imports.conftest import run_bytes

pytestmark = pytest.mark.django_db
PACKAGE = Path(customer_services.__file__).resolve().parent.parent


def test_a_rule_added_to_customer_creation_holds_for_the_import(monkeypatch, base_data):
    """A new rule in the customer services (here: no customer number 13) reaches the import
    without any change to the importer."""
    original = customer_services.customer_check_number

    def no_thirteen(*, number=None, **kwargs):
        if number == 13:
            raise ValidationError({"number": "13 brings bad luck."})
        return original(number=number, **kwargs)

    monkeypatch.setattr(customer_services, "customer_check_number", no_thirteen)
    with pytest.raises(ValidationError, match="bad luck"):
        customer_services.customer_create(kind="company", name="Desk GmbH", status="Kunde", number=13)
    result = run_bytes("company_customers", b"Kundennummer;Status;Name *\n13;Kunde;Import GmbH\n14;Kunde;Andere GmbH\n")
    assert [(p.row, p.column, p.message) for p in result.errors] == [(2, "Kundennummer", "13 brings bad luck.")]
    assert not Customer.objects.filter(name__in=["Desk GmbH", "Import GmbH", "Andere GmbH"]).exists()


def test_the_importer_does_not_repeat_the_creation_rules():
    """The customer importer calls the preparation step; the rules' functions are not called there."""
    tree = ast.parse((PACKAGE / "imports" / "customer_importer.py").read_text())
    called = {node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
              for node in ast.walk(tree) if isinstance(node, ast.Call)}
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) for alias in node.names}
    rules = {"full_clean", "customer_check_number", "customer_check_account_manager", "status_resolve", "tag_name_problem"}
    assert "customer_prepare" in called
    assert not called & rules
    assert not imported & (rules | {"account_manager_problem", "account_manager_candidates"})


def test_one_direction_services_never_import_the_import_package():
    for path in (PACKAGE / "services").glob("*.py"):
        assert "fortycrm.imports" not in path.read_text(), path.name
    assert "fortycrm.services" not in (PACKAGE / "imports" / "parsing.py").read_text()
    assert not (PACKAGE / "services" / "imports.py").exists()


def test_account_manager_eligibility_is_asked_once_per_distinct_user(monkeypatch, base_data, nogroup):
    calls = []
    original = customer_services.CustomerLookups.account_manager_problem

    def counted(self, user):
        calls.append(user.pk)
        return original(self, user)

    monkeypatch.setattr(customer_services.CustomerLookups, "account_manager_problem", counted)
    rows = "".join(f"Firma {i} GmbH;{'olga' if i % 2 else 'nogroup'}\n" for i in range(40))
    result = run_bytes("company_customers", ("Name *;Kundenbetreuer\n" + rows).encode())
    assert sorted(calls) == sorted([nogroup.pk, _olga_pk()])
    assert result.error_count == 20 and all("nogroup" in p.message for p in result.errors)


def _olga_pk() -> int:
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username="olga").pk


def test_bulk_create_fallback_where_the_database_returns_no_ids(monkeypatch, base_data, olga):
    """The bulk writer's documented fallback gives the same customers, tags and history."""
    monkeypatch.setattr(type(connection.features), "can_return_rows_from_bulk_insert", property(lambda self: False))
    data = "Status;Name *;Schlagwörter;Kundenbetreuer\nKunde;Eins GmbH;A, B\nKunde;Zwei GmbH;B\nInteressent;Drei GmbH;\n"
    result = run_bytes("company_customers", data.encode(), user=olga)
    assert result.ok and result.created == 3, result.errors
    eins, zwei, drei = (Customer.objects.get(name=n) for n in ("Eins GmbH", "Zwei GmbH", "Drei GmbH"))
    assert sorted(eins.tags.values_list("name", flat=True)) == ["A", "B"] and list(zwei.tags.values_list("name", flat=True)) == ["B"]
    assert eins.number is not None and zwei.number == eins.number + 1 and drei.number is None
    for customer in (eins, zwei, drei):
        entry = customer.history.get()
        assert entry.history_type == "+" and entry.history_user == olga

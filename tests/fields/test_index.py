"""The index of filterable custom field values (R-FLD): kept in step by saves, the import and definition changes."""

from __future__ import annotations

import pytest

from fortycrm.custom_fields import index_rebuild
from fortycrm.imports import files
from fortycrm.imports.columns import get_template
from fortycrm.models import Customer, CustomerFieldValue
from fortycrm.services.custom_fields import customfield_delete, customfield_save
from tests import factories
from tests.api.conftest import client_for, make_key
from tests.imports.conftest import run_bytes

pytestmark = pytest.mark.django_db


def indexed(field: str | None = None) -> set[tuple[int, str, str]]:
    rows = CustomerFieldValue.objects.all() if field is None else CustomerFieldValue.objects.filter(field=field)
    return set(rows.values_list("record_id", "field", "value"))


def test_saves_keep_the_index_and_the_filter_reads_it(contract_type):
    api = client_for(make_key("write"))
    a = factories.company("A GmbH", custom_field_data={"vertragsart": "premium"})
    b = api.post("/api/v1/customers/", {"name": "B GmbH", "custom_fields": {"vertragsart": "standard"}}, format="json").json()["id"]
    assert indexed() == {(a.pk, "vertragsart", "premium"), (b, "vertragsart", "standard")}
    api.patch(f"/api/v1/customers/{b}/", {"custom_fields": {"vertragsart": "premium"}}, format="json")
    ids = {r["id"] for r in api.get("/api/v1/customers/", {"cf_vertragsart": "premium"}).json()["results"]}
    assert ids == {a.pk, b}
    Customer.objects.filter(pk=a.pk).update(custom_field_data={})  # written behind the service's back …
    index_rebuild("customer", ["vertragsart"])  # … a rebuild reads the stored values again
    assert indexed() == {(b, "vertragsart", "premium")}
    Customer.objects.get(pk=b).delete()
    assert not indexed()


def test_definition_changes_and_deletes_follow(contract_type, area):
    customer = factories.company("A GmbH", custom_field_data={"vertragsart": "rahmen", "flaeche": 10})
    assert indexed() == {(customer.pk, "vertragsart", "rahmen")}  # integers are not indexed (range filters read the JSON)
    contract_type.type = "multiselect"
    customfield_save(field=contract_type)
    customer.refresh_from_db()
    assert customer.custom_field_data["vertragsart"] == ["rahmen"] and indexed() == {(customer.pk, "vertragsart", "rahmen")}
    customfield_delete(field=contract_type)
    assert not indexed()


def test_bulk_import_writes_the_index(contract_type):
    headers = files.headers(get_template("company_customers"))
    name = next(h for h in headers if h.startswith("Name"))
    rows = [{name: "Eins GmbH", "Vertragsart": "Premium"}, {name: "Zwei GmbH", "Vertragsart": "standard"}, {name: "Drei GmbH"}]
    body = ";".join(headers) + "\n" + "\n".join(";".join(r.get(h, "") for h in headers) for r in rows)
    result = run_bytes("company_customers", body.encode("utf-8"), "kunden.csv")
    assert not result.errors, [(p.row, p.column, p.message) for p in result.errors]
    by_name = dict(Customer.objects.values_list("name", "pk"))
    assert indexed() == {(by_name["Eins GmbH"], "vertragsart", "premium"), (by_name["Zwei GmbH"], "vertragsart", "standard")}

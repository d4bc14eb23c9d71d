"""Every write path that changes customers moves the customer-data generation on.

The API caches list counts per generation (fortycrm.listcache). A write path that changes
customers, their tags, statuses or tags without bumping it leaves stale counts in every
process, so each path below must (a) really change that data and (b) bump the database
counter. On MariaDB the bump happens after commit, exactly once per transaction; on SQLite
inside the transaction. Run on both (``DATABASE_URL=mysql://…``).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from fortycrm.listcache import customer_data_changed, database_generation
from fortycrm.models import ApiKey, Customer, CustomerStatus, DataGeneration, Tag
from fortycrm.services import customers as customer_services
from fortycrm.services.statuses import status_save
from fortycrm.setup import ROLE_OFFICE
from tests import factories
from tests.customers.test_desk import form_data

CUSTOMERS = "/desk/fortycrm/customer/"


def fingerprint() -> tuple:
    """Everything a customer list count or name lookup depends on."""
    fields = [f.attname for f in Customer._meta.concrete_fields if f.attname != "updated_at"]
    return (
        tuple(Customer.objects.order_by("pk").values_list(*fields)),
        tuple(Customer.tags.through.objects.order_by("customer_id", "tag_id").values_list("customer_id", "tag_id")),
        tuple(CustomerStatus.objects.order_by("pk").values_list("pk", "name", "with_number")),
        tuple(Tag.objects.order_by("pk").values_list("pk", "name")),
    )


@pytest.fixture
def world(db, client, admin_user, django_user_model):
    """Two customers with tags, a desk session and a write API client."""
    manager = django_user_model.objects.create_user("manni", "manni@example.com", "pw-manni-12345", is_staff=True)
    manager.groups.add(Group.objects.get(name=ROLE_OFFICE))
    a = factories.company("Alpha GmbH", status="Kunde", tags=["Nord", "VIP"], account_manager=manager)
    b = factories.company("Beta GmbH", tags=["Süd"])
    client.force_login(admin_user)
    _obj, key = ApiKey.objects.create_key(name="generation test", scope="write")
    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return {"a": a, "b": b, "desk": client, "api": api, "manager": manager}


def ok(response, *codes: int):
    assert response.status_code in (codes or (200, 201, 204, 302)), getattr(response, "content", b"")[:2000]
    return response


def _desk_add(w):
    ok(w["desk"].post(f"{CUSTOMERS}add/", form_data(name="Gamma GmbH", tag_names="Neu")))


def _desk_change(w):
    a = w["a"]
    data = form_data(name="Alpha Neu GmbH", status=a.status_id, number=str(a.number), tag_names="Nord")
    ok(w["desk"].post(f"{CUSTOMERS}{a.pk}/change/", data))


def _desk_delete(w):
    ok(w["desk"].post(f"{CUSTOMERS}{w['a'].pk}/delete/", {"post": "yes"}))


def _desk_bulk_delete(w):
    ids = [w["a"].pk, w["b"].pk]
    ok(w["desk"].post(CUSTOMERS, {"action": "delete_selected", "_selected_action": ids, "post": "yes"}))


def _desk_bulk_status(w):
    status = CustomerStatus.objects.get(name="Kunde")
    data = {"action": "set_status", "_selected_action": [w["b"].pk], "apply": "1", "status": status.pk}
    ok(w["desk"].post(CUSTOMERS, data))


def _desk_bulk_tag(w):
    data = {"action": "add_tag", "_selected_action": [w["a"].pk, w["b"].pk], "apply": "1", "tag": "Winter"}
    ok(w["desk"].post(CUSTOMERS, data))


def _desk_tag_merge(w):
    nord, sued = Tag.objects.get(name="Nord"), Tag.objects.get(name="Süd")
    data = {"action": "merge", "_selected_action": [nord.pk, sued.pk], "apply": "1", "target": nord.pk}
    ok(w["desk"].post("/desk/fortycrm/tag/", data))


def _desk_tag_rename(w):
    tag = Tag.objects.get(name="VIP")
    ok(w["desk"].post(f"/desk/fortycrm/tag/{tag.pk}/change/", {"name": "Premium", "color": tag.color}))


def _desk_status_rename(w):
    status = CustomerStatus.objects.get(name="Kunde")
    data = {
        "name": "Stammkunde", "color": status.color, "position": status.position, "with_number": "on",
        "is_conversion_target": "on",
    }
    ok(w["desk"].post(f"/desk/fortycrm/customerstatus/{status.pk}/change/", data))


def _service_status_rename(w):
    status = CustomerStatus.objects.get(name="ehemaliger Kunde")
    status.name = "Ehemalige"
    status_save(status=status)


def _api_create(w):
    ok(w["api"].post("/api/v1/customers/", {"kind": "company", "name": "Delta GmbH", "tags": ["Neu"]}, format="json"))


def _api_update(w):
    ok(w["api"].patch(f"/api/v1/customers/{w['b'].pk}/", {"city": "Köln"}, format="json"))


def _api_customer_tags(w):
    ok(w["api"].patch(f"/api/v1/customers/{w['a'].pk}/", {"tags": ["Nord"]}, format="json"))


def _api_delete(w):
    ok(w["api"].delete(f"/api/v1/customers/{w['b'].pk}/"))


def _api_tag_rename(w):
    tag = Tag.objects.get(name="VIP")
    ok(w["api"].patch(f"/api/v1/tags/{tag.pk}/", {"name": "Premium"}, format="json"))


def _api_intake(w):
    ok(w["api"].post("/api/v1/intake/", {"company_name": "Epsilon GmbH", "last_name": "Ernst"}, format="json"))


def _api_order_converts_prospect(w):
    data = {"customer": w["b"].pk, "title": "Treppenhaus", "recurrence": "once", "price": "10.00", "start": "2026-01-01"}
    ok(w["api"].post("/api/v1/orders/", data, format="json"), 201)


def _run_import(data: str, **kwargs):
    from tests.imports.conftest import run_bytes

    result = run_bytes("company_customers", data.encode("cp1252"), **kwargs)
    assert result.ok, result.errors


def _import_insert(w):
    _run_import("Name *;Status;Schlagwörter\nZeta GmbH;Kunde;Nord, Import\nEta GmbH;;\n")


def _import_update(w):
    _run_import(f"Kundennummer *;Name *;Ort;Schlagwörter\n{w['a'].number};Alpha GmbH;Bremen;Import\n", mode="update")


def _service_delete(w):
    customer_services.customer_delete(customer=w["b"])


def _user_delete(w):
    w["manager"].delete()  # account_manager → NULL by a plain UPDATE


WRITE_PATHS: dict[str, Callable] = {
    "desk add": _desk_add,
    "desk change": _desk_change,
    "desk delete": _desk_delete,
    "desk bulk delete": _desk_bulk_delete,
    "desk bulk set status": _desk_bulk_status,
    "desk bulk add tag": _desk_bulk_tag,
    "desk tag merge": _desk_tag_merge,
    "desk tag rename": _desk_tag_rename,
    "desk status rename": _desk_status_rename,
    "service status rename": _service_status_rename,
    "api create": _api_create,
    "api update": _api_update,
    "api customer tags": _api_customer_tags,
    "api delete": _api_delete,
    "api tag rename": _api_tag_rename,
    "api intake": _api_intake,
    "api order converts prospect": _api_order_converts_prospect,
    "import insert": _import_insert,
    "import update": _import_update,
    "service delete": _service_delete,
    "user delete": _user_delete,
}


@pytest.mark.parametrize("path", list(WRITE_PATHS))
def test_every_write_path_bumps_the_generation(world, path, django_capture_on_commit_callbacks):
    before, gen_before = fingerprint(), database_generation()
    with django_capture_on_commit_callbacks(execute=True):
        WRITE_PATHS[path](world)
        if connection.vendor != "sqlite":
            assert database_generation() == gen_before  # MariaDB: only after commit
    assert fingerprint() != before, f"{path} changed nothing: the test would prove nothing"
    gen_after = database_generation()
    assert gen_after > gen_before, f"{path} changed customer data without bumping the generation"
    if connection.vendor != "sqlite":
        assert gen_after == gen_before + 1  # once per transaction, however many rows


def _generation_updates(queries) -> int:
    table = DataGeneration._meta.db_table
    return sum(1 for q in queries if q["sql"].lstrip().upper().startswith("UPDATE") and table in q["sql"])


@pytest.mark.django_db(transaction=True)
def test_bump_after_commit_once_per_transaction_and_after_a_rollback():
    customers = [factories.company(f"Firma {i}") for i in range(3)]
    start = database_generation()
    with CaptureQueriesContext(connection) as ctx:
        with transaction.atomic():
            for customer in customers:
                customer_services.customer_update(customer=customer, city="Bonn")
            inside = database_generation()
    if connection.vendor == "sqlite":
        assert inside == database_generation() > start  # inside the writer's transaction
    else:
        assert inside == start  # MariaDB: not while the transaction runs ...
        assert database_generation() == start + 1  # ... but after commit, once for 3 changes
        assert _generation_updates(ctx.captured_queries) == 1

    # a rolled-back transaction leaves no bump behind, and the next one still bumps
    start = database_generation()
    with pytest.raises(RuntimeError), transaction.atomic():
        customer_services.customer_update(customer=customers[0], city="Ulm")
        raise RuntimeError("roll back")
    assert database_generation() == start
    with transaction.atomic():
        customer_services.customer_update(customer=customers[1], city="Ulm")
    assert database_generation() > start

    # a change kept beside a rolled-back savepoint still bumps after commit
    start = database_generation()
    with transaction.atomic():
        customer_services.customer_update(customer=customers[2], city="Kiel")
        with pytest.raises(RuntimeError), transaction.atomic():
            customer_services.customer_update(customer=customers[0], city="Kiel")
            raise RuntimeError("roll back the savepoint")
    assert database_generation() > start

    # outside a transaction (autocommit) the bump follows at once
    start = database_generation()
    customer_data_changed()
    assert database_generation() == start + 1


@pytest.mark.django_db(transaction=True)
def test_migration_moves_the_counter_out_of_the_number_sequences():
    from django.db.migrations.executor import MigrationExecutor

    from tests.migrations import migration_around

    executor, before, after = migration_around("_data_generation")
    executor.migrate(before)
    old_apps = executor.loader.project_state(before).apps
    old_apps.get_model("fortycrm", "NumberSequence").objects.update_or_create(key="customer-data", defaults={"last_value": 4711})
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(after)
    new_apps = executor.loader.project_state(after).apps
    assert new_apps.get_model("fortycrm", "DataGeneration").objects.get(key="customer-data").value == 4711
    assert not new_apps.get_model("fortycrm", "NumberSequence").objects.filter(key="customer-data").exists()
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())  # back to the newest schema for the next tests
    assert database_generation() == 4711

"""Customers over the API: list, filters, create, update, delete; rules of the services hold."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from fortycrm.models import Customer, CustomerStatus
from fortycrm.setup import ROLE_OFFICE
from tests import factories

URL = "/api/v1/customers/"
CONTRACT_FIELDS = {
    "id", "kind", "number", "name", "short_name", "salutation", "title", "first_name", "last_name", "display_name",
    "status", "status_name", "tags", "street", "postcode", "city", "country", "email", "phone", "mobile", "website",
    "vat_id", "account_manager", "combine_invoices", "logo", "created_at", "updated_at",
}

pytestmark = pytest.mark.django_db


def kunde() -> CustomerStatus:
    return CustomerStatus.objects.get(name="Kunde")


def test_list_has_contract_fields_and_paging(read_api):
    for i in range(3):
        factories.company(f"Firma {i} GmbH", tags=["VIP"])
    response = read_api.get(URL, {"page_size": 2})
    assert response.status_code == 200
    data = response.json()
    assert data["count"] == 3 and len(data["results"]) == 2
    assert data["previous"] is None and "page=2" in data["next"]
    row = data["results"][0]
    assert CONTRACT_FIELDS <= set(row)
    assert row["name"] == "Firma 2 GmbH"  # newest first
    assert row["status_name"] == "Interessent" and row["tags"] == ["VIP"] and row["logo"] is None
    second = read_api.get(URL, {"page_size": 2, "page": 2}).json()
    assert [r["name"] for r in second["results"]] == ["Firma 0 GmbH"]


def test_list_and_retrieve_give_the_same_json(read_api):
    customer = factories.private("Schmidt", "Erika", tags=["Pflege", "ambulant"], postcode="10115", city="Berlin")
    listed = read_api.get(URL).json()["results"][0]
    detail = read_api.get(f"{URL}{customer.pk}/").json()
    assert listed == detail
    assert detail["display_name"] == "Erika Schmidt" and detail["tags"] == ["ambulant", "Pflege"]


def test_filter_status_by_id_and_name(read_api):
    a = factories.company("Alpha GmbH")
    b = factories.company("Beta GmbH", status=kunde())
    assert [r["id"] for r in read_api.get(URL, {"status": kunde().pk}).json()["results"]] == [b.pk]
    assert [r["id"] for r in read_api.get(URL, {"status": "interessent"}).json()["results"]] == [a.pk]


def test_filter_unknown_status_is_a_clear_400(read_api):
    response = read_api.get(URL, {"status": "Gold"})
    assert response.status_code == 400
    message = response.json()["status"][0]
    assert "Gold" in message and "Interessent" in message and "Kunde" in message


def test_filter_tags_repeatable_means_all_of_them(read_api):
    both = factories.company("Both GmbH", tags=["VIP", "Nord"])
    factories.company("Vip GmbH", tags=["VIP"])
    factories.company("Nord GmbH", tags=["nord"])
    vip = read_api.get(URL, {"tag": "vip"}).json()
    assert vip["count"] == 2
    result = read_api.get(f"{URL}?tag=VIP&tag=Nord").json()
    assert [r["id"] for r in result["results"]] == [both.pk] and result["count"] == 1
    assert read_api.get(URL, {"tag": "unbekannt"}).json() == {"count": 0, "next": None, "previous": None, "results": []}


def test_filter_account_manager_changed_since_and_search(read_api, office_user):
    managed = factories.company("Managed GmbH", account_manager=office_user, city="Potsdam", email="info@managed.example")
    old = factories.company("Old GmbH", city="Berlin")
    Customer.objects.filter(pk=old.pk).update(updated_at=timezone.now() - dt.timedelta(days=30))
    assert [r["id"] for r in read_api.get(URL, {"account_manager": office_user.pk}).json()["results"]] == [managed.pk]
    since = (timezone.now() - dt.timedelta(days=1)).isoformat()
    assert [r["id"] for r in read_api.get(URL, {"changed_since": since}).json()["results"]] == [managed.pk]
    # an unencoded "+01:00" arrives as " 01:00" and is still understood
    assert read_api.get(f"{URL}?changed_since=2000-01-01T00:00:00+01:00").json()["count"] == 2
    assert [r["id"] for r in read_api.get(URL, {"search": "potsdam"}).json()["results"]] == [managed.pk]
    assert [r["id"] for r in read_api.get(URL, {"search": "managed.example"}).json()["results"]] == [managed.pk]
    numbered = factories.company("Nummer GmbH", status=kunde())
    assert [r["id"] for r in read_api.get(URL, {"search": str(numbered.number)}).json()["results"]] == [numbered.pk]


@pytest.mark.parametrize(
    ("params", "field", "needle"),
    [
        ({"changed_since": "gestern"}, "changed_since", "gestern"),
        ({"changed_since": "2025-13-45"}, "changed_since", "2025-13-45"),
        ({"account_manager": "abc"}, "account_manager", "abc"),
        ({"account_manager": "99999999999999999999999"}, "account_manager", "99999999999999999999999"),
        ({"ordering": "password"}, "ordering", "password"),
    ],
)
def test_bad_filter_values_are_400_naming_the_value(read_api, params, field, needle):
    response = read_api.get(URL, params)
    assert response.status_code == 400
    assert needle in response.json()[field][0]


def test_ordering(read_api):
    factories.company("Zeta GmbH")
    factories.company("Alpha GmbH")
    names = [r["name"] for r in read_api.get(URL, {"ordering": "name"}).json()["results"]]
    assert names == ["Alpha GmbH", "Zeta GmbH"]
    names = [r["name"] for r in read_api.get(URL, {"ordering": "-name"}).json()["results"]]
    assert names == ["Zeta GmbH", "Alpha GmbH"]


def test_page_size_is_capped_at_200(read_api):
    Customer.objects.bulk_create(
        [Customer(kind="company", name=f"Bulk {i}", status=CustomerStatus.objects.get(name="Interessent")) for i in range(205)]
    )
    data = read_api.get(URL, {"page_size": 500}).json()
    assert data["count"] == 205 and len(data["results"]) == 200


def test_create_company_in_numbered_status_gets_next_number_and_tags(write_api):
    response = write_api.post(URL, {"name": "Neu GmbH", "status": kunde().pk, "tags": ["VIP", "vip", "Nord"]}, format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    customer = Customer.objects.get(pk=data["id"])
    assert data["kind"] == "company" and data["number"] == customer.number == 10000
    assert sorted(customer.tags.values_list("name", flat=True)) == ["Nord", "VIP"]
    assert data["status_name"] == "Kunde"


def test_create_private_customer_default_status(write_api):
    response = write_api.post(URL, {"kind": "private", "first_name": "Erika", "last_name": "Mustermann", "salutation": "ms"}, format="json")
    assert response.status_code == 201
    assert response.json()["display_name"] == "Erika Mustermann"
    assert response.json()["status_name"] == "Interessent" and response.json()["number"] is None


def test_create_without_name_is_400_and_saves_nothing(write_api):
    response = write_api.post(URL, {"kind": "company", "city": "Berlin"}, format="json")
    assert response.status_code == 400
    assert "name" in response.json() and "Name" in response.json()["name"][0]
    assert not Customer.objects.exists()


def test_number_in_status_without_number_is_400(write_api):
    response = write_api.post(URL, {"name": "X GmbH", "number": 4711}, format="json")
    assert response.status_code == 400
    assert "Interessent" in response.json()["number"][0]
    assert not Customer.objects.exists()


def test_taken_number_is_409_naming_the_holder(write_api):
    holder = factories.company("Halter GmbH", status=kunde(), number=5000)
    response = write_api.post(URL, {"name": "Zweite GmbH", "status": kunde().pk, "number": 5000}, format="json")
    assert response.status_code == 409
    message = response.json()["number"][0]
    assert "5000" in message and holder.display_name in message
    assert Customer.objects.count() == 1


def test_unknown_status_id_on_create_is_400(write_api):
    response = write_api.post(URL, {"name": "X GmbH", "status": 999999}, format="json")
    assert response.status_code == 400 and "999999" in response.json()["status"][0]


def test_account_manager_must_be_a_user_in_a_group(write_api, django_user_model, office_user):
    loner = django_user_model.objects.create_user("loner", password="pw-loner-123")
    response = write_api.post(URL, {"name": "X GmbH", "account_manager": loner.pk}, format="json")
    assert response.status_code == 400 and str(loner.pk) in response.json()["account_manager"][0]
    response = write_api.post(URL, {"name": "X GmbH", "account_manager": office_user.pk}, format="json")
    assert response.status_code == 201 and response.json()["account_manager"] == office_user.pk


def test_partial_update_changes_fields_and_tags(write_api):
    customer = factories.company("Alt GmbH", tags=["A"])
    response = write_api.patch(f"{URL}{customer.pk}/", {"short_name": "Alt", "tags": ["B"], "city": "Köln"}, format="json")
    assert response.status_code == 200, response.content
    customer.refresh_from_db()
    assert customer.short_name == "Alt" and customer.city == "Köln" and list(customer.tags.values_list("name", flat=True)) == ["B"]
    assert response.json()["display_name"] == "Alt"


def test_numbered_customer_cannot_go_back_to_status_without_number(write_api):
    customer = factories.company("Num GmbH", status=kunde())
    prospect = CustomerStatus.objects.get(name="Interessent")
    response = write_api.patch(f"{URL}{customer.pk}/", {"status": prospect.pk}, format="json")
    assert response.status_code == 400 and str(customer.number) in response.json()["status"][0]
    customer.refresh_from_db()
    assert customer.status == kunde()


def test_api_key_may_not_change_a_saved_number(write_api):
    customer = factories.company("Num GmbH", status=kunde())
    response = write_api.patch(f"{URL}{customer.pk}/", {"number": 777777}, format="json")
    assert response.status_code == 403
    customer.refresh_from_db()
    assert customer.number != 777777


def test_delete(write_api):
    customer = factories.company("Weg GmbH")
    assert write_api.delete(f"{URL}{customer.pk}/").status_code == 204
    assert not Customer.objects.filter(pk=customer.pk).exists()
    assert write_api.delete(f"{URL}{customer.pk}/").status_code == 404


def test_put_is_not_offered(write_api):
    customer = factories.company("X GmbH")
    assert write_api.put(f"{URL}{customer.pk}/", {"name": "Y"}, format="json").status_code == 405


def test_count_follows_writes(write_api):
    factories.company("Eins GmbH", tags=["VIP"])
    assert write_api.get(URL, {"tag": "VIP"}).json()["count"] == 1
    write_api.post(URL, {"name": "Zwei GmbH", "tags": ["VIP"]}, format="json")
    assert write_api.get(URL, {"tag": "VIP"}).json()["count"] == 2
    other = factories.company("Drei GmbH")
    write_api.patch(f"{URL}{other.pk}/", {"tags": ["vip"]}, format="json")
    assert write_api.get(URL, {"tag": "VIP"}).json()["count"] == 3
    write_api.delete(f"{URL}{other.pk}/")
    assert write_api.get(URL, {"tag": "VIP"}).json()["count"] == 2


def test_session_user_uses_model_permissions(client, office_user, django_user_model):
    factories.company("Sichtbar GmbH")
    client.force_login(office_user)
    assert client.get(URL).json()["count"] == 1
    no_role = django_user_model.objects.create_user("norole", password="pw-norole-123", is_staff=True)
    client.force_login(no_role)
    assert client.get(URL).status_code == 403
    assert Group.objects.get(name=ROLE_OFFICE)  # the role the office user has


def test_status_can_be_given_by_name_on_write(write_api):
    response = write_api.post("/api/v1/customers/", {"kind": "company", "name": "Name GmbH", "status": "kunde"}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["status_name"] == "Kunde" and response.json()["number"] == 10000
    assert isinstance(response.json()["status"], int)
    unknown = write_api.post("/api/v1/customers/", {"kind": "company", "name": "X GmbH", "status": "Stammkunde"}, format="json")
    assert unknown.status_code == 400
    assert "Stammkunde" in unknown.json()["status"][0] and "Interessent" in unknown.json()["status"][0]
    assert write_api.post("/api/v1/customers/", {"kind": "company", "name": "Y GmbH", "status": True}, format="json").status_code == 400


def test_changes_through_the_api_name_the_key_in_the_history(write_api):
    from fortycrm.selectors import history_of

    response = write_api.post("/api/v1/customers/", {"kind": "company", "name": "Historie GmbH"}, format="json")
    customer = Customer.objects.get(pk=response.json()["id"])
    write_api.patch(f"/api/v1/customers/{customer.pk}/", {"city": "Köln"}, format="json")
    rows = history_of(customer)
    assert [row["who"] for row in rows] == ["API: test write", "API: test write"]
    assert "Köln" in str(rows[0]["what"])


def test_list_detail_and_schema_have_one_field_list_with_every_field_filled(read_api, office_user, client):
    """The list's fast path and the detail are built from one field list: no field can drift."""
    from fortycrm.api.serializers import CUSTOMER_FIELDS, CustomerSerializer

    customer = factories.company("Voll GmbH", tags=["VIP"], status=kunde(), account_manager=office_user)
    Customer.objects.filter(pk=customer.pk).update(
        short_name="Voll", salutation="ms", title="Dr.", first_name="Vera", last_name="Voll", street="Weg 1", postcode="10115",
        city="Berlin", country="AT", email="v@voll.example", phone="1", mobile="2", website="https://voll.example", vat_id="DE1",
        notes="Notiz", start_date=dt.date(2024, 1, 31), end_date=dt.date(2026, 12, 31), combine_invoices=True, logo="logos/voll.png",
    )
    listed = read_api.get(URL).json()["results"][0]
    detail = read_api.get(f"{URL}{customer.pk}/").json()
    assert listed == detail
    assert list(detail) == list(CUSTOMER_FIELDS) == list(CustomerSerializer().fields)
    assert detail["start_date"] == "2024-01-31" and detail["account_manager"] == office_user.pk and detail["combine_invoices"] is True
    assert detail["logo"].startswith("http://testserver/") and detail["logo"].endswith("logos/voll.png")
    assert detail["created_at"].endswith("+01:00") or detail["created_at"].endswith("+02:00")
    schema = client.get("/api/v1/schema/", {"format": "json"}).json()
    assert set(schema["components"]["schemas"]["Customer"]["properties"]) == set(CUSTOMER_FIELDS)

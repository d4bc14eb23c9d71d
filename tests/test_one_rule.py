"""Rules that exist once and hold for every caller (desk form, API, import, services)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fortycrm.api.serializers import display_name
from fortycrm.models import Customer, CustomerStatus
from fortycrm.selectors import account_manager_candidates
from fortycrm.services.customers import customer_create, customer_update
from fortycrm.services.statuses import status_resolve
from fortycrm.tagnames import TAG_NAME_MAX_LENGTH, parse_tag_names, tag_name_problem
from fortycrm.validators import parse_whole_number
from tests.api.conftest import client_for, make_key


@pytest.fixture
def users(db):
    office = Group.objects.get_or_create(name="Büro")[0]
    member = User.objects.create_user("member")
    member.groups.add(office)
    loner = User.objects.create_user("loner")
    retired = User.objects.create_user("retired", is_active=False)
    retired.groups.add(office)
    return member, loner, retired


def test_account_manager_candidates_are_active_group_members(users):
    member, loner, retired = users
    assert list(account_manager_candidates()) == [member]


def test_service_refuses_account_manager_outside_groups(users):
    member, loner, retired = users
    with pytest.raises(ValidationError) as exc:
        customer_create(kind="company", name="Acme", account_manager=loner)
    assert "account_manager" in exc.value.message_dict
    with pytest.raises(ValidationError):
        customer_create(kind="company", name="Acme", account_manager=retired)
    assert not Customer.objects.exists()
    customer = customer_create(kind="company", name="Acme", account_manager=member)
    # a manager who later leaves every group does not block unrelated edits ...
    member.groups.clear()
    customer_update(customer=customer, city="Berlin")
    # ... but cannot be chosen anew
    other = customer_create(kind="company", name="Other")
    with pytest.raises(ValidationError):
        customer_update(customer=other, account_manager=member)


def test_api_refuses_account_manager_outside_groups(users):
    _member, loner, _retired = users
    api = client_for(make_key("write"))
    answer = api.post("/api/v1/customers/", {"kind": "company", "name": "Acme", "account_manager": loner.pk}, format="json")
    assert answer.status_code == 400
    assert "account_manager" in answer.json()


@pytest.mark.parametrize("text", ["\t³", "³", "٣", "1²", "１２"])
def test_status_by_unicode_digits_is_unknown_not_a_crash(db, text):
    with pytest.raises(ValidationError) as exc:
        status_resolve(text)
    assert "status" in exc.value.message_dict
    api = client_for(make_key("write"))
    answer = api.post("/api/v1/customers/", {"kind": "company", "name": "Acme", "status": text}, format="json")
    assert answer.status_code == 400, answer.content
    assert "status" in answer.json()
    listing = api.get("/api/v1/customers/", {"status": text})
    assert listing.status_code == 400
    assert "status" in listing.json()


def test_status_by_id_or_name(db):
    kunde = CustomerStatus.objects.get(name="Kunde")
    assert status_resolve(str(kunde.pk)) == kunde
    assert status_resolve(" kunde ") == kunde


def test_parse_whole_number():
    assert parse_whole_number("42") == 42
    assert parse_whole_number(" 7 ") == 7
    for bad in ["", "³", "4.2", "-1", "1e3", "9" * 40, None, "１２"]:
        assert parse_whole_number(bad) is None


def test_tag_names_one_rule(db):
    assert parse_tag_names(" VIP ,vip,  Neu  Kunde ,") == ["VIP", "Neu Kunde"]
    long = "x" * (TAG_NAME_MAX_LENGTH + 1)
    assert tag_name_problem(long)
    assert tag_name_problem("x" * TAG_NAME_MAX_LENGTH) is None
    with pytest.raises(ValidationError):
        customer_create(kind="company", name="Acme", tags=[long])
    api = client_for(make_key("write"))
    answer = api.post("/api/v1/customers/", {"kind": "company", "name": "Acme", "tags": [long]}, format="json")
    assert answer.status_code == 400


@pytest.mark.parametrize(
    "fields",
    [
        {"kind": "company", "name": "Müller GmbH"},
        {"kind": "company", "name": "Müller GmbH", "short_name": "Müller"},
        {"kind": "private", "title": "Dr.", "first_name": "Eva", "last_name": "Schmidt"},
        {"kind": "private", "last_name": "Schmidt", "short_name": "Oma Eva"},
    ],
)
def test_display_name_same_in_model_and_api_rows(db, fields):
    customer = customer_create(**fields)
    row = Customer.objects.filter(pk=customer.pk).values("kind", "name", "short_name", "title", "first_name", "last_name").get()
    assert display_name(row) == customer.display_name
    api = client_for(make_key("read"))
    assert api.get(f"/api/v1/customers/{customer.pk}/").json()["display_name"] == customer.display_name
    assert api.get("/api/v1/customers/").json()["results"][0]["display_name"] == customer.display_name


@pytest.mark.parametrize("param", ["status", "changed_since", "ordering", "account_manager", "tag"])
@pytest.mark.parametrize("value", ["%", "%s", "%(x)s", "100 %d"])
def test_filter_values_with_percent_signs_answer_400_not_500(db, param, value):
    """django-filter formats error messages with ``%``; a client's "%" must not break it."""
    api = client_for(make_key("read"))
    answer = api.get("/api/v1/customers/", {param: value})
    assert answer.status_code in (200, 400), answer.content
    if answer.status_code == 400:
        assert value in str(answer.json()[param])


_DIGITISH = st.text(alphabet=st.characters(categories=("Nd", "No", "Nl", "Zs", "Cc")), min_size=1, max_size=4)


@pytest.mark.django_db(transaction=True)
def test_status_and_id_parameters_never_500_for_any_unicode_digits():
    """Property-based (Hypothesis, 60 examples, fixed seed): ids and status names written in any
    script's digits, superscripts, fractions or spaces answer 201/400, never 500 (issue 8 item 6)."""
    api = client_for(make_key("write"))

    @given(text=_DIGITISH)
    @settings(max_examples=60, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck))
    def run(text):
        created = api.post("/api/v1/customers/", {"kind": "company", "name": "Acme", "status": text}, format="json")
        assert created.status_code in (201, 400), (text, created.content)
        listed = api.get("/api/v1/customers/", {"status": text, "account_manager": text, "search": text})
        assert listed.status_code in (200, 400), (text, listed.content)
        assert api.get(f"/api/v1/contacts/?customer={text}").status_code in (200, 400)

    run()


def test_tag_length_message_is_german_in_a_german_request(db):
    from django.utils import translation

    with translation.override("de"):
        assert tag_name_problem("x" * (TAG_NAME_MAX_LENGTH + 1)).startswith("Das Schlagwort")

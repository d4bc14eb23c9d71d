"""``services.cleaning.clean_model`` (the planned ``full_clean`` of ``customer_prepare``, which
desk, API, intake and import all run) raises exactly what Django's ``full_clean`` raises."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from fortycrm.models import Customer, CustomerStatus
from fortycrm.services.cleaning import clean_model
from fortycrm.services.customers import customer_prepare

pytestmark = pytest.mark.django_db

EXCLUDE = {"number", "status", "logo_thumbnail", "account_manager"}

# per field: valid values and invalid ones (too long, not a choice, blank where not allowed,
# wrong type, a validator failing)
POOLS: dict[str, list] = {
    "kind": ["company", "private", "", "alien", None, Customer.Kind.PRIVATE, 3],
    "name": ["Müller GmbH", "", "x" * 200, "x" * 201, "  ", 12345, None],
    "short_name": ["Müller", "y" * 81, ""],
    "salutation": ["", "mr", "ms", "sir", "MR"],
    "title": ["Dr.", "t" * 41],
    "first_name": ["Anna", "", "f" * 101],
    "last_name": ["Schmidt", "", "l" * 101, "   "],
    "street": ["Hauptstraße 1", "s" * 201],
    "postcode": ["40213", "12345678901", "", 40213],
    "city": ["Düsseldorf", "c" * 101],
    "country": ["DE", "at", "", "DEU", "D1", None],
    "phone": ["0211 123", "p" * 41],
    "email": ["info@example.de", "", "not-an-email", "a@b", "x" * 250 + "@example.de", "info@müller.de", "a\x00@example.de"],
    "website": ["", "https://example.de", "example.de", "ftp://example.de", "http://" + "w" * 300 + ".de", "nope"],
    "vat_id": ["DE123456789", "v" * 21],
    "leitweg_id": ["", "991-01234-56", "991_01234", "04011000-1234512345-06", "-"],
    "notes": ["", "n" * 5000],
    "start_date": [None, dt.date(2020, 1, 1), "2020-02-30", "31.12.2020", "2021-06-01", ""],
    "end_date": [None, dt.date(2019, 1, 1), dt.date(2030, 1, 1), "2019-12-31", "garbage"],
    "combine_invoices": [False, True, None, "ja", "true", 1],
    "custom_field_data": [{}, {"a": 1}, None, [], "x"],
    "logo": ["", None],
}


def _errors(exc: ValidationError) -> dict[str, list[tuple]]:
    return {
        name: [(e.code, e.params, " ".join(e.messages)) for e in errors]
        for name, errors in sorted(exc.error_dict.items())
    }


def _outcome(customer: Customer, clean) -> tuple:
    try:
        clean(customer)
    except ValidationError as exc:
        error = (_errors(exc), list(exc.error_dict))  # the fields in Django's order too (the import reports them so)
    except Exception as exc:  # noqa: BLE001 - a crash (e.g. clean() on None) must be the same crash
        error = (type(exc).__name__, str(exc))
    else:
        error = None
    values = {f.attname: getattr(customer, f.attname) for f in Customer._meta.concrete_fields}
    return error, values


def _compare(values: dict, exclude: set[str]) -> None:
    status = CustomerStatus.objects.first()
    planned, django = Customer(status=status, **values), Customer(status=status, **values)
    ours = _outcome(planned, lambda c: clean_model(c, exclude=exclude))
    theirs = _outcome(django, lambda c: c.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False))
    assert ours == theirs, values


@pytest.mark.parametrize("field", sorted(POOLS))
def test_every_value_of_a_field_gives_djangos_result(field):
    for value in POOLS[field]:
        _compare({"kind": "company", "name": "Basis GmbH", field: value}, EXCLUDE)


def test_random_rows_give_djangos_errors_and_values():
    chooser = random.Random(20261128)
    for _ in range(400):
        values = {field: chooser.choice(pool) for field, pool in POOLS.items() if chooser.random() < 0.6}
        exclude = EXCLUDE | set(chooser.sample(sorted(POOLS), chooser.randint(0, 2)))
        _compare(values, exclude)


def test_customer_prepare_reports_the_field_errors_of_full_clean():
    """The service's error for a row with several bad values is the one full_clean gives."""
    customer = Customer(kind="company", name="x" * 201, email="kaputt", website="nope", country="DEU", salutation="sir")
    with pytest.raises(ValidationError) as prepared:
        customer_prepare(customer=customer, status="Kunde")
    reference = Customer(kind="company", name="x" * 201, email="kaputt", website="nope", country="DEU", salutation="sir")
    with pytest.raises(ValidationError) as django:
        reference.full_clean(exclude=EXCLUDE, validate_unique=False, validate_constraints=False)
    assert _errors(prepared.value) == _errors(django.value)
    assert set(prepared.value.error_dict) == {"name", "email", "website", "country", "salutation"}


# e-mail addresses and Leitweg-IDs at the edges of Django's rules: the planned check tests
# them with the validators' own patterns and leaves every doubtful one to Django
EDGE_EMAILS = [
    "info@example.de", "INFO@EXAMPLE.DE", "a.b-c+d@sub.example.co.uk", "user@localhost", "a@[127.0.0.1]", "a@[::1]", "a@[999.1.1.1]",
    "a@[IPv6:::1]", '"quoted user"@example.de', '"bad"quote"@example.de', "info@example.de.", "info@-example.de", "info@example-.de",
    "a@b.c0m", "a@b.c", "a@@b.de", "a b@example.de", "ä@example.de", "info@müller.de", "info@xn--mller-kva.de", "@example.de", "info@",
    "info@example", "info@.example.de", "info@example..de", ".info@example.de", "in..fo@example.de", "info@" + "d" * 64 + ".de",
    "info@" + "d" * 63 + ".de", "x" * 64 + "@example.de", "info@example.de\n", "info@exa_mple.de", "info@123.123.123.123",
    "first.last@sub.example.museum", "a-b@c.d-e.de", "x@" + "a" * 64 + ".de", "info@example.d", "info@example.de1", "info@example.-de",
    "info@ex--ample.de", "Info.Team@Example.DE", "k@example.de", "x@a.b.c.d.e.f.gh", "a@b.de" + "e" * 315,
]
EDGE_LEITWEG = ["991-01234-56", "991", "04011000-1234512345-06", "04011000-12345 12345-06", "ä", "99-", "991-01234-56\n"]


@pytest.mark.parametrize("email", EDGE_EMAILS)
def test_edge_case_emails_give_djangos_result(email):
    _compare({"kind": "company", "name": "Basis GmbH", "email": email}, EXCLUDE)


@pytest.mark.parametrize("leitweg_id", EDGE_LEITWEG)
def test_edge_case_leitweg_ids_give_djangos_result(leitweg_id):
    _compare({"kind": "company", "name": "Basis GmbH", "leitweg_id": leitweg_id}, EXCLUDE)


def test_quick_validator_tests_never_accept_what_django_refuses():
    """``_surely_valid`` may say "maybe not" (Django decides then) but never "valid" wrongly."""
    from django.core.validators import EmailValidator

    from fortycrm.services.cleaning import _plan, _surely_valid

    email_check = next(c for c in _plan(Customer) if c.name == "email")
    assert email_check.tests and not email_check.validators  # the e-mail validator is tested quickly
    chooser = random.Random(16)
    alphabet = "ab.-_@[]:1\"ä +"
    samples = EDGE_EMAILS + ["".join(chooser.choice(alphabet) for _ in range(chooser.randint(1, 12))) for _ in range(3000)]
    # mostly well-formed addresses with one odd character somewhere (the common shape's edges)
    for _ in range(3000):
        parts = ["".join(chooser.choice("abZ9-.") for _ in range(chooser.randint(1, 6))) for _ in range(3)]
        samples.append(f"{parts[0]}@{parts[1]}.{parts[2]}")
    validators = [EmailValidator(), EmailValidator(allowlist=["intranet"])]
    for validator in validators:
        test = _surely_valid(validator)
        for value in [*samples, "a@intranet"]:
            try:
                validator(value)
                django_valid = True
            except ValidationError:
                django_valid = False
            assert not test(value) or django_valid, value
            if "[" not in value:  # without an IP literal the quick test is Django's whole rule
                assert test(value) == django_valid, value


def _nested(depth: int) -> dict:
    value: dict = {"leaf": 1}
    for _ in range(depth):
        value = {"inner": [value]}
    return value


EDGE_JSON = [
    {"vertragsart": "premium", "flaeche": 12, "satz": "12.50", "schluessel": True, "leistungen": ["glas", "boden"], "leer": None},
    {"a": 1.5, "b": float("nan"), "c": {}, "d": []}, {"a": Decimal("1.5")}, {1: "x"}, {"a": {1, 2}}, {"a": (1, 2)}, {"a": dt.date(2020, 1, 1)},
    ["x", 1], [], {}, None, "text", 12, _nested(5), _nested(30), {"a": [{"b": object()}]},
]


@pytest.mark.parametrize("data", EDGE_JSON, ids=range(len(EDGE_JSON)))
def test_custom_field_data_gives_djangos_result(data):
    _compare({"kind": "company", "name": "Basis GmbH", "custom_field_data": data}, EXCLUDE)

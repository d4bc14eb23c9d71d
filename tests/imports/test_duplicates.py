"""One definition of a possible duplicate (selectors.customer_duplicates) for the import and the intake."""

from __future__ import annotations

import pytest

from fortycrm.models import Contact, Customer
from fortycrm.selectors import customer_duplicates, customer_possible_duplicates
from tests import factories
from tests.imports.conftest import run_bytes

pytestmark = pytest.mark.django_db

# (company name, postcode, e-mail) of a new record → the stored customer it duplicates (or None)
PROBES = [
    ("  sonne gmbh ", "12045", "", "sonne"),  # name and postcode, other case and spaces
    ("Sonne GmbH", "99999", "", None),  # same name elsewhere
    ("Ganz Anders AG", "", "INFO@sonne.example", "sonne"),  # customer e-mail in any case
    ("Noch Anders AG", "", "petra@mond.example", "mond"),  # a contact's e-mail counts
    ("Mond KG", "", "", "mond"),  # same name, both without postcode
    ("Stern GmbH", "12045", "", None),
]


@pytest.fixture
def stored():
    sonne = factories.company("Sonne GmbH", postcode="12045", email="info@sonne.example")
    mond = factories.company("Mond KG")
    Contact.objects.create(customer=mond, last_name="Mond", first_name="Petra", email="Petra@Mond.example")
    factories.private("Sonne", "Petra", postcode="12045")  # a person: never a duplicate of a company by name
    return {"sonne": sonne, "mond": mond}


def test_intake_and_import_agree_on_what_a_duplicate_is(stored):
    expected = {row: stored[who].pk if who else None for row, (*_rest, who) in enumerate(PROBES, start=2)}
    by_intake = {}
    for row, (name, postcode, email, _who) in enumerate(PROBES, start=2):
        found = customer_possible_duplicates(Customer(kind="company", name=name, postcode=postcode, email=email))
        by_intake[row] = found[0]["id"] if found else None
    data = "Name *;PLZ;E-Mail\n" + "".join(f"{n};{p};{e}\n" for n, p, e, _who in PROBES)
    result = run_bytes("company_customers", data.encode())
    names = {c.pk: c.display_name for c in Customer.objects.all()}
    by_import = {row: None for row in expected}
    for problem in result.errors:
        assert problem.code == "duplicate", problem
        by_import[problem.row] = next(pk for pk, name in names.items() if f"{name}“" in problem.message)
    assert by_intake == expected
    assert by_import == expected


def test_a_private_person_matches_by_last_and_first_name_and_postcode():
    person = factories.private("Schulz", "Petra", postcode="28195")
    factories.private("Schulz", "Peter", postcode="28195")
    same, other = customer_duplicates([
        Customer(kind="private", last_name="schulz", first_name=" PETRA", postcode="28195"),
        Customer(kind="private", last_name="Schulz", first_name="Petra", postcode="28197"),
    ])
    assert same == [(person, "name_postcode")] and other == []


def test_a_whole_batch_costs_two_queries_and_never_matches_itself(django_assert_num_queries):
    sonne = factories.company("Sonne GmbH", postcode="12045", email="info@sonne.example")
    batch = [Customer(kind="company", name=f"Firma {i}", postcode="12045", email=f"f{i}@example.com") for i in range(500)]
    batch.append(Customer(kind="company", name="Sonne GmbH", postcode="12045"))
    assert customer_duplicates([sonne]) == [[]]  # (MariaDB: the columns' collation is read once per process)
    with django_assert_num_queries(2):  # the candidates' values, the customers that match
        found = customer_duplicates(batch)
    assert found[:-1] == [[]] * 500 and found[-1] == [(sonne, "name_postcode")]
    with django_assert_num_queries(1):  # nothing matches: nothing to load
        assert customer_duplicates(batch[:500]) == [[]] * 500


def test_stored_values_compare_without_case_and_outer_spaces_and_nothing_else():
    """The stored side as the database reads it (``LOWER(TRIM(…))``), whatever index finds it first."""
    spaced = factories.company("Sonne GmbH", postcode="12045")
    Customer.objects.filter(pk=spaced.pk).update(name="  SONNE gmbh  ", postcode=" 12045", email="  Info@Sonne.Example ")
    umlaut = factories.company("Müller GmbH", postcode="40213")
    person = factories.private("Schulz", "Petra", postcode="28195")
    Customer.objects.filter(pk=person.pk).update(last_name=" SCHULZ", first_name="Petra  ")
    other = factories.company("Mond KG")
    Contact.objects.create(customer=other, last_name="Mond", first_name="Petra", email="x@y.example")
    Contact.objects.filter(customer=other).update(email="  PETRA@Mond.example")
    found = customer_duplicates([
        Customer(kind="company", name="sonne gmbh", postcode="12045"),
        Customer(kind="company", name="Andere AG", email="info@sonne.example"),
        Customer(kind="company", name="Muller GmbH", postcode="40213"),  # an accent is not a case
        Customer(kind="company", name="Müller GmbH ", postcode="40213"),
        Customer(kind="private", last_name="schulz", first_name="petra", postcode="28195"),
        Customer(kind="company", name="Schulz", postcode="28195"),  # a company never matches a person by name
        Customer(kind="private", last_name="Neu", first_name="Nina", email="petra@mond.example"),
    ])
    assert found == [
        [(spaced, "name_postcode")],
        [(spaced, "email")],
        [],
        [(umlaut, "name_postcode")],
        [(person, "name_postcode")],
        [],
        [(other, "email")],
    ]

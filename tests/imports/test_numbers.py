"""Numbers for a whole batch under the counter lock (services.numbers.number_assign_many)."""

import pytest
from django.core.exceptions import ValidationError

from fortycrm.models import NumberSequence
from fortycrm.services import numbers
from tests import factories

pytestmark = pytest.mark.django_db


def test_allocate_many_skips_taken_numbers_and_moves_the_counter():
    factories.company("A GmbH", status="Kunde", number=10001)
    factories.company("B GmbH", status="Kunde", number=10003)
    NumberSequence.objects.filter(key="customer").update(last_value=0)
    assert numbers.number_assign_many(numbers.CUSTOMER, [None] * 4) == [10000, 10002, 10004, 10005]
    assert NumberSequence.objects.get(key="customer").last_value == 10005
    assert numbers.number_allocate(numbers.CUSTOMER) == 10006


def test_assign_many_keeps_file_order_like_one_by_one():
    assert numbers.number_assign_many(numbers.CUSTOMER, [None, 20000, None, None]) == [10000, 20000, 20001, 20002]
    assert numbers.number_assign_many(numbers.CUSTOMER, [None, 20004]) == [20003, 20004]
    # a chosen number later in the batch is not handed out to an earlier row
    assert numbers.number_assign_many(numbers.CUSTOMER, [None, 20005]) == [20006, 20005]
    assert NumberSequence.objects.get(key="customer").last_value == 20006
    assert numbers.number_assign_many(numbers.CUSTOMER, []) == []


# --- one walk for any run of taken numbers; the cap (issue 17 item 3, issue 8 item 9) ---------

HUGE = 9223372036854775807


def _taken_run(first: int, count: int) -> None:
    from fortycrm.models import Customer, CustomerStatus

    kunde = CustomerStatus.objects.get(name="Kunde")
    Customer.objects.bulk_create(Customer(kind="company", name=f"Run {n}", status=kunde, number=n) for n in range(first, first + count))


def test_more_than_a_thousand_taken_numbers_above_the_counter_single():
    _taken_run(10000, 1500)
    assert numbers.number_suggest(numbers.CUSTOMER) == 11500
    assert numbers.number_allocate(numbers.CUSTOMER) == 11500
    assert NumberSequence.objects.get(key="customer").last_value == 11500


def test_more_than_a_thousand_taken_numbers_above_the_counter_batch():
    _taken_run(10000, 1500)
    _taken_run(11501, 1200)
    assert numbers.number_assign_many(numbers.CUSTOMER, [None, None, 12800, None]) == [11500, 12701, 12800, 12801]


@pytest.fixture
def write_api_client(db):
    from tests.api.conftest import client_for, make_key

    return client_for(make_key("write"))


def test_numbers_above_the_cap_are_refused_by_the_services(write_api_client):
    from fortycrm.services.customers import customer_create

    with pytest.raises(ValidationError, match="999"):
        customer_create(kind="company", name="Tippfehler GmbH", status="Kunde", number=HUGE)
    with pytest.raises(ValidationError, match="999"):
        numbers.customer_number_claim(numbers.MAX_NUMBER + 1)
    assert customer_create(kind="company", name="Grenze GmbH", status="Kunde", number=numbers.MAX_NUMBER).number == numbers.MAX_NUMBER
    response = write_api_client.post("/api/v1/customers/", {"name": "API GmbH", "status": "Kunde", "number": HUGE}, format="json")
    assert response.status_code == 400 and "number" in response.json(), response.content
    # after all of that, automatic numbering still works (the cap itself is taken: none is left above it)
    assert customer_create(kind="company", name="Danach GmbH", status="Kunde").number == 10000


def test_an_import_row_above_the_cap_is_a_row_error(base_data):
    from tests.imports.conftest import run_bytes

    result = run_bytes("company_customers", f"Kundennummer;Status;Name *\n{HUGE};Kunde;Zu Groß GmbH\n1000000000;Kunde;Auch GmbH\n".encode())
    assert [(p.row, p.column) for p in result.errors] == [(2, "Kundennummer"), (3, "Kundennummer")]
    assert "999.999.999" in result.errors[0].message or "999,999,999" in result.errors[0].message


def test_allocation_recovers_when_the_counter_is_above_the_cap():
    """A huge number stored before the cap existed no longer breaks numbering for good."""
    from fortycrm.models import Customer, CustomerStatus
    from fortycrm.services.customers import customer_create

    kunde = CustomerStatus.objects.get(name="Kunde")
    Customer.objects.create(kind="company", name="Alt GmbH", status=kunde, number=HUGE)
    Customer.objects.create(kind="company", name="Normal GmbH", status=kunde, number=10041)
    NumberSequence.objects.update_or_create(key="customer", defaults={"last_value": HUGE})
    assert numbers.number_suggest(numbers.CUSTOMER) == 10042
    assert customer_create(kind="company", name="Neu GmbH", status="Kunde").number == 10042
    assert NumberSequence.objects.get(key="customer").last_value == 10042
    assert numbers.number_assign_many(numbers.CUSTOMER, [None, None]) == [10043, 10044]


def test_invoice_numbers_are_capped_too():
    import datetime as dt

    from fortycrm.models import Invoice
    from fortycrm.services import billing

    customer = factories.company("Rechnung GmbH", status="Kunde")
    with pytest.raises(ValidationError, match="999"):
        billing.invoice_create(invoice=Invoice(customer=customer, date=dt.date.today(), number=HUGE))
    NumberSequence.objects.update_or_create(key="invoice", defaults={"last_value": HUGE})
    invoice = billing.invoice_create(
        invoice=Invoice(customer=customer, date=dt.date.today()), lines=[{"description": "x", "unit_price": 1}]
    )
    invoice = billing.invoice_issue(invoice=invoice)  # the number is handed out when issuing
    assert invoice.number <= numbers.MAX_NUMBER

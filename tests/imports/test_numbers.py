"""Numbers for a whole batch under the counter lock (services.numbers.number_assign_many)."""

import pytest

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

import pytest

from tests import factories


@pytest.mark.django_db
def test_new_customer_gets_default_status():
    customer = factories.company()
    assert customer.status.name == "Interessent"
    assert customer.number is None

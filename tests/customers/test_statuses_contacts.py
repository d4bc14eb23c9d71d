"""Status rules (R-STA-2..4), contacts (R-CON-1..4)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from fortycrm.models import Contact, CustomerStatus
from fortycrm.selectors import upcoming_birthdays
from fortycrm.services import statuses as services
from fortycrm.services.contacts import contact_save
from tests import factories

pytestmark = pytest.mark.django_db


def test_status_in_use_cannot_be_deleted():
    factories.company(status="Kunde")
    kunde = CustomerStatus.objects.get(name="Kunde")
    with pytest.raises(ValidationError) as err:
        services.status_delete(status=kunde)
    assert "Kunde" in err.value.messages[0] and "1" in err.value.messages[0]
    assert CustomerStatus.objects.filter(name="Kunde").exists()


def test_unused_status_can_be_deleted():
    status = services.status_save(status=CustomerStatus(name="Stammkunde", color="#123456", with_number=True))
    services.status_delete(status=status)
    assert not CustomerStatus.objects.filter(name="Stammkunde").exists()


def test_last_default_status_without_number_cannot_be_removed():
    default = CustomerStatus.objects.get(name="Interessent")
    with pytest.raises(ValidationError) as err:
        services.status_delete(status=default)
    assert "Interessent" in err.value.messages[0]
    default.is_default = False
    with pytest.raises(ValidationError) as err:
        services.status_save(status=default)
    assert "is_default" in err.value.message_dict
    assert CustomerStatus.objects.get(name="Interessent").is_default


def test_default_status_cannot_carry_number():
    default = CustomerStatus.objects.get(name="Interessent")
    default.with_number = True
    with pytest.raises(ValidationError):
        services.status_save(status=default)


def test_marking_another_default_moves_the_flag():
    lead = services.status_save(status=CustomerStatus(name="Anfrage", with_number=False, is_default=True))
    assert list(CustomerStatus.objects.filter(is_default=True)) == [lead]
    assert factories.company().status == lead
    # the former default can now be deleted
    services.status_delete(status=CustomerStatus.objects.get(name="Interessent"))


def test_with_number_flag_cannot_flip_while_customers_would_break():
    factories.company()
    prospect = CustomerStatus.objects.get(name="Interessent")
    factories.company(name="B", status="Kunde")
    kunde = CustomerStatus.objects.get(name="Kunde")
    kunde.with_number = False
    kunde.is_conversion_target = False
    with pytest.raises(ValidationError) as err:
        services.status_save(status=kunde)
    assert "with_number" in err.value.message_dict
    assert prospect.is_default


def test_birthday_only_for_private_customers():
    company = factories.company(name="Firma GmbH")
    with pytest.raises(ValidationError) as err:
        contact_save(contact=Contact(customer=company, last_name="Meier", birthday=dt.date(1980, 5, 1)))
    assert "Firma GmbH" in " ".join(err.value.message_dict["birthday"])
    assert Contact.objects.count() == 0
    person = factories.private()
    contact_save(contact=Contact(customer=person, last_name="Schmidt", birthday=dt.date(1940, 5, 1)))
    assert Contact.objects.count() == 1


def test_contacts_ordered_by_priority():
    customer = factories.company()
    for name, prio in (("C", 3), ("A", 1), ("B", 2)):
        contact_save(contact=Contact(customer=customer, last_name=name, priority=prio))
    assert list(customer.contacts.values_list("last_name", flat=True)) == ["A", "B", "C"]
    with pytest.raises(ValidationError):
        contact_save(contact=Contact(customer=customer, last_name="Zero", priority=0))


def test_upcoming_birthdays_with_29_february():
    person = factories.private()
    contact_save(contact=Contact(customer=person, first_name="Leap", last_name="Day", birthday=dt.date(1960, 2, 29)))
    contact_save(contact=Contact(customer=person, first_name="Far", last_name="Away", birthday=dt.date(1970, 6, 1)))
    rows = upcoming_birthdays(today=dt.date(2027, 2, 20))
    assert [(r["contact"].last_name, r["date"], r["in_days"]) for r in rows] == [("Day", dt.date(2027, 2, 28), 8)]
    rows = upcoming_birthdays(today=dt.date(2028, 2, 20))
    assert [(r["date"], r["age"]) for r in rows] == [(dt.date(2028, 2, 29), 68)]
    assert upcoming_birthdays(today=dt.date(2027, 3, 1)) == []

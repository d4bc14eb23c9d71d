"""Customers, numbers and statuses through the services (R-CUS, R-NUM, R-STA)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction

from fortycrm.models import Contact, Customer, CustomerStatus, SiteSettings, Tag
from fortycrm.services import customers as services
from fortycrm.services.numbers import number_suggest
from tests import factories

pytestmark = pytest.mark.django_db


def test_default_statuses_are_shipped():
    rows = list(CustomerStatus.objects.order_by("position").values_list("name", "with_number", "is_default", "is_conversion_target"))
    assert rows == [
        ("Interessent", False, True, False),
        ("Kunde", True, False, True),
        ("ehemaliger Kunde", True, False, False),
    ]


def test_new_customer_is_prospect_without_number():
    customer = factories.company()
    assert customer.status.name == "Interessent"
    assert customer.number is None


def test_company_and_private_display_names():
    company = factories.company(name="Hausmeisterservice Krause GmbH & Co. KG", short_name="Krause")
    person = factories.private(first_name="Anna", last_name="Berg", title="Dr.", salutation="ms")
    plain = factories.company(name="Blitzblank GmbH")
    assert company.display_name == "Krause"
    assert plain.display_name == "Blitzblank GmbH"
    assert person.display_name == "Dr. Anna Berg"


def test_company_needs_name_and_private_needs_last_name():
    with pytest.raises(ValidationError) as err:
        services.customer_create(kind="company", name="")
    assert "name" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        services.customer_create(kind="private", first_name="Erika", last_name="")
    assert "last_name" in err.value.message_dict
    assert Customer.objects.count() == 0


def test_numbered_status_gets_next_number_from_start_value():
    first = factories.company(status="Kunde")
    second = factories.company(name="Zweite GmbH", status="Kunde")
    assert (first.number, second.number) == (10000, 10001)
    assert number_suggest() == 10002


def test_start_value_is_a_setting():
    site = SiteSettings.load()
    site.customer_number_start = 500
    site.save()
    assert number_suggest() == 500
    assert factories.company(status="Kunde").number == 500


def test_free_number_then_next_counts_on_from_it():
    factories.company(status="Kunde", number=20000)
    assert number_suggest() == 20001
    assert factories.company(name="B GmbH", status="Kunde").number == 20001


def test_suggested_number_kept_means_next_free():
    """Two forms showed 10000; both keep the suggestion and both save (R-NUM-4)."""
    a = factories.company(status="Kunde", number=10000, suggested_number=10000)
    b = factories.company(name="B GmbH", status="Kunde", number=10000, suggested_number=10000)
    assert {a.number, b.number} == {10000, 10001}


def test_duplicate_number_names_the_holder_and_saves_nothing():
    factories.company(name="Erste Reinigung GmbH", status="Kunde", number=10050)
    with pytest.raises(ValidationError) as err:
        factories.company(name="Zweite GmbH", status="Kunde", number=10050)
    message = " ".join(err.value.message_dict["number"])
    assert "10050" in message and "Erste Reinigung GmbH" in message
    assert Customer.objects.count() == 1


def test_database_constraint_is_the_backstop():
    factories.company(status="Kunde", number=10000)
    other = factories.company(name="Other GmbH")
    with pytest.raises(IntegrityError), transaction.atomic():
        Customer.objects.filter(pk=other.pk).update(number=10000)


def test_number_without_numbered_status_is_refused():
    with pytest.raises(ValidationError) as err:
        factories.company(number=12345)
    assert "number" in err.value.message_dict
    assert Customer.objects.count() == 0


def test_numbered_customer_only_gets_statuses_with_number():
    customer = factories.company(status="Kunde")
    with pytest.raises(ValidationError) as err:
        services.customer_update(customer=customer, status="Interessent")
    assert "10000" in " ".join(err.value.message_dict["status"])
    services.customer_update(customer=customer, status="ehemaliger Kunde")
    customer.refresh_from_db()
    assert customer.status.name == "ehemaliger Kunde" and customer.number == 10000


def test_switching_prospect_to_kunde_assigns_number():
    customer = factories.private()
    services.customer_update(customer=customer, status="Kunde")
    customer.refresh_from_db()
    assert customer.number == 10000


def test_only_support_may_change_a_saved_number(office_user, support_user):
    customer = factories.company(status="Kunde")
    with pytest.raises(PermissionDenied):
        services.customer_update(customer=customer, number=777, actor=office_user)
    customer.refresh_from_db()
    assert customer.number == 10000
    services.customer_update(customer=customer, number=777, actor=support_user)
    customer.refresh_from_db()
    assert customer.number == 777


def test_unknown_status_name_lists_known_ones():
    with pytest.raises(ValidationError) as err:
        factories.company(status="Stammkunde")
    message = " ".join(err.value.message_dict["status"])
    assert "Stammkunde" in message and "Interessent" in message


def test_account_manager_must_be_in_a_group(django_user_model, office_user):
    loner = django_user_model.objects.create_user("loner", password="x")
    with pytest.raises(ValidationError) as err:
        factories.company(account_manager=loner)
    assert "account_manager" in err.value.message_dict
    customer = factories.company(account_manager=office_user)
    assert customer.account_manager == office_user


def test_end_date_before_start_date_is_refused():
    with pytest.raises(ValidationError) as err:
        factories.company(start_date=dt.date(2026, 5, 1), end_date=dt.date(2026, 4, 1))
    assert "end_date" in err.value.message_dict


def test_logo_gets_a_thumbnail():
    logo = SimpleUploadedFile("logo.png", factories.png_bytes((800, 400)), content_type="image/png")
    customer = factories.company(logo=logo)
    customer.refresh_from_db()
    assert customer.logo.name.startswith("logos/")
    from PIL import Image

    with Image.open(customer.logo_thumbnail.path) as thumb:
        assert max(thumb.size) <= 96


def test_logo_that_is_not_an_image_is_refused():
    fake = SimpleUploadedFile("logo.png", b"%PDF-1.4 not an image", content_type="image/png")
    with pytest.raises(ValidationError) as err:
        factories.company(logo=fake)
    assert "logo" in err.value.message_dict
    assert Customer.objects.count() == 0


def test_huge_logo_is_refused():
    huge = SimpleUploadedFile("big.png", factories.png_bytes() + b"\0" * (6 * 1024 * 1024), content_type="image/png")
    with pytest.raises(ValidationError) as err:
        factories.company(logo=huge)
    assert "MB" in " ".join(err.value.message_dict["logo"])
    assert Customer.objects.count() == 0


def test_tags_are_created_on_the_fly_case_insensitively():
    a = factories.company(tags=["Winterdienst", "weihnachtskarte"])
    b = factories.company(name="B GmbH", tags=["winterdienst", "Neu"])
    assert Tag.objects.count() == 3
    assert set(a.tags.values_list("name", flat=True)) == {"Winterdienst", "weihnachtskarte"}
    assert set(b.tags.values_list("name", flat=True)) == {"Winterdienst", "Neu"}


def test_tag_name_clash_is_refused_with_message():
    Tag.objects.create(name="Winterdienst")
    tag = Tag(name="WINTERDIENST")
    with pytest.raises(ValidationError) as err:
        tag.full_clean()
    assert "Winterdienst" in " ".join(err.value.message_dict["name"])


def test_tag_merge_moves_customers():
    from fortycrm.services.tags import tag_merge

    a = factories.company(tags=["Winter"])
    b = factories.company(name="B GmbH", tags=["Winterdienst"])
    target = Tag.objects.get(name="Winterdienst")
    tag_merge(target=target, sources=[Tag.objects.get(name="Winter")])
    assert list(Tag.objects.values_list("name", flat=True)) == ["Winterdienst"]
    assert set(target.customers.all()) == {a, b}


def test_delete_customer_removes_everything_with_it():
    from fortycrm.services.contacts import contact_save

    customer = factories.private()
    contact_save(contact=Contact(customer=customer, last_name="Tochter"))
    assert Contact.objects.filter(customer=customer).count() == 1
    services.customer_delete(customer=customer)
    assert Customer.objects.count() == 0 and Contact.objects.count() == 0


def test_changes_are_recorded_with_old_and_new_value(office_user):
    from fortycrm.selectors import history_of

    customer = factories.company(name="Alt GmbH")
    customer._history_user = office_user
    services.customer_update(customer=customer, name="Neu GmbH", city="Köln")
    rows = history_of(customer)
    assert len(rows) == 2
    change = str(rows[0]["what"])
    assert "Alt GmbH → Neu GmbH" in change and "Köln" in change
    assert rows[0]["who"] == "Olga Office"  # the full name, not the login

"""The staff screen ("Mitarbeitende"), issue 12 item 3: roles decide desk access, names not logins."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from fortycrm.setup import ROLE_ADMIN, ROLE_OFFICE, ROLE_SUPPORT
from tests import factories
from tests.locations.conftest import form_data

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """The hash speed plays no part here: a fast hasher keeps these tests quick."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

ADD = "admin:fortycrm_staffmember_add"


@pytest.fixture
def chefin(client, django_user_model):
    """An Administration user (no superuser): the office manager who keeps the staff list."""
    user = django_user_model.objects.create_user("chefin", "chefin@example.com", "pw-chefin-123", first_name="Clara", last_name="Chefin")
    user.groups.add(Group.objects.get(name=ROLE_ADMIN))
    client.force_login(user)
    client.user = user
    return client


def staff_post(client, **fields):
    data = form_data(client.get(reverse(ADD)))
    data.update(fields)
    return client.post(reverse(ADD), data)


def test_staff_created_with_password_and_role_buero_signs_in_and_works(chefin, client, django_user_model):
    page = chefin.get(reverse(ADD)).content.decode()
    assert "Mitarbeitende" in page or "Mitarbeiter" in page
    assert "is_staff" not in page and "user_permissions" not in page  # no "staff status", no raw permissions
    office = Group.objects.get(name=ROLE_OFFICE)
    response = staff_post(
        chefin, first_name="Mara", last_name="Meier", email="mara@example.com", username="m.meier", roles=[str(office.pk)],
        is_active="on", password_mode="set", password1="Kehrwoche-2026", password2="Kehrwoche-2026",
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    mara = django_user_model.objects.get(username="m.meier")
    assert mara.is_staff and list(mara.groups.values_list("name", flat=True)) == [ROLE_OFFICE] and mara.get_full_name() == "Mara Meier"
    client.logout()
    login = client.post(reverse("admin:login"), {"username": "m.meier", "password": "Kehrwoche-2026", "next": "/desk/"})
    assert login.status_code == 302 and login.url == "/desk/"
    assert client.get(reverse("admin:fortycrm_customer_changelist")).status_code == 200
    assert client.get(reverse("admin:fortycrm_staffmember_changelist")).status_code == 403  # staff is Administration's


def test_staff_rules_are_said_per_field(chefin, django_user_model):
    django_user_model.objects.create_user("m.meier")
    response = staff_post(
        chefin, first_name="", last_name="Meier", username="M.Meier", is_active="on", password_mode="set", password1="kurz", password2="anders",
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert set(errors) == {"first_name", "username", "roles", "password2"}
    assert "bereits vergeben" in " ".join(errors["username"]) and "Rolle" in " ".join(errors["roles"])
    response = staff_post(chefin, first_name="A", last_name="B", username="ab", roles=[str(Group.objects.get(name=ROLE_OFFICE).pk)],
                          is_active="on", password_mode="set", password1="123", password2="123")
    assert "password1" in response.context["adminform"].form.errors  # Django's password rules
    assert django_user_model.objects.count() == 2


def test_invitation_link_sets_password_and_signs_in_once(chefin, client, django_user_model):
    support = Group.objects.get(name=ROLE_SUPPORT)
    response = staff_post(chefin, first_name="Ina", last_name="Neu", username="ina", roles=[str(support.pk)], is_active="on", password_mode="invite")
    assert response.status_code == 302
    ina = django_user_model.objects.get(username="ina")
    assert not ina.has_usable_password()
    page = chefin.get(reverse("admin:fortycrm_staffmember_change", args=[ina.pk])).content.decode()
    from fortycrm.services.staff import invitation_path

    link = invitation_path(ina)
    assert link in page
    client.logout()
    form = client.get(link, follow=True)
    assert form.status_code == 200 and "new_password1" in form.content.decode()
    done = client.post(form.redirect_chain[-1][0], {"new_password1": "Fensterputz-77", "new_password2": "Fensterputz-77"})
    assert done.status_code == 302 and done.url == "/desk/"
    assert client.get("/desk/").status_code == 200  # signed in at once
    ina.refresh_from_db()
    assert ina.check_password("Fensterputz-77")
    client.logout()
    again = client.get(link, follow=True).content.decode()
    assert "nicht mehr gültig" in again


def test_superuser_account_is_view_only_for_administration(chefin, django_user_model):
    root = django_user_model.objects.create_superuser("root", "root@example.com", "pw-root-12345")
    url = reverse("admin:fortycrm_staffmember_change", args=[root.pk])
    assert 'name="first_name"' not in chefin.get(url).content.decode()
    assert chefin.post(url, {"first_name": "X", "last_name": "Y", "username": "root", "password_mode": "keep"}).status_code == 403


def test_last_administrator_keeps_the_role(chefin):
    me = chefin.user
    url = reverse("admin:fortycrm_staffmember_change", args=[me.pk])
    data = form_data(chefin.get(url))
    data["roles"] = [str(Group.objects.get(name=ROLE_OFFICE).pk)]
    response = chefin.post(url, data)
    assert response.status_code == 200 and "letzte aktive Person mit der Rolle Administration" in response.content.decode()
    assert me.groups.filter(name=ROLE_ADMIN).exists()


def test_pickers_and_lists_show_full_names_not_logins(chefin, django_user_model):
    from fortycrm.services.customers import customer_update

    olga = django_user_model.objects.create_user("olga42", first_name="Olga", last_name="Office")
    olga.groups.add(Group.objects.get(name=ROLE_OFFICE))
    customer = factories.company("Namen GmbH")
    customer_update(customer=customer, account_manager=olga, actor=chefin.user)
    page = chefin.get(reverse("admin:fortycrm_customer_change", args=[customer.pk])).content.decode()
    assert "Olga Office" in page and ">olga42<" not in page  # the Kundenbetreuer picker
    listing = chefin.get(reverse("admin:fortycrm_customer_changelist")).content.decode()
    assert "Olga Office" in listing
    staff = chefin.get(reverse("admin:fortycrm_staffmember_changelist")).content.decode()
    assert "Olga Office" in staff and "Clara Chefin" in staff
    import datetime as dt
    from decimal import Decimal

    from fortycrm.models import Location, Meter, MeterReading
    from fortycrm.services.locations import location_save
    from fortycrm.services.meters import meter_save, reading_record

    meter = meter_save(meter=Meter(location=location_save(location=Location(customer=customer, name="Haus A")), kind="gas", number="G-1"))
    reading_record(reading=MeterReading(meter=meter, read_at=dt.datetime(2026, 1, 5, 9, tzinfo=dt.UTC), value=Decimal("5")), user=olga)
    readings = chefin.get(reverse("admin:fortycrm_meterreading_changelist")).content.decode()
    assert "Olga Office" in readings and "olga42" not in readings

"""Desk access follows the roles: an active user in a group, or a superuser; nobody else (issue 8, item 3)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from fortycrm.setup import ROLE_ADMIN, ROLE_OFFICE, ROLE_SUPPORT
from tests import factories

pytestmark = pytest.mark.django_db

LOGIN = reverse("admin:login")
INDEX = reverse("admin:index")
NO_ROLE = "Ihr Konto hat noch keine Rolle im Desk"
WRONG = "Bitte geben Sie Ihren Benutzernamen und Ihr Passwort korrekt ein."


def _sign_in(client, username, password):
    return client.post(f"{LOGIN}?next={INDEX}", {"username": username, "password": password, "next": INDEX})


@pytest.mark.parametrize("role", [ROLE_OFFICE, ROLE_SUPPORT, ROLE_ADMIN])
def test_user_in_a_role_signs_in_without_staff_status(client, django_user_model, role):
    user = django_user_model.objects.create_user("neu", password="pw-neu-12345")
    assert not user.is_staff
    user.groups.add(Group.objects.get(name=role))
    response = _sign_in(client, "neu", "pw-neu-12345")
    assert response.status_code == 302 and response["Location"] == INDEX
    assert client.get(INDEX).status_code == 200
    assert client.get(reverse("admin:fortycrm_customer_changelist")).status_code == 200


def test_staff_user_without_role_gets_no_start_page_and_no_data(client, django_user_model):
    factories.company("Geheim GmbH")
    staff = django_user_model.objects.create_user("staff", password="pw-staff-12345", is_staff=True)
    client.force_login(staff)
    for url in (INDEX, reverse("admin:fortycrm_customer_changelist"), reverse("admin:fortycrm_contact_changelist")):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(LOGIN), url
    client.logout()
    response = _sign_in(client, "staff", "pw-staff-12345")
    assert response.status_code == 200
    page = response.content.decode()
    assert NO_ROLE in page and "Geheim GmbH" not in page
    assert client.get(INDEX).status_code == 302


def test_inactive_user_in_a_role_is_refused(client, django_user_model):
    user = django_user_model.objects.create_user("alt", password="pw-alt-12345", is_active=False)
    user.groups.add(Group.objects.get(name=ROLE_OFFICE))
    response = _sign_in(client, "alt", "pw-alt-12345")
    assert response.status_code == 200 and WRONG in response.content.decode()
    client.force_login(user)
    assert client.get(INDEX).status_code == 302


def test_wrong_password_message_is_german_and_clear(client, office_user):
    response = _sign_in(client, "office", "falsch")
    page = response.content.decode()
    assert response.status_code == 200 and WRONG in page and "Mitarbeiter" not in page


def test_superuser_without_group_may_use_the_desk(client, admin_user):
    client.force_login(admin_user)
    assert not admin_user.groups.exists()
    assert client.get(INDEX).status_code == 200


def test_staff_status_follows_the_roles(django_user_model):
    user = django_user_model.objects.create_user("wechsel", password="pw-wechsel-123")
    office = Group.objects.get(name=ROLE_OFFICE)
    user.groups.add(office)
    user.refresh_from_db()
    assert user.is_staff
    user.groups.remove(office)
    user.refresh_from_db()
    assert not user.is_staff
    office.user_set.add(user)  # from the group's side
    user.refresh_from_db()
    assert user.is_staff
    office.user_set.clear()
    user.refresh_from_db()
    assert not user.is_staff
    extra = Group.objects.create(name="Aushilfe")
    extra.user_set.add(user)
    extra.delete()
    user.refresh_from_db()
    assert not user.is_staff


def test_creating_a_user_in_the_desk_needs_no_staff_status(client, admin_user):
    client.force_login(admin_user)
    add_page = client.get(reverse("admin:auth_user_add")).content.decode()
    assert 'name="is_staff"' not in add_page
    response = client.post(
        reverse("admin:auth_user_add"),
        {"username": "bea", "usable_password": "true", "password1": "Pw-bea-2026-x!", "password2": "Pw-bea-2026-x!"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    from django.contrib.auth.models import User

    bea = User.objects.get(username="bea")
    change_url = reverse("admin:auth_user_change", args=[bea.pk])
    change_page = client.get(change_url).content.decode()
    assert 'name="is_staff"' not in change_page and 'name="groups"' in change_page
    data = {
        "username": "bea", "first_name": "Bea", "last_name": "Büro", "email": "bea@example.com", "is_active": "on",
        "groups": [Group.objects.get(name=ROLE_OFFICE).pk], "last_login_0": "", "last_login_1": "",
        "date_joined_0": "27.11.2026", "date_joined_1": "10:00:00",
    }
    response = client.post(change_url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    bea.refresh_from_db()
    assert bea.is_staff and bea.groups.filter(name=ROLE_OFFICE).exists()
    client.logout()
    assert _sign_in(client, "bea", "Pw-bea-2026-x!").status_code == 302
    assert client.get(INDEX).status_code == 200


def test_user_list_shows_roles_instead_of_staff_status(client, admin_user, office_user):
    client.force_login(admin_user)
    page = client.get(reverse("admin:auth_user_changelist")).content.decode()
    assert "Rollen" in page and ROLE_OFFICE in page

"""API keys in the desk are Administration's alone (issue 8, item 2)."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse
from rest_framework_api_key.models import APIKey as LibraryAPIKey

from fortycrm.models import ApiKey
from fortycrm.setup import ROLE_ADMIN, ROLE_OFFICE, ROLE_SUPPORT

pytestmark = pytest.mark.django_db

LIST = reverse("admin:fortycrm_apikey_changelist")


@pytest.fixture
def api_key():
    key = ApiKey(name="Website", scope="write")
    ApiKey.objects.assign_key(key)
    key.save()
    return key


def _revoke(client, key):
    return client.post(LIST, {"action": "revoke", "_selected_action": [key.pk]})


@pytest.mark.parametrize("role", [ROLE_OFFICE, ROLE_SUPPORT])
def test_office_roles_can_neither_list_create_nor_revoke_keys(client, role_user, api_key, role):
    client.force_login(role_user("buero", role))
    assert client.get(LIST).status_code == 403
    assert client.get(reverse("admin:fortycrm_apikey_add")).status_code == 403
    assert client.get(reverse("admin:fortycrm_apikey_change", args=[api_key.pk])).status_code == 403
    assert client.post(reverse("admin:fortycrm_apikey_add"), {"name": "Heimlich", "scope": "write"}).status_code == 403
    assert _revoke(client, api_key).status_code == 403
    api_key.refresh_from_db()
    assert not api_key.revoked and ApiKey.objects.count() == 1
    page = client.get(reverse("admin:index")).content.decode()
    assert LIST not in page  # not in the menu either


def test_revoke_action_needs_change_permission(client, role_user, api_key):
    from django.contrib.auth.models import Group, Permission

    viewers = Group.objects.create(name="Schlüssel ansehen")
    viewers.permissions.add(Permission.objects.get(content_type__app_label="fortycrm", codename="view_apikey"))
    client.force_login(role_user("leser", "Schlüssel ansehen"))
    page = client.get(LIST).content.decode()
    assert "Website" in page and 'value="revoke"' not in page
    _revoke(client, api_key)
    api_key.refresh_from_db()
    assert not api_key.revoked


def test_administration_lists_creates_and_revokes_keys(client, role_user, api_key):
    client.force_login(role_user("chefin", ROLE_ADMIN))
    page = client.get(LIST).content.decode()
    assert "Website" in page and api_key.prefix in page
    change = client.get(reverse("admin:fortycrm_apikey_change", args=[api_key.pk])).content.decode()
    # the library's primary key is "<prefix>.<hash>" (in URLs); the hash is never a field of the page
    assert api_key.prefix in change and 'name="hashed_key"' not in change
    response = client.post(reverse("admin:fortycrm_apikey_add"), {"name": "Shop", "scope": "read"})
    assert response.status_code == 302 and ApiKey.objects.filter(name="Shop").exists()
    assert _revoke(client, api_key).status_code == 302
    api_key.refresh_from_db()
    assert api_key.revoked


def test_the_librarys_own_api_key_admin_is_not_shown(client, admin_user):
    assert not admin.site.is_registered(LibraryAPIKey)
    client.force_login(admin_user)
    page = client.get(reverse("admin:index")).content.decode()
    assert "/desk/rest_framework_api_key/" not in page
    assert client.get("/desk/rest_framework_api_key/apikey/").status_code == 404

"""Reverting to an old version is changing: without change permission the form refuses a POST (issue 8, item 1)."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.db.models.fields.files import FieldFile
from django.forms.models import model_to_dict
from simple_history.admin import SimpleHistoryAdmin

from fortycrm.models import CustomerStatus
from fortycrm.setup import ROLE_OFFICE, ROLE_SUPPORT

pytestmark = pytest.mark.django_db


def _history_admins():
    found = [(model, model_admin) for model, model_admin in admin.site._registry.items() if isinstance(model_admin, SimpleHistoryAdmin)]
    assert {model._meta.model_name for model, _ in found} >= {"customer", "contact", "location", "meter", "meterreading", "customerstatus"}
    return found


def _revert_url(model, obj) -> str:
    version = obj.history.order_by("history_id").first()
    return f"/desk/{model._meta.app_label}/{model._meta.model_name}/{obj.pk}/history/{version.history_id}/"


def _post_data(obj) -> dict:
    return {k: v for k, v in model_to_dict(obj).items() if v is not None and not isinstance(v, list | tuple | FieldFile)}


@pytest.mark.parametrize("role", [ROLE_OFFICE, ROLE_SUPPORT])
def test_office_roles_cannot_revert_where_they_cannot_change(client, history_records, role_user, role):
    user = role_user(f"user-{role.lower()}", role)
    client.force_login(user)
    checked = []
    for model, _model_admin in _history_admins():
        obj = model._default_manager.order_by("pk").first()
        assert obj is not None, model
        may_change = user.has_perm(f"{model._meta.app_label}.change_{model._meta.model_name}")
        status = client.post(_revert_url(model, obj), _post_data(obj)).status_code
        if not may_change:
            assert status == 403, (model, status)
        else:
            assert status != 403, (model, status)
        checked.append((model._meta.model_name, may_change))
    assert ("customerstatus", False) in checked  # the case found in the attack


def test_office_user_cannot_rename_a_status_through_the_revert_form(client, role_user):
    user = role_user("buero", ROLE_OFFICE)
    status = CustomerStatus.objects.get(name="Kunde")
    status.name = "Kunde (neu)"
    status.save()
    client.force_login(user)
    data = {"name": "Gehackt", "color": "#000000", "position": 1, "with_number": "on", "is_conversion_target": "on"}
    assert client.post(_revert_url(CustomerStatus, status), data).status_code == 403
    status.refresh_from_db()
    assert status.name == "Kunde (neu)" and status.color != "#000000"


def test_view_only_user_is_refused_on_every_revert_form(client, history_records, role_user):
    """A role with view permission on everything: every model with history refuses the POST."""
    viewers = Group.objects.create(name="Nur lesen")
    viewers.permissions.add(*Permission.objects.filter(content_type__app_label="fortycrm", codename__startswith="view_"))
    client.force_login(role_user("leser", "Nur lesen"))
    refused = {}
    for model, _model_admin in _history_admins():
        obj = model._default_manager.order_by("pk").first()
        url = _revert_url(model, obj)
        assert client.get(url).status_code == 200  # looking at an old version is allowed
        refused[model._meta.model_name] = client.post(url, _post_data(obj)).status_code
    assert set(refused.values()) == {403}, refused


def test_admin_can_still_revert(client, admin_user):
    status = CustomerStatus.objects.get(name="Kunde")
    old_name = status.name
    status.name = "Kunde (neu)"
    status.save()
    client.force_login(admin_user)
    data = {"name": old_name, "color": status.color, "position": status.position, "with_number": "on", "is_conversion_target": "on"}
    response = client.post(_revert_url(CustomerStatus, status), data)
    assert response.status_code == 302
    status.refresh_from_db()
    assert status.name == old_name

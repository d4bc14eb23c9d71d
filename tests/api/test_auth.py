"""API keys: header, scopes, revocation, last use; the command and the desk admin for keys."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from fortycrm.models import ApiKey, Customer
from tests import factories
from tests.api.conftest import client_for, make_key

pytestmark = pytest.mark.django_db
URL = "/api/v1/customers/"


def test_without_credentials_401_with_www_authenticate(anon_api):
    response = anon_api.get(URL)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Api-Key"
    assert response.json()["detail"]


@pytest.mark.parametrize("header", ["Api-Key nonsense", "Api-Key abc.def", "Api-Key ", "Api-Key " + "x." + "y" * 300])
def test_unknown_or_malformed_key_is_401(header):
    client = client_for(None)
    client.credentials(HTTP_AUTHORIZATION=header)
    assert client.get(URL).status_code == 401


def test_revoked_and_expired_keys_are_refused(db):
    key = make_key("read")
    assert client_for(key).get(URL).status_code == 200
    ApiKey.objects.update(revoked=True)
    assert client_for(key).get(URL).status_code == 401
    obj, key2 = ApiKey.objects.create_key(name="old", scope="read", expiry_date=timezone.now() - dt.timedelta(days=1))
    response = client_for(key2).get(URL)
    assert response.status_code == 401 and "expired" in response.json()["detail"]


def test_read_scope_may_only_read(read_api):
    customer = factories.company("X GmbH")
    assert read_api.get(f"{URL}{customer.pk}/").status_code == 200
    response = read_api.post(URL, {"name": "Neu GmbH"}, format="json")
    assert response.status_code == 403 and "write" in response.json()["detail"]
    assert read_api.patch(f"{URL}{customer.pk}/", {"city": "Bonn"}, format="json").status_code == 403
    assert read_api.delete(f"{URL}{customer.pk}/").status_code == 403
    assert read_api.post("/api/v1/intake/", {"company_name": "A", "last_name": "B"}, format="json").status_code == 403
    assert Customer.objects.count() == 1


def test_intake_scope_may_only_use_the_intake(intake_api):
    customer = factories.company("X GmbH")
    for response in (intake_api.get(URL), intake_api.get(f"{URL}{customer.pk}/"), intake_api.get("/api/v1/tags/"),
                     intake_api.post(URL, {"name": "Y GmbH"}, format="json")):
        assert response.status_code == 403
        assert "intake" in response.json()["detail"]
    assert intake_api.post("/api/v1/intake/", {"company_name": "Y GmbH", "last_name": "Meier"}, format="json").status_code == 201


def test_write_scope_may_do_everything(write_api):
    assert write_api.post(URL, {"name": "Y GmbH"}, format="json").status_code == 201
    assert write_api.post("/api/v1/intake/", {"company_name": "Z GmbH", "last_name": "Meier"}, format="json").status_code == 201


def test_last_used_is_recorded_at_most_once_a_minute(db):
    key = make_key("read")
    api_key = ApiKey.objects.get()
    assert api_key.last_used_at is None
    client = client_for(key)
    client.get(URL)
    first = ApiKey.objects.get().last_used_at
    assert first is not None
    client.get(URL)
    assert ApiKey.objects.get().last_used_at == first
    ApiKey.objects.update(last_used_at=timezone.now() - dt.timedelta(minutes=2))
    client.get(URL)
    assert ApiKey.objects.get().last_used_at > first


def test_anonymous_session_is_401_and_staff_session_works(client, office_user):
    assert client.get(URL).status_code == 401
    client.force_login(office_user)
    assert client.get(URL).status_code == 200


def test_create_api_key_command_prints_key_on_last_line(db):
    out, err = io.StringIO(), io.StringIO()
    call_command("create_api_key", "Website", "--scope", "intake", stdout=out, stderr=err)
    key = out.getvalue().strip().splitlines()[-1]
    api_key = ApiKey.objects.get(name="Website")
    assert api_key.scope == "intake"
    assert key not in api_key.hashed_key and api_key.hashed_key.startswith("sha512$$")
    assert "nicht noch einmal angezeigt" in err.getvalue()  # commands speak the desk's German
    assert client_for(key).post("/api/v1/intake/", {"company_name": "A GmbH", "last_name": "B"}, format="json").status_code == 201


def test_create_api_key_command_refuses_bad_input(db):
    with pytest.raises(CommandError):
        call_command("create_api_key", "Website", "--scope", "admin")
    with pytest.raises(CommandError, match="höchstens 50 Zeichen"):
        call_command("create_api_key", "x" * 60)
    assert not ApiKey.objects.exists()


def test_desk_creates_key_shows_it_once_and_revokes(client, django_user_model):
    admin = django_user_model.objects.create_superuser("admin", "admin@example.com", "pw-admin-123")
    client.force_login(admin)
    response = client.post("/desk/fortycrm/apikey/add/", {"name": "Website", "scope": "intake"}, follow=True)
    assert response.status_code == 200
    shown = [str(m) for m in response.context["messages"]]
    assert len(shown) >= 1
    api_key = ApiKey.objects.get(name="Website")
    words = " ".join(shown).replace("<", " ").replace(">", " ").split()
    keys = [w for w in words if w.startswith(api_key.prefix + ".") and "sha512" not in w]
    assert len(keys) == 1  # shown once
    key = keys[0]
    assert ApiKey.objects.get_from_key(key) == api_key
    assert key not in api_key.hashed_key
    # the key is not shown again on the key's page or in the list
    assert key not in client.get(f"/desk/fortycrm/apikey/{api_key.pk}/change/").content.decode()
    assert key not in client.get("/desk/fortycrm/apikey/").content.decode()
    client_for(key).post("/api/v1/intake/", {"company_name": "A GmbH", "last_name": "B"}, format="json")
    assert ApiKey.objects.get().last_used_at is not None
    client.post("/desk/fortycrm/apikey/", {"action": "revoke", "_selected_action": [api_key.pk]}, follow=True)
    assert ApiKey.objects.get().revoked
    assert client_for(key).post("/api/v1/intake/", {"company_name": "A GmbH", "last_name": "B"}, format="json").status_code == 401

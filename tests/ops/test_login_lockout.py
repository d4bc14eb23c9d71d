"""Issue 8, item 5 (desk login): after too many wrong passwords even the right one is refused
for a cool-off; the attempts live in the database, so every worker sees them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

LOGIN = "/desk/login/?next=/desk/"


def _post(client, password: str):
    return client.post(LOGIN, {"username": "chefin", "password": password, "next": "/desk/"})


@pytest.fixture
def chefin(django_user_model):
    return django_user_model.objects.create_superuser("chefin", "chefin@example.com", "pw-chefin-12345")


@pytest.mark.django_db
def test_wrong_passwords_lock_the_user_name_even_for_the_right_password(client, chefin):
    limit = settings.AXES_FAILURE_LIMIT
    for _ in range(limit - 1):
        assert _post(client, "falsch").status_code == 200  # the form again, with its error
    locked = _post(client, "falsch")
    assert locked.status_code == 429
    right = _post(client, "pw-chefin-12345")
    assert right.status_code == 429
    assert "_auth_user_id" not in client.session
    text = right.content.decode()
    assert "Zu viele falsche Passwörter" in text and f"{settings.AXES_COOLOFF_TIME.seconds // 60} Minuten" in text
    assert right["Retry-After"] == str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    # another browser (another worker, another session) is locked out as well
    from django.test import Client

    assert _post(Client(), "pw-chefin-12345").status_code == 429


@pytest.mark.django_db
def test_after_the_cool_off_the_right_password_works_and_resets_the_count(client, chefin):
    from axes.models import AccessAttempt

    for _ in range(settings.AXES_FAILURE_LIMIT):
        _post(client, "falsch")
    assert _post(client, "pw-chefin-12345").status_code == 429
    # the cool-off has passed
    AccessAttempt.objects.update(attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - timedelta(seconds=1))
    assert _post(client, "pw-chefin-12345").status_code == 302
    assert client.session["_auth_user_id"] == str(chefin.pk)
    assert not AccessAttempt.objects.filter(username="chefin").exists()


@pytest.mark.django_db
def test_a_few_typos_do_not_lock(client, chefin):
    for _ in range(3):
        _post(client, "falsch")
    assert _post(client, "pw-chefin-12345").status_code == 302


def test_lockout_settings_are_shared_and_documented():
    assert settings.AXES_HANDLER == "axes.handlers.database.AxesDatabaseHandler"  # all workers
    assert settings.AUTHENTICATION_BACKENDS[0] == "config.lockout.LockoutBackend"
    assert settings.AXES_FAILURE_LIMIT == 10 and settings.AXES_COOLOFF_TIME == timedelta(minutes=15)
    from tests.ops.sites import ROOT

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "FORTYCRM_LOGIN_FAILURE_LIMIT" in readme and "FORTYCRM_LOGIN_COOLOFF_MINUTES" in readme

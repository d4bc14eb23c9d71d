from __future__ import annotations

import os

import pytest

BROWSER_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Debian's chromium; never a downloaded browser."""
    return {**browser_type_launch_args, "executable_path": "/usr/bin/chromium", "args": BROWSER_ARGS}


@pytest.fixture(scope="session", autouse=True)
def _allow_async_unsafe():
    # Playwright's sync API runs an event loop in the test thread (live_server + ORM).
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "files"


@pytest.fixture(autouse=True)
def _clear_cache():
    """Rate limits and other cached state never leak between tests (Redis in CI)."""
    from tests.caches import clear_site_cache

    clear_site_cache()
    yield


@pytest.fixture
def office_user(django_user_model):
    from django.contrib.auth.models import Group

    from fortycrm.setup import ROLE_OFFICE

    user = django_user_model.objects.create_user("office", "office@example.com", "pw-office-123", is_staff=True, first_name="Olga", last_name="Office")
    user.groups.add(Group.objects.get(name=ROLE_OFFICE))
    return user


@pytest.fixture
def support_user(django_user_model):
    from django.contrib.auth.models import Group

    from fortycrm.setup import ROLE_SUPPORT

    user = django_user_model.objects.create_user("support", "support@example.com", "pw-support-123", is_staff=True)
    user.groups.add(Group.objects.get(name=ROLE_SUPPORT))
    return user


@pytest.fixture
def desk_page(page, live_server, django_user_model):
    """A browser page signed in to the desk as a new superuser ("chefin")."""
    django_user_model.objects.create_superuser("chefin", "chefin@example.com", "pw-chefin-12345")
    page.goto(f"{live_server.url}/desk/login/?next=/desk/")
    page.fill("#id_username", "chefin")
    page.fill("#id_password", "pw-chefin-12345")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/desk/")
    return page

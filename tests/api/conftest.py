from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from fortycrm.models import ApiKey
from tests.caches import clear_site_cache


@pytest.fixture(autouse=True)
def _clear_cache():
    from fortycrm.listcache import memo_clear

    clear_site_cache()
    memo_clear()
    yield
    clear_site_cache()
    memo_clear()


def make_key(scope: str, name: str | None = None) -> str:
    _obj, key = ApiKey.objects.create_key(name=name or f"test {scope}", scope=scope)
    return key


def client_for(key: str | None, language: str = "en") -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE=language)
    if key:
        client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return client


@pytest.fixture
def read_api(db) -> APIClient:
    return client_for(make_key("read"))


@pytest.fixture
def write_api(db) -> APIClient:
    return client_for(make_key("write"))


@pytest.fixture
def intake_api(db) -> APIClient:
    return client_for(make_key("intake"))


@pytest.fixture
def anon_api() -> APIClient:
    return APIClient(HTTP_ACCEPT_LANGUAGE="en")

"""The language middleware finds the API wherever the host project mounts it."""

from __future__ import annotations

import pytest

from fortycrm.middleware import api_prefix

pytestmark = pytest.mark.django_db


def language_of(client, path: str, accept: str) -> str:
    return client.get(path, HTTP_ACCEPT_LANGUAGE=accept)["Content-Language"]


def test_api_prefix_comes_from_the_urlconf(client, settings):
    assert api_prefix() == "/api/v1/"
    assert language_of(client, "/api/v1/customers/", "en") == "en"  # the API follows Accept-Language
    assert language_of(client, "/desk/login/", "en") == "de"  # the desk stays German by default

    settings.ROOT_URLCONF = "tests.urls_elsewhere"
    assert api_prefix() == "/schnittstelle/v2/"
    assert language_of(client, "/schnittstelle/v2/customers/", "en") == "en"
    assert language_of(client, "/schnittstelle/v2/customers/", "de") == "de"
    assert language_of(client, "/verwaltung/login/", "en") == "de"
    assert language_of(client, "/api/v1/customers/", "en") == "de"  # no longer the API: nothing assumed


def test_host_without_the_api_and_an_explicit_prefix(client, settings):
    settings.ROOT_URLCONF = "tests.urls_elsewhere"
    settings.FORTYCRM_API_PREFIX = "/verwaltung/"
    assert api_prefix() == "/verwaltung/"
    assert language_of(client, "/verwaltung/login/", "en") == "en"

    settings.FORTYCRM_API_PREFIX = None
    settings.ROOT_URLCONF = "tests.urls_desk_only"
    assert api_prefix() is None
    assert language_of(client, "/desk/login/", "en") == "de"
    assert language_of(client, "/api/v1/customers/", "en") == "de"

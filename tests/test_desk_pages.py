"""Every desk page of our models renders (no 500), in German and English."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db

OUR_APPS = {"fortycrm", "auth"}


def _our_models():
    return [(m, a) for m, a in admin.site._registry.items() if m._meta.app_label in OUR_APPS]


def _list_and_add_urls(user):
    request = RequestFactory().get("/")
    request.user = user
    for model, model_admin in _our_models():
        opts = model._meta
        yield reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        if model_admin.has_add_permission(request):
            yield reverse(f"admin:{opts.app_label}_{opts.model_name}_add")


@pytest.mark.parametrize("language", ["de", "en"])
def test_every_list_and_add_page_renders(client, admin_user, language):
    client.force_login(admin_user)
    client.cookies["django_language"] = language
    factories.company(name="Seiten GmbH", status="Kunde", tags=["Test"])
    failures = []
    for url in _list_and_add_urls(admin_user):
        response = client.get(url, follow=True)
        if response.status_code != 200:
            failures.append((url, response.status_code))
    assert failures == []


def test_every_change_and_history_page_renders(client, admin_user):
    client.force_login(admin_user)
    factories.company(name="Seiten GmbH", status="Kunde", tags=["Test"])
    failures = []
    for model, _model_admin in _our_models():
        obj = model._default_manager.first()
        if obj is None:
            continue
        opts = model._meta
        for view in ("change", "history"):
            url = reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=[obj.pk])
            response = client.get(url, follow=True)
            if response.status_code != 200:
                failures.append((url, response.status_code))
    assert failures == []


def test_malformed_ids_in_desk_urls_are_not_found_not_500(client, admin_user):
    client.raise_request_exception = False
    client.force_login(admin_user)
    customer = factories.company(name="Seiten GmbH")
    failures = []
    for model, _model_admin in _our_models():
        opts = model._meta
        base = f"/desk/{opts.app_label}/{opts.model_name}/"
        for url in (f"{base}abc/change/", f"{base}abc/history/", f"{base}abc/delete/", f"{base}?id__exact=abc"):
            status = client.get(url).status_code
            if status >= 500:
                failures.append((url, status))
    status = client.get(f"/desk/fortycrm/customer/{customer.pk}/history/abc/").status_code
    if status >= 500:
        failures.append(("history version abc", status))
    assert failures == []


def test_empty_or_garbage_add_forms_show_errors_not_500(client, admin_user):
    client.raise_request_exception = False
    client.force_login(admin_user)
    failures = []
    for url in _list_and_add_urls(admin_user):
        if not url.endswith("/add/"):
            continue
        for data in ({}, {"name": "x" * 500, "number": "-1", "status": "abc", "customer": "999999", "value": "1,2,3", "read_at": "gestern"}):
            response = client.post(url, data)
            if response.status_code >= 500:
                failures.append((url, response.status_code))
    assert failures == []

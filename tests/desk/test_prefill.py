"""Add pages prefilled from the URL (?customer=…) never answer 500 for a bad value (issue 8, item 8)."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db

BAD_VALUES = ["abc", "³", "99999999999999999999999", "1.5", "-1"]


@pytest.mark.parametrize(
    ("model_name", "field"),
    [
        ("location", "customer"),
        ("contact", "customer"),
        ("order", "customer"),
        ("order", "location"),
        ("invoice", "customer"),
        ("invoice", "location"),
        ("meter", "location"),
        ("meterreading", "meter"),
    ],
)
def test_add_page_with_bad_prefill_value_is_not_500(client, admin_user, model_name, field):
    client.raise_request_exception = False
    client.force_login(admin_user)
    statuses = {value: client.get(f"/desk/fortycrm/{model_name}/add/", {field: value}).status_code for value in BAD_VALUES}
    assert statuses == dict.fromkeys(BAD_VALUES, 200)


def test_every_add_page_survives_bad_values_for_every_relation(client, admin_user):
    client.raise_request_exception = False
    client.force_login(admin_user)
    failures = []
    for model in list(admin.site._registry):
        if model._meta.app_label not in ("fortycrm", "auth"):
            continue
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_add")
        for field in (f for f in model._meta.get_fields() if f.is_relation and f.concrete):
            for value in ("abc", "³", "1,x"):
                status = client.get(url, {field.name: value}).status_code
                if status >= 500:
                    failures.append((url, field.name, value, status))
    assert failures == []


def test_good_prefill_value_still_preselects_the_customer(client, admin_user):
    customer = factories.company(name="Vorbelegt GmbH")
    client.force_login(admin_user)
    page = client.get("/desk/fortycrm/location/add/", {"customer": customer.pk}).content.decode()
    assert "Vorbelegt GmbH" in page

"""History without noise (issue 12, item 6): a save that changes nothing writes no history row."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests import factories
from tests.locations.conftest import form_data

pytestmark = pytest.mark.django_db


def test_saving_an_unchanged_record_in_the_desk_writes_no_history(client, admin_user):
    customer = factories.company("Ruhig GmbH", status="Kunde")
    client.force_login(admin_user)
    url = reverse("admin:fortycrm_customer_change", args=[customer.pk])
    before = customer.history.count()
    changed_on_start_page = client.get(reverse("admin:index")).content.decode().count("geändert")
    data = form_data(client.get(url))
    response = client.post(url, data, follow=True)  # follow: the "saved" message is shown (and used up) on the list
    assert response.redirect_chain, response.content.decode()[:2000]
    assert customer.history.count() == before
    start = client.get(reverse("admin:index")).content.decode()
    assert start.count("geändert") == changed_on_start_page

    data["name"] = "Laut GmbH"
    assert client.post(url, data, follow=True).redirect_chain
    assert customer.history.count() == before + 1
    assert client.get(reverse("admin:index")).content.decode().count("geändert") == changed_on_start_page + 1


def test_unchanged_save_in_code_writes_no_history_but_a_change_does():
    customer = factories.company("Code GmbH")
    count = customer.history.count()
    customer.save()
    assert customer.history.count() == count
    customer.city = "Kiel"
    customer.save()
    assert customer.history.count() == count + 1
    assert not hasattr(customer, "skip_history_when_saving")


def test_history_page_never_shows_none_as_change_reason(client, admin_user):
    customer = factories.company("Grund GmbH")
    customer.city = "Kiel"
    customer.save()
    client.force_login(admin_user)
    page = client.get(reverse("admin:fortycrm_customer_history", args=[customer.pk])).content.decode()
    assert "Kiel" in page or "Grund GmbH" in page
    assert ">None<" not in page.replace(" ", "").replace("\n", "") and "Keine/r" not in page

"""Active filters and the search are named above every desk list, each with a link that
removes just that one (issue 12, item 8). The browser test clicks them; here every list."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse

from fortycrm.models import Supplier
from fortycrm.services.locations import supplier_save

pytestmark = pytest.mark.django_db


def test_every_list_names_its_search_above_the_rows(admin_client):
    checked = []
    for model, model_admin in admin.site._registry.items():
        if not model_admin.search_fields:
            continue
        opts = model._meta
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        response = admin_client.get(url, {"q": "Zzq"})
        assert response.status_code == 200, url
        page = response.content.decode()
        assert 'id="fortycrm-filter-chips"' in page and "Suchbegriff: Zzq" in page, url
        checked.append(opts.model_name)
    assert {"customer", "meterreading", "supplier", "user", "staffmember"} <= set(checked)


def test_filter_chip_names_the_filter_and_links_to_the_list_without_it(admin_client):
    supplier_save(supplier=Supplier(name="Elektro Schulz", trade="Elektriker"))
    url = reverse("admin:fortycrm_supplier_changelist")
    page = admin_client.get(url, {"trade": "Elektriker", "q": "Schulz"}).content.decode()
    assert "Gewerk: Elektriker" in page and "Suchbegriff: Schulz" in page
    assert 'href="?q=Schulz" title="Filter „Gewerk“ entfernen"' in page
    assert 'href="?trade=Elektriker" title="Filter „Suchbegriff“ entfernen"' in page
    assert "Alle Filter entfernen" in page
    assert "fortycrm-filter-chips" not in admin_client.get(url).content.decode()

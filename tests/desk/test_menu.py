"""The menu shows only what the role may use (issue 12, items 4 and 10)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from fortycrm.setup import ROLE_ADMIN

pytestmark = pytest.mark.django_db

SETTINGS_ONLY_ADMINISTRATION = [
    "/desk/fortycrm/customerstatus/", "/desk/fortycrm/sitesettings/", "/desk/fortycrm/customerdefaults/",
    "/desk/fortycrm/letterhead/", "/desk/fortycrm/apikey/", "/desk/auth/user/", "/desk/auth/group/",
    "/desk/fortycrm/webform/", "/desk/fortycrm/customfield/",
]


def _menu_links(client) -> set[str]:
    page = client.get(reverse("admin:index")).content.decode()
    sidebar = page[page.index('id="nav-sidebar-apps"') :]
    return set(re.findall(r'href="(/desk/[^"]*)"', sidebar))


def test_office_menu_has_no_settings_it_cannot_change(client, office_user):
    client.force_login(office_user)
    links = _menu_links(client)
    assert {"/desk/fortycrm/customer/", "/desk/fortycrm/importlog/", "/desk/fortycrm/tag/"} <= links
    assert links.isdisjoint(SETTINGS_ONLY_ADMINISTRATION), links & set(SETTINGS_ONLY_ADMINISTRATION)
    # library pages: the job dashboard and the permission lists are not for the office
    assert client.get("/desk/django_rq/dashboard/").status_code in (302, 403)
    assert client.get(reverse("admin:auth_group_changelist")).status_code == 403


def test_administration_menu_has_every_setting_and_one_settings_group(client, role_user):
    client.force_login(role_user("chefin", ROLE_ADMIN))
    links = _menu_links(client)
    assert set(SETTINGS_ONLY_ADMINISTRATION) <= links
    page = client.get(reverse("admin:index")).content.decode()
    sidebar = page[page.index('id="nav-sidebar-apps"') :]
    navigation = sidebar[: sidebar.index("Alle Anwendungen")]  # the folded list of every model follows
    assert len(re.findall(r">\s*Einstellungen\s*<", navigation)) == 1
    # breadcrumb and page title say what the menu says: "Datenimport"
    imports = client.get(reverse("admin:fortycrm_importlog_changelist")).content.decode()
    assert "Datenimport" in imports and "Importe" not in imports


def test_menu_and_page_titles_use_the_same_names(client, admin_user):
    """What the menu calls a list is what its page and breadcrumb call it (issue 12, item 10)."""
    from django.contrib import admin
    from django.urls import resolve
    from django.utils import translation
    from django.utils.text import capfirst

    from fortycrm.desk_navigation import NAVIGATION_CUSTOMERS, NAVIGATION_SETTINGS

    by_url_name = {f"{m._meta.app_label}_{m._meta.model_name}_changelist": m for m in admin.site._registry}
    different = []
    with translation.override("de"):
        for item in NAVIGATION_CUSTOMERS + NAVIGATION_SETTINGS:
            model = by_url_name.get(resolve(str(item["link"])).url_name)
            if model is not None and str(item["title"]) != capfirst(model._meta.verbose_name_plural):
                different.append((str(item["title"]), str(model._meta.verbose_name_plural)))
    assert different == []

"""Desk access by role in a real browser (Debian chromium via Playwright), issue 8 item 3."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _sign_in(page, live_server, username, password):
    page.goto(f"{live_server.url}/desk/login/?next=/desk/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")


def test_buero_user_without_staff_flag_signs_in_and_staff_user_without_role_is_refused(page, live_server, django_user_model):
    from django.contrib.auth.models import Group

    from fortycrm.setup import ROLE_OFFICE
    from tests import factories

    factories.company("Geheim GmbH")
    buero = django_user_model.objects.create_user("bea", password="pw-bea-12345", first_name="Bea")
    Group.objects.get(name=ROLE_OFFICE).user_set.add(buero)
    django_user_model.objects.create_user("staff", password="pw-staff-12345", is_staff=True)

    _sign_in(page, live_server, "staff", "pw-staff-12345")
    expect(page.get_by_text("Ihr Konto hat noch keine Rolle im Desk")).to_be_visible()
    assert "/desk/login/" in page.url
    page.goto(f"{live_server.url}/desk/fortycrm/customer/")
    assert "/desk/login/" in page.url
    expect(page.get_by_text("Geheim GmbH")).to_have_count(0)

    _sign_in(page, live_server, "bea", "pw-bea-12345")
    page.wait_for_url(f"{live_server.url}/desk/")
    expect(page.locator("#fortycrm-dashboard")).to_be_visible()
    page.goto(f"{live_server.url}/desk/fortycrm/customer/")
    expect(page.get_by_text("Geheim GmbH").first).to_be_visible()

"""Logo upload in the desk, in a real browser: a wrong extension is refused in German, a real
logo is stored under a random name and shows as thumbnail in the list."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from fortycrm.models import Customer
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_logo_with_wrong_extension_is_refused_and_a_real_one_is_shown(desk_page, live_server, tmp_path):
    page = desk_page
    fake = tmp_path / "angebot.pdf"
    fake.write_bytes(factories.png_bytes((64, 48), "blue"))
    page.goto(f"{live_server.url}/desk/fortycrm/customer/add/")
    page.fill("input[name=name]", "Logo Test GmbH")
    page.set_input_files("input[name=logo]", str(fake))
    page.click("button[name=_save]")
    expect(page.get_by_text("Dateien mit der Endung „.pdf“ können nicht als Bild hochgeladen werden")).to_be_visible()
    assert not Customer.objects.exists()

    logo = tmp_path / "logo.png"
    logo.write_bytes(factories.png_bytes((64, 48), "blue"))
    page.set_input_files("input[name=logo]", str(logo))
    page.click("button[name=_save]")
    page.wait_for_url(f"{live_server.url}/desk/fortycrm/customer/")
    customer = Customer.objects.get()
    assert "logo" not in customer.logo.name.split("/")[-1]
    thumb = page.locator(f'img[src="{customer.logo_thumbnail.url}"]')
    expect(thumb).to_be_visible()
    assert page.evaluate("img => img.naturalWidth", thumb.element_handle()) > 0
    # (the live server answers /files/ itself, bypassing the view: access rules and headers
    # are tested with the test client in test_uploads.py)

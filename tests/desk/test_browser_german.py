"""The German desk in a real browser (issue 12): numbers typed the German way, the picker
widgets built by JavaScript in German, the sidebar's daily entries without scrolling."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.utils import timezone

from tests import factories
from tests.desk.test_german_everywhere import GIVEAWAY

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _meter():
    from fortycrm.models import Location, Meter
    from fortycrm.services.locations import location_save
    from fortycrm.services.meters import meter_save

    customer = factories.company("Zahlen GmbH")
    location = location_save(location=Location(customer=customer, name="Objekt Zahlen", city="Hamburg"))
    return meter_save(meter=Meter(location=location, kind="electricity", number="E-1", unit="kWh"))


def test_german_numbers_pickers_and_sidebar(desk_page, live_server):
    from django.contrib.auth.models import Group

    from fortycrm.models import MeterReading

    page = desk_page
    page.set_default_timeout(15000)
    page.set_viewport_size({"width": 1440, "height": 900})
    meter = _meter()

    # the sidebar: Datenimport and API-Schlüssel without scrolling, "Einstellungen" once
    for href in ("/desk/fortycrm/importlog/", "/desk/fortycrm/apikey/"):
        link = page.locator(f'#nav-sidebar-apps a[href="{href}"]:visible').first
        if not link.count():  # the settings group is folded
            page.locator('#nav-sidebar-apps :text-is("Einstellungen"):visible').first.click()
        box = link.bounding_box()
        assert box is not None and box["y"] + box["height"] <= 900, (href, box)
    assert page.locator('#nav-sidebar-apps :text-is("Einstellungen"):visible').count() == 1

    # a reading typed the German way is stored as such and shown with a thousands point
    page.goto(f"{live_server.url}/desk/fortycrm/meterreading/add/?meter={meter.pk}")
    page.wait_for_load_state("load")  # date and time shortcuts are built by JavaScript
    english = sorted({m.group(1) for m in GIVEAWAY.finditer(page.locator("#content, main").first.inner_text())})
    assert english == [], english
    when = timezone.localtime(timezone.now() - dt.timedelta(hours=1))
    page.fill("#id_read_at_0", when.strftime("%d.%m.%Y"))
    page.fill("#id_read_at_1", when.strftime("%H:%M:%S"))
    page.fill("#id_value", "12345,6")
    page.click("button[name=_save]")
    page.wait_for_load_state("domcontentloaded")
    assert MeterReading.objects.get(meter=meter).value == Decimal("12345.6")
    assert "12.345,6 kWh" in page.locator("#result_list").inner_text()

    # the two-list picker (filter_horizontal), built by JavaScript, speaks German
    group = Group.objects.get(name="Büro")
    page.goto(f"{live_server.url}/desk/auth/group/{group.pk}/change/")
    page.wait_for_selector("#id_permissions_add_all, .selector-chooseall")
    text = page.locator("#content, main").first.inner_text()
    assert "Alle" in text
    english = sorted({m.group(1) for m in GIVEAWAY.finditer(text)})
    assert english == [], english
    assert not re.search(r"\bCan (add|change|delete|view)\b", text)

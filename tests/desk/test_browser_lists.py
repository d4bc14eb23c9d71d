"""Desk lists in a real browser (issue 12, items 7, 8, 9): rows that fit 1440×900 without
scrolling sideways, filter chips above the list, the export of a mixed selection, and
phone-sized screens (390×844). Layout is asserted with element boxes and scroll widths."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from playwright.sync_api import expect

from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LONG_COMMENT = "Zähler schwer zugänglich, Leiter im Hausmeisterraum benutzen; Ablesung gemeinsam mit Frau Lorenz vom Objektmanagement"


@pytest.fixture
def browser_context_args(browser_context_args):
    # the server's time zone: no "you are 1 hour behind the server" marks in date inputs
    return {**browser_context_args, "timezone_id": "Europe/Berlin", "locale": "de-DE"}


def _fits(page, selector: str) -> None:
    """Neither the page nor the element (or its scroll container) scrolls sideways."""
    widths = page.evaluate(
        """sel => { const el = document.querySelector(sel);
                    const box = el.closest('.simplebar-content-wrapper, .overflow-x-auto') || el.parentElement;
                    const doc = document.documentElement;
                    return [doc.scrollWidth, doc.clientWidth, box.scrollWidth, box.clientWidth,
                            el.getBoundingClientRect().right, window.innerWidth]; }""",
        selector,
    )
    doc_scroll, doc_client, box_scroll, box_client, right, inner = widths
    assert doc_scroll <= doc_client, f"page scrolls sideways: {widths}"
    assert box_scroll <= box_client + 1, f"{selector} scrolls sideways: {widths}"
    assert right <= inner, f"{selector} ends outside the window: {widths}"


def _location_with_meter_and_readings():
    from fortycrm.models import Contact, Location, LocationSupplier, Meter, MeterReading, Supplier
    from fortycrm.services.contacts import contact_save
    from fortycrm.services.locations import building_service_save, location_save, supplier_save
    from fortycrm.services.meters import meter_save, reading_record

    customer = factories.company("Hafenkontor Immobilien GmbH", status="Kunde")
    location = location_save(location=Location(customer=customer, name="Bürohaus Hafenstraße", city="Hamburg"))
    alarm = supplier_save(supplier=Supplier(name="Alarmtechnik Nord GmbH", trade="Alarmanlage", phone="040 555 1200", emergency_phone="0171 555 1299"))
    building_service_save(link=LocationSupplier(location=location, supplier=alarm, trade="Alarmanlage"))
    contact_save(contact=Contact(customer=customer, location=location, first_name="Uwe", last_name="Petersen", role="Hausmeister",
                                 phone="+49 40 3012 4490", mobile="+49 171 2345678", email="u.petersen@hafenkontor.de"))
    meter = meter_save(meter=Meter(location=location, kind="electricity", number="1ESY1161234567", unit="kWh", comment="Hauptzähler Keller"))
    now = timezone.now().replace(microsecond=0)
    for i in range(3):
        photo = SimpleUploadedFile("z.png", factories.png_bytes((40, 40), "gray"), content_type="image/png") if i == 2 else None
        reading_record(reading=MeterReading(meter=meter, read_at=now - dt.timedelta(days=30 * (2 - i)), value=Decimal("123456.789") + 1000 * i,
                                            comment=LONG_COMMENT if i == 2 else "", photo=photo))
    return location, meter


def test_readings_meters_contacts_and_haustechnik_fit_1440(desk_page, live_server):
    page = desk_page
    page.set_viewport_size({"width": 1440, "height": 900})
    location, meter = _location_with_meter_and_readings()

    # all readings: one line per value, the long comment cut with its whole text on hover, one photo
    page.goto(f"{live_server.url}/desk/fortycrm/meterreading/")
    _fits(page, "#result_list")
    comment = page.locator("#result_list .fortycrm-truncate")
    expect(comment).to_have_attribute("title", LONG_COMMENT)
    assert page.evaluate("el => el.scrollWidth > el.clientWidth", comment.element_handle())  # cut, not wrapped
    row = page.locator("#result_list tbody tr", has=page.locator(".fortycrm-truncate"))
    assert row.locator("img").count() == 1
    assert row.locator("td.field-value_display span").bounding_box()["height"] < 30  # "125.456,789 kWh" on one line

    # the meter's reading rows: no sideways scrolling, the photo once, the comment on hover
    page.goto(f"{live_server.url}/desk/fortycrm/meter/{meter.pk}/change/")
    _fits(page, "#readings-data")
    first = page.locator("#readings-data tr.form-row").first
    assert first.locator("img:visible, a[style*=background-image]:visible").count() == 1
    expect(first.locator("input[name$=-comment]")).to_have_attribute("title", LONG_COMMENT)

    # the location record: meter rows fit; Haustechnik shows phone and emergency phone;
    # a real phone number and e-mail address fit their inputs
    page.goto(f"{live_server.url}/desk/fortycrm/location/{location.pk}/change/")
    page.get_by_role("link", name="Zähler", exact=True).first.click()
    expect(page.locator("#meters-group table")).to_be_visible()  # the tab's rows load when it opens
    _fits(page, "#meters-group table")
    page.get_by_role("link", name="Haustechnik", exact=True).first.click()
    phones = page.locator("#building_services-group .fortycrm-phones")
    expect(phones).to_contain_text("040 555 1200")
    expect(phones.locator("a.fortycrm-emergency")).to_have_attribute("href", "tel:01715551299")
    page.get_by_role("link", name="Ansprechpartner vor Ort", exact=True).first.click()
    expect(page.locator("#contacts-group table")).to_be_visible()  # the tab's rows load when it opens
    _fits(page, "#contacts-group table")
    for name in ("phone", "mobile", "email"):
        field = page.locator(f"#id_contacts-0-{name}")
        assert page.evaluate("el => el.scrollWidth <= el.clientWidth", field.element_handle()), f"{name} is cut"


def test_filter_chips_name_and_remove_filters_and_mixed_export_is_a_zip(desk_page, live_server):
    page = desk_page
    page.set_viewport_size({"width": 1440, "height": 900})
    factories.company("Winter GmbH", tags=["Winterdienst"])
    factories.private(last_name="Schneider", tags=["Winterdienst"])
    factories.company("Sommer AG", tags=["Grünpflege"])

    page.goto(f"{live_server.url}/desk/fortycrm/customer/")
    expect(page.locator("#fortycrm-filter-chips")).to_have_count(0)
    page.locator("#result_list a.fortycrm-tag", has_text="Winterdienst").first.click()
    chips = page.locator("#fortycrm-filter-chips .fortycrm-chip")
    expect(chips).to_have_text(["Schlagwort: Winterdienst×"])
    expect(page.locator("#result_list tbody tr")).to_have_count(2)
    page.goto(page.url + "&kind__exact=company")
    expect(chips).to_have_text(["Schlagwort: Winterdienst×", "Art: Firmenkunde×"])
    expect(page.locator("#result_list tbody tr")).to_have_count(1)
    # each chip sits above the list and removes its own filter only
    assert chips.first.bounding_box()["y"] < page.locator("#result_list").bounding_box()["y"]
    chips.filter(has_text="Schlagwort").get_by_role("link").click()
    expect(chips).to_have_text(["Art: Firmenkunde×"])
    assert "tags__id__exact" not in page.url and "kind__exact=company" in page.url
    expect(page.locator("#result_list tbody tr")).to_have_count(2)

    # another list names its filters the same way
    page.goto(f"{live_server.url}/desk/fortycrm/meterreading/?exchange=yes")
    expect(page.locator("#fortycrm-filter-chips .fortycrm-chip")).to_have_text(["Zählerwechsel: ja×"])

    # the export takes company and private customers at once: two files in one ZIP
    page.goto(f"{live_server.url}/desk/fortycrm/customer/")
    page.locator("#action-toggle").check()
    page.select_option("select[name=action]", "export_csv")
    with page.expect_download() as download:
        page.locator("button[name=index]").click()
    today = f"{timezone.localdate():%Y-%m-%d}"
    assert download.value.suggested_filename == f"fortycrm_kunden_{today}.zip"


def test_phone_screen_lists_five_customers_tabs_reachable_menu_folds(desk_page, live_server):
    page = desk_page
    page.set_viewport_size({"width": 390, "height": 844})
    for i in range(8):  # no logos: no empty logo rows
        factories.company(f"Kunde {i} GmbH", status="Kunde", tags=["Winterdienst"], city="Hamburg")
    customer = factories.company("Letzter Kunde GmbH")

    page.goto(f"{live_server.url}/desk/fortycrm/customer/")
    _fits(page, "#result_list")
    boxes = [page.locator("#result_list tr.data-row").nth(i).bounding_box() for i in range(6)]
    on_first_screen = [b for b in boxes if b["y"] + b["height"] <= 844]
    assert len(on_first_screen) >= 5, boxes
    assert page.locator("#result_list tr.data-row td:visible:empty").count() == 0

    # the menu folds: hidden at first, opened by its button
    menu_link = page.locator("a[href='/desk/fortycrm/contact/']").first
    assert page.locator("a[href='/desk/fortycrm/contact/']").count() >= 1
    expect(menu_link).to_be_hidden()
    page.locator('[x-on\\:click="sidebarMobileOpen = !sidebarMobileOpen"]:visible').first.click()
    expect(menu_link).to_be_in_viewport()

    # every tab of the record is on the screen and opens its part
    page.goto(f"{live_server.url}/desk/fortycrm/customer/{customer.pk}/change/")
    _fits(page, "#tabs-items")
    tabs = page.locator("#tabs-items a")
    assert tabs.count() >= 4
    for i in range(tabs.count()):
        expect(tabs.nth(i)).to_be_in_viewport()
    tabs.filter(has_text="Ansprechpartner").click()
    expect(page.locator("#contacts-group")).to_be_visible()

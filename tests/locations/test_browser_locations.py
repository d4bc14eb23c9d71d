"""The whole issue-3 flow in a real browser (Playwright + Debian's chromium)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def save_and_continue(page):
    page.click("button[name=_continue]")
    page.wait_for_load_state("domcontentloaded")


def fill_reading(page, index: int, when: dt.datetime, value: str):
    local = timezone.localtime(when)
    page.fill(f"#id_readings-{index}-read_at_0", local.strftime("%d.%m.%Y"))
    page.fill(f"#id_readings-{index}-read_at_1", local.strftime("%H:%M:%S"))
    page.fill(f"#id_readings-{index}-value", value)


def test_customer_location_haustechnik_meter_readings_with_photo(desk_page, live_server, tmp_path):
    from fortycrm.models import Location, LocationSupplier, Meter, MeterReading, Supplier
    from fortycrm.services.locations import supplier_save

    page = desk_page
    customer = factories.company("Hausverwaltung Nord GmbH")
    supplier_save(supplier=Supplier(name="Elektro Schulz", trade="Elektriker"))
    photo = tmp_path / "zaehler.png"
    photo.write_bytes(factories.png_bytes((64, 48), "blue"))
    page.set_default_timeout(15000)

    # open the customer and add a location in its "Objekte" section
    page.goto(f"{live_server.url}/desk/fortycrm/customer/{customer.pk}/change/")
    page.get_by_role("link", name="Objekte", exact=True).first.click()
    page.locator("#locations-group a.add-row").click()
    page.fill("#id_locations-0-name", "Wohnanlage Parkstraße")
    page.fill("#id_locations-0-city", "Hamburg")
    save_and_continue(page)
    location = Location.objects.get(customer=customer)
    page.get_by_role("link", name="Objekte", exact=True).first.click()
    page.get_by_role("link", name="Objektakte öffnen").click()
    page.wait_for_url(f"**/desk/fortycrm/location/{location.pk}/change/**")
    assert page.get_by_text("Eckdaten des Kunden").is_visible()

    # link the supplier as Haustechnik and add a meter
    page.get_by_role("link", name="Haustechnik", exact=True).first.click()
    page.locator("#building_services-group a.add-row").click()
    page.select_option("#id_building_services-0-supplier", label="Elektro Schulz (Elektriker)")
    page.fill("#id_building_services-0-note", "Notdienst 24/7")
    page.get_by_role("link", name="Zähler", exact=True).first.click()
    page.locator("#meters-group a.add-row").click()
    page.select_option("#id_meters-0-kind", "electricity")
    page.fill("#id_meters-0-number", "E-4711")
    page.fill("#id_meters-0-unit", "kWh")
    save_and_continue(page)
    assert LocationSupplier.objects.get(location=location).supplier.name == "Elektro Schulz"
    meter = Meter.objects.get(location=location)

    # record a reading with a photo on the meter's page
    page.get_by_role("link", name="Zähler", exact=True).first.click()
    page.get_by_role("link", name="Zählerstände erfassen (0)").click()
    page.wait_for_url(f"**/desk/fortycrm/meter/{meter.pk}/change/**")
    fill_reading(page, 0, timezone.now() - dt.timedelta(days=30), "1000")
    page.set_input_files("#id_readings-0-photo", str(photo))
    save_and_continue(page)
    first = MeterReading.objects.get(meter=meter)
    assert first.photo.name.startswith("readings/")
    assert page.locator("img.fortycrm-reading-photo").first.is_visible()

    # a second reading: the consumption since the first one is shown
    fill_reading(page, 1, timezone.now() - dt.timedelta(hours=2), "1234.5")
    save_and_continue(page)
    assert MeterReading.objects.filter(meter=meter).count() == 2
    row = page.locator("#readings-group tbody tr", has=page.locator("td.field-consumption", has_text="234,5 kWh"))
    assert row.count() == 1
    # the photo is served to the signed-in user
    response = page.request.get(f"{live_server.url}{first.photo.url}")
    assert response.status == 200 and response.headers["content-type"] == "image/png"

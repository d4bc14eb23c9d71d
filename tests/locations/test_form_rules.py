"""Forms that know the rules before saving (issue 12 item 5): birthday, meter unit, locations, photo, prospect."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from fortycrm.models import Location, Meter
from fortycrm.services import billing
from fortycrm.services.locations import location_save
from fortycrm.services.meters import meter_save
from tests import factories
from tests.locations.conftest import form_data
from tests.records import with_tabs

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """The hash speed plays no part here: a fast hasher keeps these tests quick."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_birthday_offered_only_for_contacts_of_private_customers(desk, prospect):
    from fortycrm.models import Contact
    from fortycrm.services.contacts import contact_save

    private = factories.private("Schmidt")
    company_page = with_tabs(desk, desk.get(reverse("admin:fortycrm_customer_change", args=[prospect.pk]))).content.decode()
    private_page = with_tabs(desk, desk.get(reverse("admin:fortycrm_customer_change", args=[private.pk]))).content.decode()
    assert "contacts-__prefix__-birthday" not in company_page and "contacts-__prefix__-birthday" in private_page
    contact = contact_save(contact=Contact(customer=prospect, first_name="Jan", last_name="Firma"))
    assert 'name="birthday"' not in desk.get(reverse("admin:fortycrm_contact_change", args=[contact.pk])).content.decode()
    add = reverse("admin:fortycrm_contact_add")
    assert 'name="birthday"' not in desk.get(add, {"customer": prospect.pk}).content.decode()
    assert 'name="birthday"' in desk.get(add, {"customer": private.pk}).content.decode()


def test_meter_unit_follows_the_kind_and_stays_editable(desk, location):
    heat = meter_save(meter=Meter(location=location, kind="heat", number="W-1", unit=""))
    gas = meter_save(meter=Meter(location=location, kind="gas", number="G-1", unit=""))
    own = meter_save(meter=Meter(location=location, kind="heat", number="W-2", unit="MWh"))
    assert (heat.unit, gas.unit, own.unit) == ("kWh", "m³", "MWh")
    page = desk.get(reverse("admin:fortycrm_meter_add")).content.decode()
    assert "data-units" in page and "meter_form.js" in page
    data = form_data(desk.get(reverse("admin:fortycrm_meter_add")))
    data.update({"location": str(location.pk), "kind": "water", "number": "WA-1", "unit": ""})
    assert desk.post(reverse("admin:fortycrm_meter_add"), data).status_code == 302
    assert Meter.objects.get(number="WA-1").unit == "m³"


def test_order_and_invoice_location_picker_offers_only_the_customers_locations(desk, location):
    other = location_save(location=Location(customer=factories.company("Andere GmbH"), name="Fremdes Objekt", city="Kiel"))
    url = reverse("admin:autocomplete")
    for model in ("order", "invoice"):
        query = {"app_label": "fortycrm", "model_name": model, "field_name": "location", "term": ""}
        mine = desk.get(url, {**query, "customer": location.customer_id}).json()["results"]
        assert [r["id"] for r in mine] == [str(location.pk)]
        assert desk.get(url, query).json()["results"] == []  # no customer chosen yet: nothing to offer
        theirs = desk.get(url, {**query, "customer": other.customer_id}).json()["results"]
        assert [r["id"] for r in theirs] == [str(other.pk)]
    assert "billing_form.js" in desk.get(reverse("admin:fortycrm_order_add")).content.decode()


def test_reading_row_error_says_the_photo_must_be_chosen_again(desk, meter):
    url = reverse("admin:fortycrm_meter_change", args=[meter.pk])
    data = form_data(desk.get(url))
    future = (dt.datetime.now() + dt.timedelta(days=30)).strftime("%d.%m.%Y")
    data.update({"readings-0-read_at_0": future, "readings-0-read_at_1": "10:00", "readings-0-value": "12"})
    data["readings-0-photo"] = SimpleUploadedFile("zaehler.png", factories.png_bytes(), content_type="image/png")
    response = desk.post(url, data)
    page = response.content.decode()
    assert response.status_code == 200 and meter.readings.count() == 0
    assert "Das Foto „zaehler.png“ wurde nicht gespeichert" in page and "Wählen Sie die Fotos erneut aus" in page


def test_draft_invoice_keeps_the_prospect_and_issuing_converts(prospect):
    from fortycrm.models import Invoice

    draft = billing.invoice_create(
        invoice=Invoice(customer=prospect, date=dt.date(2026, 1, 31)),
        lines=[{"description": "Reinigung", "quantity": Decimal("1"), "unit_price": Decimal("80.00")}],
    )
    prospect.refresh_from_db()
    assert prospect.number is None and not prospect.status.with_number
    billing.invoice_issue(invoice=draft)
    prospect.refresh_from_db()
    assert prospect.number is not None and prospect.status.name == "Kunde"

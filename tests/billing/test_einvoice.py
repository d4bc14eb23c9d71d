"""R-BIL-6 (e-invoice): ZUGFeRD/Factur-X EN 16931 and XRechnung CII XML, validated against the standard's XSD."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from facturx import get_facturx_xml_from_pdf, xml_check_xsd
from lxml import etree

from fortycrm.einvoice import invoice_cii_xml, invoice_facturx_pdf
from fortycrm.models import SiteSettings
from fortycrm.services import billing
from tests.billing.conftest import draft_with_lines

pytestmark = pytest.mark.django_db
LINES = [
    {"description": "Unterhaltsreinigung März", "quantity": Decimal("1"), "unit_price": Decimal("1234.50")},
    {"description": "Fachbuch", "quantity": Decimal("2"), "unit_price": Decimal("5.00"), "vat_rate": Decimal("7")},
    {"description": "Porto", "quantity": Decimal("1"), "unit_price": Decimal("0.80"), "vat_rate": Decimal("0")},
]
NS = {"ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"}


@pytest.fixture(autouse=True)
def sender(db):
    SiteSettings.objects.update_or_create(pk=1, defaults={
        "invoice_sender": "Glanz GmbH\nHauptstraße 1\n10115 Berlin", "invoice_vat_id": "DE123456789",
        "invoice_bank_details": "Sparkasse, IBAN DE02 1203 0000 0000 2020 51, BIC BYLADEM1001",
    })


def test_cii_xml_validates_and_holds_totals(customer):
    invoice = billing.invoice_issue(invoice=draft_with_lines(customer, LINES))
    xml = invoice_cii_xml(invoice)
    assert xml_check_xsd(xml, flavor="factur-x", level="en16931")
    tree = etree.fromstring(xml)
    assert tree.findtext(".//ram:GrandTotalAmount", namespaces=NS) == str(invoice.gross_total)
    assert tree.findtext(".//ram:TaxTotalAmount", namespaces=NS) == str(invoice.vat_total)
    assert tree.findtext(".//ram:IBANID", namespaces=NS) == "DE02120300000000202051"
    assert len(tree.findall(".//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax", namespaces=NS)) == 3


def test_facturx_pdf_embeds_the_xml(customer):
    invoice = billing.invoice_issue(invoice=draft_with_lines(customer, LINES))
    pdf = invoice_facturx_pdf(invoice)
    name, xml = get_facturx_xml_from_pdf(io.BytesIO(pdf))
    assert name == "factur-x.xml" and str(invoice.number).encode() in xml
    assert xml_check_xsd(xml, flavor="factur-x", level="en16931")


def test_xrechnung_with_leitweg_id_and_cancellation(customer):
    from fortycrm.services.customers import customer_update

    customer_update(customer=customer, leitweg_id="991-01234-56")
    original = billing.invoice_issue(invoice=draft_with_lines(customer, LINES))
    xml = invoice_cii_xml(original, xrechnung=True)
    assert xml_check_xsd(xml, flavor="factur-x", level="en16931")
    tree = etree.fromstring(xml)
    assert tree.findtext(".//ram:BuyerReference", namespaces=NS) == "991-01234-56"
    assert "xrechnung" in tree.findtext(".//ram:GuidelineSpecifiedDocumentContextParameter/ram:ID", namespaces=NS)
    cancel = billing.invoice_cancel(invoice=original)
    assert xml_check_xsd(invoice_cii_xml(cancel), flavor="factur-x", level="en16931")


def test_small_business_xml(customer):
    SiteSettings.objects.filter(pk=1).update(small_business=True)
    invoice = billing.invoice_issue(invoice=draft_with_lines(customer, LINES))
    xml = invoice_cii_xml(invoice)
    assert xml_check_xsd(xml, flavor="factur-x", level="en16931") and b"19 UStG" in xml


def test_leitweg_id_format_checked(customer):
    from django.core.exceptions import ValidationError

    from fortycrm.services.customers import customer_update

    with pytest.raises(ValidationError, match="Leitweg"):
        customer_update(customer=customer, leitweg_id="kein leitweg")


def test_einvoice_downloads_in_api_and_desk(customer, client, django_user_model):
    from tests.api.conftest import client_for, make_key

    api = client_for(make_key("read"))
    draft = draft_with_lines(customer, LINES)
    assert api.get(f"/api/v1/invoices/{draft.pk}/facturx/").status_code == 409
    billing.invoice_issue(invoice=draft)
    response = api.get(f"/api/v1/invoices/{draft.pk}/facturx/")
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    xml = api.get(f"/api/v1/invoices/{draft.pk}/xrechnung/")
    assert xml.status_code == 200 and xml_check_xsd(xml.content, flavor="factur-x", level="en16931")
    client.force_login(django_user_model.objects.create_superuser("chefin", "c@example.com", "pw-chefin-123"))
    desk = client.get(f"/desk/fortycrm/invoice/{draft.pk}/facturx/")
    assert desk.status_code == 200 and desk["Content-Type"] == "application/pdf"

"""R-BIL-5/R-LOC-7: the invoice recipient (cost bearer, location invoice address, customer) and the
VAT rate of the order with its exemption reason, on the PDF and in the e-invoice."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from facturx import xml_check_xsd
from lxml import etree

from fortycrm.einvoice import invoice_cii_xml
from fortycrm.invoice_document import invoice_context, invoice_pdf
from fortycrm.models import Invoice, Location, Order, SiteSettings
from fortycrm.services.billing import invoice_issue, invoice_recipient
from fortycrm.services.billing_run import billing_run
from fortycrm.services.locations import location_save
from tests import factories
from tests.billing.conftest import make_location, make_order
from tests.billing.test_document import pdf_text
from tests.payers.helpers import VALID_KVNR, assign, bearer

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 27)
NS = {"ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"}
EXEMPT = {"vat_rate": Decimal("0"), "vat_exemption": "§ 4 Nr. 16 UStG"}


@pytest.fixture(autouse=True)
def sender(db):
    SiteSettings.objects.update_or_create(pk=1, defaults={"invoice_sender": "Pflege Sonne GmbH\nHauptstraße 1\n10115 Berlin"})


def run():
    return billing_run("2026-03", today=TODAY)


def test_location_invoice_address_else_customer_address(customer):
    with_address = make_location(customer, "Objekt Süd", bill_separately=True)
    with_address.billing_name, with_address.billing_street = "WEG Südallee 3", "Postfach 12"
    with_address.billing_postcode, with_address.billing_city = "20001", "Hamburg"
    location_save(location=with_address)
    without = make_location(customer, "Objekt Nord", bill_separately=True)
    make_order(customer, "Süd", location=with_address)
    make_order(customer, "Nord", location=without)
    run()
    south = Invoice.objects.get(location=with_address)
    north = Invoice.objects.get(location=without)
    assert invoice_context(south)["recipient"] == ["WEG Südallee 3", "Postfach 12", "20001 Hamburg"]
    assert invoice_context(north)["recipient"] == ["Hausverwaltung Nord GmbH", "Hafenweg 5", "20457 Hamburg"]
    tree = etree.fromstring(invoice_cii_xml(invoice_issue(invoice=south)))
    assert tree.findtext(".//ram:BuyerTradeParty/ram:Name", namespaces=NS) == "WEG Südallee 3"
    assert tree.findtext(".//ram:BuyerTradeParty//ram:PostcodeCode", namespaces=NS) == "20001"


def test_location_invoice_address_must_be_complete(customer):
    location = Location(customer=customer, name="Objekt West", billing_street="Weg 1")
    with pytest.raises(ValidationError) as exc:
        location_save(location=location)
    assert "billing_postcode" in exc.value.message_dict
    assert not Location.objects.filter(name="Objekt West").exists()


def test_cost_bearer_invoice_is_addressed_to_the_bearer_with_exemption_note(tmp_path):
    customer = factories.private("Schulz", "Gerda", street="Lindenweg 2", postcode="10117", city="Berlin")
    kasse = bearer("AOK Nordost – Die Gesundheitskasse", street="Wilhelmstraße 1", postcode="10963", city="Berlin")
    assign(customer, kasse, valid_from=dt.date(2026, 1, 1), budget="131", insurance_number=VALID_KVNR)
    make_order(customer, "Entlastungsleistung", price="100.00", **EXEMPT)
    run()
    invoice = invoice_issue(invoice=Invoice.objects.get(cost_bearer=kasse), today=dt.date(2026, 4, 1))
    assert invoice_recipient(invoice).name == kasse.name
    text = pdf_text(invoice_pdf(invoice), tmp_path)
    assert "AOK Nordost" in text and "Wilhelmstraße 1" in text and "10963 Berlin" in text
    assert "Gerda Schulz" in text and VALID_KVNR in text and "Versichertennummer" in text
    assert "Steuerfrei gemäß § 4 Nr. 16 UStG" in text
    assert "Lindenweg" not in text
    xml = invoice_cii_xml(invoice)
    assert xml_check_xsd(xml, flavor="factur-x", level="en16931")
    tree = etree.fromstring(xml)
    assert tree.findtext(".//ram:BuyerTradeParty/ram:Name", namespaces=NS) == kasse.name
    assert tree.findtext(".//ram:BuyerReference", namespaces=NS) == VALID_KVNR
    header_tax = tree.find(".//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax", namespaces=NS)
    assert header_tax.findtext("ram:CategoryCode", namespaces=NS) == "E"
    assert header_tax.findtext("ram:ExemptionReason", namespaces=NS) == "Steuerfrei gemäß § 4 Nr. 16 UStG"


def test_order_vat_rate_is_used_by_the_run_and_totals_per_rate(combined):
    make_order(combined, "Reinigung", price="100.00")
    make_order(combined, "Zeitschrift", price="10.00", vat_rate=Decimal("7"))
    make_order(combined, "Betreuung", price="50.00", **EXEMPT)
    make_order(combined, "Porto", price="1.00", vat_rate=Decimal("0"), vat_exemption="§ 4 Nr. 8 UStG")
    run()
    invoice = Invoice.objects.get()
    assert sorted(ln.vat_rate for ln in invoice.lines.all()) == [Decimal("0"), Decimal("0"), Decimal("7"), Decimal("19")]
    assert (invoice.total, invoice.vat_total, invoice.gross_total) == (Decimal("161.00"), Decimal("19.70"), Decimal("180.70"))
    xml = invoice_cii_xml(invoice_issue(invoice=invoice))
    assert xml_check_xsd(xml, flavor="factur-x", level="en16931")
    taxes = etree.fromstring(xml).findall(".//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax", namespaces=NS)
    exempt = [t for t in taxes if t.findtext("ram:CategoryCode", namespaces=NS) == "E"]
    assert len(taxes) == 3 and len(exempt) == 1  # 19 %, 7 %, one exempt group with both reasons
    assert exempt[0].findtext("ram:BasisAmount", namespaces=NS) == "51.00"
    assert "§ 4 Nr. 8 UStG" in exempt[0].findtext("ram:ExemptionReason", namespaces=NS)
    assert "§ 4 Nr. 16 UStG" in "".join(invoice_context(invoice)["exemptions"])


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"vat_rate": Decimal("5")}, "vat_rate"),
        ({"vat_rate": Decimal("0")}, "vat_exemption"),
        ({"vat_rate": Decimal("19"), "vat_exemption": "§ 4 Nr. 16 UStG"}, "vat_exemption"),
        ({"hours": Decimal("0")}, "hours"),
    ],
)
def test_order_vat_bad_input(customer, values, field):
    from fortycrm.services.billing import order_create

    with pytest.raises(ValidationError) as exc:
        order_create(order=Order(customer=customer, title="X", price=Decimal("1"), start=dt.date(2026, 3, 1), **values))
    assert field in exc.value.message_dict
    assert not Order.objects.exists()


def test_an_issued_invoice_keeps_the_address_it_was_issued_to(customer):
    from fortycrm.services.billing import invoice_cancel
    from fortycrm.services.customers import customer_update

    make_order(customer, "Unterhaltsreinigung")
    run()
    draft = Invoice.objects.get()
    issued = invoice_issue(invoice=draft)
    assert issued.recipient["street"] == "Hafenweg 5"
    customer_update(customer=customer, street="Neuer Weg 9", city="Kiel")  # moved after the invoice
    issued.refresh_from_db()
    assert invoice_context(issued)["recipient"] == ["Hausverwaltung Nord GmbH", "Hafenweg 5", "20457 Hamburg"]
    cancellation = invoice_cancel(invoice=issued)
    assert invoice_context(cancellation)["recipient"][1] == "Hafenweg 5"
    billing_run("2026-04", today=TODAY)
    later = Invoice.objects.filter(is_draft=True).first()
    assert invoice_context(later)["recipient"][1] == "Neuer Weg 9"  # drafts follow the current address


def test_bearer_invoice_references_are_shown_in_the_readers_language(customer):
    from django.utils import translation

    assignment = assign(customer, bearer(), share=Decimal("100"), insurance_number=VALID_KVNR)
    make_order(customer, "Betreuung")
    run()
    invoice = invoice_issue(invoice=Invoice.objects.get(cost_bearer=assignment.cost_bearer))
    with translation.override("de"):
        labels = [label for label, _value in invoice_recipient(invoice).references]
    assert "Versichertennummer" in labels
    assert dict(invoice.recipient["references"])["insurance_number"] == VALID_KVNR

"""E-invoices (EN 16931): ZUGFeRD/Factur-X (PDF/A-3 with embedded CII XML, profile EN 16931)
and plain XRechnung CII XML for public authorities (customers with a Leitweg-ID).

The CII XML is written here with lxml; the ``factur-x`` library embeds it into the invoice PDF
and ships the standard's XSDs (``facturx.xml_check_xsd``), which the tests validate against.
"""

from __future__ import annotations

import re
from decimal import Decimal

from lxml import etree

from fortycrm.models import Invoice, SiteSettings
from fortycrm.services.billing import billing_terms_for, invoice_recipient, invoice_totals, line_amount

RSM = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
QDT = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
NSMAP = {"rsm": RSM, "ram": RAM, "qdt": QDT, "udt": UDT}
EN16931 = "urn:cen.eu:en16931:2017"
XRECHNUNG = "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0"
PEPPOL_PROCESS = "urn:fdc:peppol.eu:2017:poacc:billing:01.0"
SMALL_BUSINESS_NOTE = "Kein Ausweis von Umsatzsteuer, da Kleinunternehmer gemäß § 19 UStG"


def _el(parent, tag: str, text=None, **attrs):
    ns, name = tag.split(":")
    node = etree.SubElement(parent, f"{{{NSMAP[ns]}}}{name}", **attrs)
    if text is not None:
        node.text = str(text)
    return node


def _date(parent, tag: str, value) -> None:
    _el(_el(parent, tag), "udt:DateTimeString", value.strftime("%Y%m%d"), format="102")


def _amount(value: Decimal) -> str:
    return f"{value:.2f}"


def _rate(value: Decimal) -> str:
    return f"{Decimal(value).normalize():f}"


def _category(rate: Decimal, small_business: bool, exemption: str = "") -> tuple[str, str | None]:
    """VAT category (UNTDID 5305) and exemption text: E for § 19 UStG and for 0 % with an
    exemption reason (e.g. § 4 Nr. 16 UStG), Z for 0 % without one, S otherwise."""
    if small_business:
        return "E", SMALL_BUSINESS_NOTE
    if rate == 0:
        return ("E", exemption_note(exemption)) if exemption else ("Z", None)
    return "S", None


def exemption_note(reason: str) -> str:
    return f"Steuerfrei gemäß {reason}" if reason else ""


def _tax_breakdown(lines, totals, small_business: bool) -> list[tuple[str, str | None, Decimal, Decimal, Decimal]]:
    """(category, exemption text, rate, basis, tax) per category and rate (EN 16931 BG-23): the
    0 % lines split into exempt (E, their reasons joined) and zero-rated (Z)."""
    rows = []
    for rate_total in totals.by_rate:
        if small_business or rate_total.rate != 0:
            code, reason = _category(rate_total.rate, small_business)
            rows.append((code, reason, rate_total.rate, rate_total.net, rate_total.vat))
            continue
        exempt = [ln for ln in lines if Decimal(ln.vat_rate) == 0 and ln.vat_exemption]
        if exempt:
            reasons = "; ".join(sorted({exemption_note(ln.vat_exemption) for ln in exempt}))
            rows.append(("E", reasons, rate_total.rate, sum((line_amount(ln.quantity, ln.unit_price) for ln in exempt), Decimal("0.00")), Decimal("0.00")))
        zero = [ln for ln in lines if Decimal(ln.vat_rate) == 0 and not ln.vat_exemption]
        if zero:
            rows.append(("Z", None, rate_total.rate, sum((line_amount(ln.quantity, ln.unit_price) for ln in zero), Decimal("0.00")), Decimal("0.00")))
    return rows


def _party(parent, tag: str, name: str, lines: list[str], postcode: str, city: str, country: str, vat_id: str = ""):
    party = _el(parent, tag)
    _el(party, "ram:Name", name or "—")
    address = _el(party, "ram:PostalTradeAddress")
    if postcode:
        _el(address, "ram:PostcodeCode", postcode)
    if lines:
        _el(address, "ram:LineOne", lines[0])
    if city:
        _el(address, "ram:CityName", city)
    _el(address, "ram:CountryID", (country or "DE").upper())
    if vat_id:
        _el(_el(party, "ram:SpecifiedTaxRegistration"), "ram:ID", vat_id, schemeID="VA")
    return party


def _seller_address(sender: list[str]) -> tuple[str, list[str], str, str]:
    """Name, street lines, postcode, city from the site's sender text (first line the name, "12345 City" the town)."""
    name = sender[0] if sender else ""
    street, postcode, city = [], "", ""
    for line in sender[1:]:
        match = re.match(r"^(\d{5})\s+(.+)$", line.strip())
        if match:
            postcode, city = match.groups()
        else:
            street.append(line.strip())
    return name, street, postcode, city


def invoice_cii_xml(invoice: Invoice, *, xrechnung: bool = False) -> bytes:
    """The invoice as UN/CEFACT CII XML (EN 16931; with ``xrechnung`` the XRechnung 3.0 guideline and the Leitweg-ID)."""
    site = SiteSettings.load()
    terms = billing_terms_for(invoice.customer)
    lines = list(invoice.lines.all())
    totals = invoice_totals(lines, small_business=invoice.small_business)
    customer = invoice.customer

    root = etree.Element(f"{{{RSM}}}CrossIndustryInvoice", nsmap=NSMAP)
    context = _el(root, "rsm:ExchangedDocumentContext")
    if xrechnung:
        _el(_el(context, "ram:BusinessProcessSpecifiedDocumentContextParameter"), "ram:ID", PEPPOL_PROCESS)
    _el(_el(context, "ram:GuidelineSpecifiedDocumentContextParameter"), "ram:ID", XRECHNUNG if xrechnung else EN16931)

    document = _el(root, "rsm:ExchangedDocument")
    _el(document, "ram:ID", invoice.number)
    _el(document, "ram:TypeCode", "381" if invoice.cancels_id else "380")
    _date(document, "ram:IssueDateTime", invoice.date)
    if invoice.small_business:
        _el(_el(document, "ram:IncludedNote"), "ram:Content", SMALL_BUSINESS_NOTE)
    if invoice.cost_bearer_id:
        note = f"Leistungsempfänger: {customer.display_name}"
        if invoice.insurance_number:
            note += f", Versichertennummer: {invoice.insurance_number}"
        _el(_el(document, "ram:IncludedNote"), "ram:Content", note)

    transaction = _el(root, "rsm:SupplyChainTradeTransaction")
    for position, line in enumerate(lines, start=1):
        item = _el(transaction, "ram:IncludedSupplyChainTradeLineItem")
        _el(_el(item, "ram:AssociatedDocumentLineDocument"), "ram:LineID", position)
        _el(_el(item, "ram:SpecifiedTradeProduct"), "ram:Name", line.description)
        agreement = _el(item, "ram:SpecifiedLineTradeAgreement")
        _el(_el(agreement, "ram:NetPriceProductTradePrice"), "ram:ChargeAmount", _amount(line.unit_price))
        _el(_el(item, "ram:SpecifiedLineTradeDelivery"), "ram:BilledQuantity", f"{line.quantity:f}", unitCode="C62")
        settlement = _el(item, "ram:SpecifiedLineTradeSettlement")
        rate = Decimal("0") if invoice.small_business else line.vat_rate
        tax = _el(settlement, "ram:ApplicableTradeTax")
        _el(tax, "ram:TypeCode", "VAT")
        _el(tax, "ram:CategoryCode", _category(rate, invoice.small_business, line.vat_exemption)[0])
        _el(tax, "ram:RateApplicablePercent", _rate(rate))
        if line.period_start and line.period_end:
            period = _el(settlement, "ram:BillingSpecifiedPeriod")
            _date(period, "ram:StartDateTime", line.period_start)
            _date(period, "ram:EndDateTime", line.period_end)
        summation = _el(settlement, "ram:SpecifiedTradeSettlementLineMonetarySummation")
        _el(summation, "ram:LineTotalAmount", _amount(line_amount(line.quantity, line.unit_price)))

    agreement = _el(transaction, "ram:ApplicableHeaderTradeAgreement")
    buyer = invoice_recipient(invoice)
    if customer.leitweg_id and buyer.source != "cost_bearer":
        _el(agreement, "ram:BuyerReference", customer.leitweg_id)
    elif buyer.source == "cost_bearer" and invoice.insurance_number:
        _el(agreement, "ram:BuyerReference", invoice.insurance_number)
    sender = [line for line in site.invoice_sender.splitlines() if line.strip()]
    name, street, postcode, city = _seller_address(sender)
    _party(agreement, "ram:SellerTradeParty", name, street, postcode, city, "DE", site.invoice_vat_id)
    _party(agreement, "ram:BuyerTradeParty", buyer.name, [buyer.street] if buyer.street else [],
           buyer.postcode, buyer.city, buyer.country, buyer.vat_id)

    delivery = _el(transaction, "ram:ApplicableHeaderTradeDelivery")
    if invoice.period_end or invoice.date:
        _date(_el(delivery, "ram:ActualDeliverySupplyChainEvent"), "ram:OccurrenceDateTime", invoice.period_end or invoice.date)

    settlement = _el(transaction, "ram:ApplicableHeaderTradeSettlement")
    _el(settlement, "ram:InvoiceCurrencyCode", "EUR")
    iban = re.search(r"\b([A-Z]{2}\d{2}(?:\s?[0-9A-Z]{4}){3,7}(?:\s?[0-9A-Z]{1,3})?)\b", site.invoice_bank_details or "")
    if iban:
        means = _el(settlement, "ram:SpecifiedTradeSettlementPaymentMeans")
        _el(means, "ram:TypeCode", "58")
        _el(_el(means, "ram:PayeePartyCreditorFinancialAccount"), "ram:IBANID", iban.group(1).replace(" ", ""))
    for code, reason, rate, basis, vat in _tax_breakdown(lines, totals, invoice.small_business):
        tax = _el(settlement, "ram:ApplicableTradeTax")
        _el(tax, "ram:CalculatedAmount", _amount(vat))
        _el(tax, "ram:TypeCode", "VAT")
        if reason:
            _el(tax, "ram:ExemptionReason", reason)
        _el(tax, "ram:BasisAmount", _amount(basis))
        _el(tax, "ram:CategoryCode", code)
        if code == "E" and invoice.small_business:
            _el(tax, "ram:ExemptionReasonCode", "VATEX-EU-132")
        _el(tax, "ram:RateApplicablePercent", _rate(rate))
    if invoice.period_start and invoice.period_end:
        period = _el(settlement, "ram:BillingSpecifiedPeriod")
        _date(period, "ram:StartDateTime", invoice.period_start)
        _date(period, "ram:EndDateTime", invoice.period_end)
    payment = _el(settlement, "ram:SpecifiedTradePaymentTerms")
    _el(payment, "ram:Description", f"Zahlbar innerhalb von {terms.payment_days} Tagen ohne Abzug.")
    if invoice.due_date:
        _date(payment, "ram:DueDateDateTime", invoice.due_date)
    summation = _el(settlement, "ram:SpecifiedTradeSettlementHeaderMonetarySummation")
    _el(summation, "ram:LineTotalAmount", _amount(totals.net))
    _el(summation, "ram:TaxBasisTotalAmount", _amount(totals.net))
    _el(summation, "ram:TaxTotalAmount", _amount(totals.vat), currencyID="EUR")
    _el(summation, "ram:GrandTotalAmount", _amount(totals.gross))
    _el(summation, "ram:DuePayableAmount", _amount(totals.gross))
    if invoice.cancels_id:
        reference = _el(settlement, "ram:InvoiceReferencedDocument")
        _el(reference, "ram:IssuerAssignedID", invoice.cancels.number)
        issued = _el(reference, "ram:FormattedIssueDateTime")
        _el(issued, "qdt:DateTimeString", invoice.cancels.date.strftime("%Y%m%d"), format="102")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def invoice_facturx_pdf(invoice: Invoice) -> bytes:
    """The invoice PDF with the EN 16931 CII XML embedded (ZUGFeRD/Factur-X, PDF/A-3)."""
    from facturx import generate_from_binary

    from fortycrm.invoice_document import invoice_pdf

    return generate_from_binary(invoice_pdf(invoice), invoice_cii_xml(invoice), flavor="factur-x", level="en16931", check_xsd=True)

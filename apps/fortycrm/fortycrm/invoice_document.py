"""The invoice document (R-BIL-5): a PDF per issued invoice (WeasyPrint), German by default."""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string
from django.utils import translation

from fortycrm.models import Invoice, SiteSettings
from fortycrm.models.billing import money
from fortycrm.services.billing import billing_terms_for, invoice_totals, line_amount


def _address(obj) -> list[str]:
    lines = [getattr(obj, "street", "")]
    lines.append(" ".join(p for p in (getattr(obj, "postcode", ""), getattr(obj, "city", "")) if p))
    country = getattr(obj, "country", "")
    if country and country != "DE":
        lines.append(country)
    return [line for line in lines if line]


def invoice_context(invoice: Invoice) -> dict[str, Any]:
    site = SiteSettings.load()
    terms = billing_terms_for(invoice.customer)
    lines = list(invoice.lines.all())
    totals = invoice_totals(lines, small_business=invoice.small_business)
    customer = invoice.customer
    recipient = [customer.display_name, *_address(customer)]
    return {
        "invoice": invoice,
        "letterhead": terms.letterhead or site.invoice_letterhead,
        "sender": [line for line in site.invoice_sender.splitlines() if line.strip()],
        "sender_vat_id": site.invoice_vat_id,
        "bank": [line for line in site.invoice_bank_details.splitlines() if line.strip()],
        "recipient": recipient,
        "customer_number": customer.number,
        "location": invoice.location,
        "location_address": ", ".join(_address(invoice.location)) if invoice.location else "",
        "lines": [
            {"line": line, "amount": money(line_amount(line.quantity, line.unit_price)), "unit_price": money(line.unit_price),
             "quantity": f"{line.quantity:n}".replace(".", ","), "vat_rate": f"{line.vat_rate.normalize():f}"}
            for line in lines
        ],
        "by_rate": [{"rate": f"{r.rate.normalize():f}", "net": money(r.net), "vat": money(r.vat)} for r in totals.by_rate],
        "net": money(totals.net),
        "vat": money(totals.vat),
        "gross": money(totals.gross),
        "small_business": invoice.small_business,
        "terms": terms,
        "cancels": invoice.cancels,
    }


def invoice_html(invoice: Invoice, *, language: str = "de") -> str:
    with translation.override(language):
        return render_to_string("fortycrm/billing/invoice_pdf.html", invoice_context(invoice))


def invoice_pdf(invoice: Invoice, *, language: str = "de") -> bytes:
    """The invoice as PDF bytes."""
    from weasyprint import HTML

    return HTML(string=invoice_html(invoice, language=language)).write_pdf()


def invoice_filename(invoice: Invoice, suffix: str = "pdf") -> str:
    return f"Rechnung-{invoice.number or 'Entwurf-' + str(invoice.pk)}.{suffix}"

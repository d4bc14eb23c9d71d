"""The invoice document (R-BIL-5): a PDF per issued invoice (WeasyPrint), German by default."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

from fortycrm.models import Invoice, SiteSettings
from fortycrm.models.billing import money
from fortycrm.services.billing import BillingTerms, billing_terms_for, invoice_recipient, invoice_totals, line_amount


def _address(obj) -> list[str]:
    lines = [getattr(obj, "street", "")]
    lines.append(" ".join(p for p in (getattr(obj, "postcode", ""), getattr(obj, "city", "")) if p))
    country = getattr(obj, "country", "")
    if country and country != "DE":
        lines.append(country)
    return [line for line in lines if line]


def invoice_context(invoice: Invoice, *, terms: BillingTerms | None = None) -> dict[str, Any]:
    site = SiteSettings.load()
    terms = terms or billing_terms_for(invoice.customer)
    lines = list(invoice.lines.all())
    totals = invoice_totals(lines, small_business=invoice.small_business)
    customer = invoice.customer
    to = invoice_recipient(invoice)
    recipient = [to.name, *to.address_lines]
    return {
        "invoice": invoice,
        "letterhead": terms.letterhead,
        # a picture letterhead (Briefpapier, PNG/JPEG) is the page background; a PDF one is laid under the pages
        "letterhead_image": _image_uri(terms.letterhead_file),
        "sender": [line for line in site.invoice_sender.splitlines() if line.strip()],
        "sender_vat_id": site.invoice_vat_id,
        "bank": [line for line in site.invoice_bank_details.splitlines() if line.strip()],
        "recipient": recipient,
        "references": to.references,
        "exemptions": sorted({line.vat_exemption for line in lines if line.vat_exemption and not invoice.small_business}),
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


def invoice_html(invoice: Invoice, *, language: str = "de", terms: BillingTerms | None = None) -> str:
    with translation.override(language):
        return render_to_string("fortycrm/billing/invoice_pdf.html", invoice_context(invoice, terms=terms))


def _image_uri(file) -> str:
    if file is None or Path(file.name).suffix.lower() not in {".png", ".jpg", ".jpeg"}:
        return ""
    return Path(file.path).as_uri()


def invoice_pdf(invoice: Invoice, *, language: str = "de") -> bytes:
    """The invoice as PDF bytes, on the customer's letterhead (customer settings) where one is chosen."""
    from weasyprint import HTML

    terms = billing_terms_for(invoice.customer)
    # base_url: only this site's own files (the letterhead picture) are read
    pdf = HTML(string=invoice_html(invoice, language=language, terms=terms), base_url=str(Path(settings.MEDIA_ROOT))).write_pdf()
    letterhead = terms.letterhead_file
    if letterhead is not None and Path(letterhead.name).suffix.lower() == ".pdf":
        pdf = _under_letterhead(pdf, letterhead)
    return pdf


def _under_letterhead(pdf: bytes, letterhead) -> bytes:
    """Lay every page of ``pdf`` over the first page of the letterhead PDF (pypdf)."""
    import io

    from pypdf import PdfReader, PdfWriter

    with letterhead.open("rb") as f:
        background = PdfReader(io.BytesIO(f.read())).pages[0]
    writer = PdfWriter()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        sheet = writer.add_blank_page(width=page.mediabox.width, height=page.mediabox.height)
        sheet.merge_page(background)
        sheet.merge_page(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def invoice_filename(invoice: Invoice, suffix: str = "pdf") -> str:
    return f"Rechnung-{invoice.number or 'Entwurf-' + str(invoice.pk)}.{suffix}"

"""R-BIL-5: the invoice PDF holds number, totals, the customer address, VAT breakdown and the § 19 note."""

from __future__ import annotations

import shutil
import subprocess
from decimal import Decimal

import pytest

from fortycrm.invoice_document import invoice_pdf
from fortycrm.models import SiteSettings
from fortycrm.services import billing
from tests.billing.conftest import draft_with_lines

pytestmark = pytest.mark.django_db


def pdf_text(data: bytes, tmp_path) -> str:
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) is not installed; bin/test installs it")
    path = tmp_path / "rechnung.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def test_pdf_text_holds_number_totals_and_address(customer, tmp_path):
    SiteSettings.objects.update_or_create(pk=1, defaults={
        "invoice_sender": "Glanz GmbH\nHauptstraße 1\n10115 Berlin", "invoice_bank_details": "IBAN DE02 1203 0000 0000 2020 51",
    })
    invoice = billing.invoice_issue(invoice=draft_with_lines(customer, [
        {"description": "Unterhaltsreinigung", "quantity": Decimal("1"), "unit_price": Decimal("1234.50")},
        {"description": "Fachbuch", "quantity": Decimal("1"), "unit_price": Decimal("10.00"), "vat_rate": Decimal("7")},
    ]))
    text = pdf_text(invoice_pdf(invoice), tmp_path)
    assert f"{invoice.number}" in text and "Rechnung" in text
    assert "Hausverwaltung Nord GmbH" in text and "Hafenweg 5" in text and "20457 Hamburg" in text
    assert "1.244,50" in text  # net
    assert "234,56" in text and "0,70" in text  # VAT 19 % on 1,234.50 and 7 % on 10.00
    assert "1.479,76" in text  # gross
    assert "IBAN DE02" in text and invoice.due_date.strftime("%d.%m.%Y") in text


def test_pdf_small_business_note(customer, tmp_path):
    SiteSettings.objects.update_or_create(pk=1, defaults={"small_business": True})
    invoice = billing.invoice_issue(invoice=draft_with_lines(customer, [
        {"description": "Reinigung", "quantity": Decimal("1"), "unit_price": Decimal("100.00")}]))
    assert invoice.vat_total == Decimal("0.00") and invoice.gross_total == Decimal("100.00")
    text = pdf_text(invoice_pdf(invoice), tmp_path)
    assert "§ 19 UStG" in text


def _letterhead(name: str, filename: str, content: bytes):
    from django.core.files.base import ContentFile

    from fortycrm.models import Letterhead

    letterhead = Letterhead(name=name)
    letterhead.file.save(filename, ContentFile(content), save=False)
    letterhead.save()
    return letterhead


def test_pdf_lies_on_the_customers_pdf_letterhead(customer, tmp_path):
    """Kundeneinstellungen → Briefpapier (a PDF): every invoice page is printed over it."""
    from weasyprint import HTML

    from fortycrm.models import CustomerSettings

    background = HTML(string="<p style='margin-top:270mm'>Briefpapier Glanz GmbH · Amtsgericht Berlin HRB 1</p>").write_pdf()
    CustomerSettings.objects.create(customer=customer, letterhead=_letterhead("Glanz", "glanz.pdf", background))
    invoice = billing.invoice_issue(invoice=draft_with_lines(customer, [
        {"description": "Unterhaltsreinigung", "quantity": Decimal("1"), "unit_price": Decimal("100.00")},
    ]))
    text = pdf_text(invoice_pdf(invoice), tmp_path)
    assert "Briefpapier" in text and "Amtsgericht Berlin HRB 1" in text and f"{invoice.number}" in text and "Hausverwaltung Nord GmbH" in text


def test_a_picture_letterhead_is_the_page_background(customer):
    import io

    from PIL import Image

    from fortycrm.invoice_document import invoice_html
    from fortycrm.models import CustomerSettings

    picture = io.BytesIO()
    Image.new("RGB", (210, 297), "white").save(picture, format="PNG")
    CustomerSettings.objects.create(customer=customer, letterhead=_letterhead("Bild", "kopf.png", picture.getvalue()))
    invoice = draft_with_lines(customer, [{"description": "X", "quantity": Decimal("1"), "unit_price": Decimal("1.00")}])
    html = invoice_html(invoice)
    assert "background: url(\"file://" in html and ".png" in html
    assert invoice_pdf(invoice).startswith(b"%PDF")

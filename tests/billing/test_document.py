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

"""Writes the fixture files of issue 16 ("Import, second pass") in tests/imports/fixtures/
(committed; run to regenerate):

    .venv/bin/python -m tests.imports.make_fixtures_second_pass

Written as the office programs write them: Excel's "CSV (Trennzeichen-getrennt)" is
``;``-separated Windows-1252 with CRLF, cells formatted ``#.##0`` come out as ``12.345``;
fortycrm's own export is UTF-8 with BOM, ``;`` and an apostrophe before formula-looking
values; an old ``.xls`` renamed to ``.csv`` starts with the OLE2 signature.
"""

from __future__ import annotations

import random
from pathlib import Path

from tests.imports.make_fixtures import _csv

FIXTURES = Path(__file__).resolve().parent / "fixtures"

FILES: dict[str, bytes] = {}

# item 1: German Excel, cells formatted #.##0 (thousands point) and 0,0 (decimal comma)
FILES["second_pass_thousands_de.csv"] = _csv(
    [
        ["Kundennummer", "Status", "Name *", "Stundensatz (€)", "Skonto (%)", "Skontotage", "Zahlungsziel (Tage)"],
        ["12.000", "Kunde", "Tausend Gebäudedienst GmbH", "1.234", "2,5", "10", "14"],
        ["20.500", "Kunde", "Zwanzig Reinigung AG", "1.234,50", "", "", "1.000"],
    ]
)
FILES["second_pass_thousands_bad.csv"] = _csv(
    [
        ["Kundennummer", "Status", "Name *", "Stundensatz (€)"],
        ["12,0", "Kunde", "Komma GmbH", ""],  # a customer number with a fractional part
        ["", "Kunde", "Punkt GmbH", "12.5"],  # a decimal point in a German file
    ]
)
# a ',' separated file with English headers: '.' is the decimal point …
FILES["second_pass_english_comma.csv"] = _csv(
    [
        ["Customer number", "Status", "Name *", "Hourly rate (€)"],
        ["12.000", "Kunde", "Dot Services Ltd", "45.5"],
    ],
    delimiter=",",
    encoding="utf-8",
)
# … unless a cell holds a number with decimal comma: then the file is German
FILES["second_pass_english_comma_decimal_comma.csv"] = _csv(
    [
        ["Customer number", "Status", "Name *", "Hourly rate (€)", "Discount (%)", "Discount days"],
        ["12.000", "Kunde", "Comma Services GmbH", "1.234", "2,5", "7"],
    ],
    delimiter=",",
    encoding="utf-8",
)

# item 2: an old Excel file renamed to .csv (OLE2 signature, then binary sectors)
FILES["second_pass_xls_renamed.csv"] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + random.Random(16).randbytes(4088)

# item 4: the customer export as fortycrm writes it (UTF-8 BOM, ';', CRLF, apostrophes)
FILES["second_pass_export_protected.csv"] = _csv(
    [
        ["Kundennummer *", "Name *", "Kurzname", "Telefon", "Mobil", "Notizen"],
        ["10001", "'@Home Service GmbH", "'-Süd-", "'+49 30 1234", "+49 171 5555", "'=HYPERLINK(\"x\")\nzweite Zeile"],
    ],
    encoding="utf-8",
    bom=True,
)

# item 6: a NUL byte and a vertical tab in cells
FILES["second_pass_control_chars.csv"] = _csv(
    [
        ["Name *", "Ort", "Notizen"],
        ["Nul\x00 GmbH", "Köln", "ok"],
        ["Vert GmbH", "Bonn", "Zeile\x0bmit VT"],
    ]
)

# item 7 and 8: the column names people write, tags with ';' and line breaks
FILES["second_pass_synonyms.csv"] = _csv(
    [
        ["Kd.-Nr.", "Firmenname", "Straße und Hausnummer", "Postleitzahl", "Ort", "Telefonnummer", "E-Mail-Adresse", "Schlagworte", "Bemerkung"],
        ["", "Synonym Gebäudeservice GmbH", "Hauptstraße 5a", "01067", "Dresden", "+49 351 123", "info@synonym.de", "Winterdienst; Glasreinigung\nBüro", "Tor 2"],
    ]
)
FILES["second_pass_typo_headers.csv"] = _csv(
    [
        ["Firma", "Postleitzal", "Ort", "Telefon 2"],
        ["Tippfehler GmbH", "10115", "Berlin", "030 1"],
    ]
)
FILES["second_pass_missing_mandatory.csv"] = _csv(
    [
        ["Firmenbezeichnung", "PLZ"],
        ["Ohne Name GmbH", "10115"],
    ]
)

# item 9: messages name "Spalte F (PLZ)" and show the whole value
FILES["second_pass_messages.csv"] = _csv(
    [
        ["Name *", "Kurzname", "Straße", "Ort", "Land", "PLZ", "Kunde seit", "E-Mail"],
        ["Meldung GmbH", "", "", "", "DE", "", "+49 30 1234", "info(at)meldung.de"],
    ]
)


def write_all(target: Path = FIXTURES) -> list[Path]:
    target.mkdir(parents=True, exist_ok=True)
    for name, data in FILES.items():
        (target / name).write_bytes(data)
    return [target / name for name in FILES]


if __name__ == "__main__":
    for p in write_all():
        print(p)

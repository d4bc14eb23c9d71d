"""Writes the import test files in tests/imports/fixtures/ (committed; run to regenerate):

    .venv/bin/python -m tests.imports.make_fixtures

The files are what German offices produce: Excel's "CSV (Trennzeichen-getrennt)" is
``;``-separated Windows-1252 with German dates; "CSV UTF-8" has a BOM; XLSX has real
date cells and postcodes stored as numbers.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def _csv(rows: list[list[str]], *, delimiter: str = ";", encoding: str = "cp1252", bom: bool = False) -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    data = out.getvalue().encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


COMPANY_HEADER = ["Kundennummer", "Status", "Name *", "Kurzname", "Straße", "PLZ", "Ort", "Telefon", "E-Mail", "Kundenbetreuer", "Schlagwörter", "Kunde seit", "Rechnungen zusammenfassen", "Notizen"]

FILES: dict[str, bytes] = {}

# 1. German Excel CSV: ';', Windows-1252, umlauts, German dates, odd header spelling,
#    empty trailing columns and rows.
FILES["company_customers_cp1252.csv"] = _csv(
    [
        ["kundennummer", " STATUS ", "name*", "Kurzname", "Straße", "plz", "Ort", "Telefon", "E-Mail", "Kundenbetreuer", "Schlagwörter", "Kunde seit", "Rechnungen zusammenfassen", "Notizen", "", ""],
        ["", "Kunde", "Müller Gebäudereinigung GmbH", "Müller", "Königsallee 1", "40212", "Düsseldorf", "0211 123456", "info@mueller-reinigung.de", "olga", "Reinigung, Großkunde", "31.12.2020", "ja", "Schlüssel beim Pförtner", "", ""],
        ["", "Interessent", "Schäfer Hausmeisterdienste e.K.", "", "Straße des 17. Juni 5", "10623", "Berlin", "", "kontakt@schaefer-hm.de", "olga@example.com", "hausmeister", "1.2.2021", "nein", "", "", ""],
        ["20500", "Kunde", "Öko-Service Weiß AG", "Weiß", "Marktplatz 3", "01067", "Dresden", "", "", "", "", "2019-05-01", "", "", "", ""],
        ["", "", "", "", "", "", "", "", "", "", "", "", "", "", "", ""],
        ["", "", "", "", "", "", "", "", "", "", "", "", "", "", "", ""],
    ]
)

# 2. "CSV UTF-8" from Excel: BOM, ',' separator, ISO dates, quoted comma in tags.
FILES["company_customers_utf8_bom_comma.csv"] = _csv(
    [
        ["Name *", "PLZ", "Ort", "Status", "Schlagwörter", "Kunde seit", "Kunde bis"],
        ["Zürcher Glas & Rahmen GmbH", "80331", "München", "Kunde", "Glas, Süd", "2021-03-01", "2026-12-31"],
        ["Brückner Facility KG", "20095", "Hamburg", "", "", "", ""],
    ],
    delimiter=",",
    encoding="utf-8",
    bom=True,
)

FILES["private_customers.csv"] = _csv(
    [
        ["Anrede", "Titel", "Vorname", "Nachname *", "Straße", "PLZ", "Ort", "E-Mail", "Status", "Kunde seit"],
        ["Frau", "Dr.", "Erika", "Mustermann", "Lindenweg 2", "50667", "Köln", "erika@example.de", "Kunde", "15.03.2022"],
        ["Herr", "", "Jürgen", "Weiß", "Am Hang 7", "70173", "Stuttgart", "", "", ""],
    ],
    encoding="utf-8",
)

# contacts / locations / meters / readings refer to customers 10001 (company "Hansa
# Reinigung GmbH") and 10002 (private "Petra Schulz") that the tests create first.
FILES["locations.csv"] = _csv(
    [
        ["Kundennummer *", "Name *", "Straße", "PLZ", "Ort", "Zugangshinweise", "Separat abrechnen"],
        ["10001", "Bürohaus Hafen", "Kaistraße 4", "20457", "Hamburg", "Schlüssel Nr. 7 beim Hausmeister", "ja"],
        ["10001", "Lager Süd", "Industriestraße 9", "21079", "Hamburg", "", ""],
    ]
)
FILES["contacts.csv"] = _csv(
    [
        ["Kundennummer *", "Objekt", "Anrede", "Vorname", "Nachname *", "Funktion", "E-Mail", "Priorität", "Geburtstag"],
        ["10001", "Bürohaus Hafen", "Herr", "Klaus", "Störtebeker", "Hausmeister", "klaus@hansa.de", "1", ""],
        ["10001", "", "Frau", "Anke", "Jürgens", "Geschäftsführerin", "", "2", ""],
        ["10002", "", "Frau", "Maria", "Schulz", "Tochter", "", "1", "29.02.1960"],
    ]
)
FILES["meters.csv"] = _csv(
    [
        ["Kundennummer *", "Objekt *", "Art *", "Zählernummer *", "Einheit *", "Kommentar", "Eingebaut am"],
        ["10001", "Bürohaus Hafen", "Strom", "1ESY-4711", "kWh", "Keller, Raum 0.12", "01.01.2020"],
        ["10001", "Bürohaus Hafen", "Wasser", "W-0815", "m³", "", ""],
    ]
)
FILES["readings.csv"] = _csv(
    [
        ["Zählernummer *", "Ablesezeitpunkt *", "Zählerstand *", "Zählerwechsel", "Kommentar"],
        ["1ESY-4711", "01.01.2024 08:00", "1.234,5", "", "Jahresablesung"],
        ["1ESY-4711", "01.01.2025", "2345,75", "nein", ""],
        ["1ESY-4711", "2025-06-30 12:30", "12,5", "ja", "neuer Zähler"],
        ["W-0815", "31.12.2024", "17", "", ""],
    ]
)

# every error kind of a customer file (one or two per row)
FILES["company_customers_bad.csv"] = _csv(
    [
        COMPANY_HEADER + ["Kunde bis", "Land", "Webseite"],
        ["", "Stammkunde", "Alpha GmbH", "", "", "11111", "", "", "", "", "", "", "", "", "", "", ""],  # 2 unknown status
        ["", "Kunde", "Beta GmbH", "", "", "22222", "", "", "", "niemand", "", "", "", "", "", "", ""],  # 3 unknown user
        ["", "Kunde", "Gamma GmbH", "", "", "33333", "", "", "", "nogroup", "", "", "", "", "", "", ""],  # 4 user not in group
        ["", "Kunde", "Delta GmbH", "", "", "44444", "", "", "", "", "", "31.13.2020", "", "", "", "", ""],  # 5 bad date
        ["", "Kunde", "Epsilon GmbH", "", "", "55555", "", "", "keine-mail", "", "", "", "", "", "", "", ""],  # 6 bad e-mail
        ["", "Kunde", "", "Zeta", "", "66666", "", "", "", "", "", "", "", "", "", "", ""],  # 7 missing name
        ["10001", "Kunde", "Eta GmbH", "", "", "77777", "", "", "", "", "", "", "", "", "", "", ""],  # 8 number taken
        ["30000", "Kunde", "Theta GmbH", "", "", "88888", "", "", "", "", "", "", "", "", "", "", ""],  # 9 first 30000
        ["30000", "Kunde", "Iota GmbH", "", "", "99999", "", "", "", "", "", "", "", "", "", "", ""],  # 10 30000 again
        ["30001", "Interessent", "Kappa GmbH", "", "", "12121", "", "", "", "", "", "", "", "", "", "", ""],  # 11 number w/o numbered status
        ["", "Kunde", "Lambda GmbH", "", "", "13131", "", "", "", "", "", "01.01.2022", "vielleicht", "", "01.01.2021", "", ""],  # 12 bad bool, end < start
        ["", "Kunde", "My GmbH", "", "", "14141", "", "", "", "", "", "", "", "", "", "Deutschland", ""],  # 13 bad country
        ["abc", "Kunde", "Ny GmbH", "", "", "15151", "", "", "", "", "X" * 70, "", "", "", "", "", ""],  # 14 bad number, long tag
        ["", "Kunde", "Alpha GmbH", "", "", "11111", "", "", "", "", "", "", "", "", "", "", ""],  # 15 same name+postcode as row 2
        ["", "Kunde", "Hansa Reinigung GmbH", "", "", "20457", "", "", "", "", "", "", "", "", "", "", ""],  # 16 duplicate of DB customer
        ["", "Kunde", "Omikron GmbH", "", "", "16161", "", "", "info@hansa.de", "", "", "", "", "", "", "", ""],  # 17 same e-mail as DB customer
    ]
)

# the desk browser test: two bad rows, then the fixed file
FILES["desk_two_bad_rows.csv"] = _csv(
    [
        ["Name *", "PLZ", "Ort", "Status", "Kunde seit"],
        ["Nordlicht Reinigung GmbH", "24103", "Kiel", "Kunde", "01.04.2023"],
        ["Südwind Service GmbH", "79098", "Freiburg", "Stammkunde", "01.04.2023"],
        ["Westwerk Hausmeister GmbH", "44135", "Dortmund", "Kunde", "32.04.2023"],
    ]
)
FILES["desk_two_bad_rows_fixed.csv"] = _csv(
    [
        ["Name *", "PLZ", "Ort", "Status", "Kunde seit"],
        ["Nordlicht Reinigung GmbH", "24103", "Kiel", "Kunde", "01.04.2023"],
        ["Südwind Service GmbH", "79098", "Freiburg", "Kunde", "01.04.2023"],
        ["Westwerk Hausmeister GmbH", "44135", "Dortmund", "Kunde", "30.04.2023"],
    ]
)

FILES["company_customers_update.csv"] = _csv(
    [
        ["Kundennummer *", "Name *", "Ort", "Schlagwörter", "Kundenbetreuer", "Status"],
        ["10001", "Hansa Reinigung GmbH & Co. KG", "Hamburg-Altona", "Stammkunde, Nord", "olga", ""],
        ["10002", "", "Bremen", "", "", "ehemaliger Kunde"],
    ]
)

# issue 16 item 13: an old system's export whose account manager does not exist here (every 4th row)
FILES["unknown_account_manager.csv"] = _csv(
    [["Kundennummer", "Status", "Name *", "PLZ", "Ort", "Telefon", "Kundenbetreuer", "Schlagwörter"]]
    + [["", "Kunde", f"Gebäudedienst Nord {i} GmbH", "24103", "Kiel", f"0431 {1000 + i}", "bernd" if i % 4 == 0 else "olga", "Nord"]
       for i in range(40)]
)


def xlsx_company() -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Kundennummer", "Status", "Name *", "PLZ", "Ort", "Kunde seit", "Rechnungen zusammenfassen", "Kundenbetreuer", "Schlagwörter", None, None])
    sheet.append([None, "Kunde", "Sächsische Glasreinigung GmbH", 1067, "Dresden", dt.datetime(2021, 7, 1), True, "olga", "Glas", None, None])
    sheet.append([20700.0, "Kunde", "Thüringer Hausdienste GmbH", "99084", "Erfurt", "15.08.2022", "nein", None, None, None, None])
    sheet.append([None] * 11)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def write_all(target: Path = FIXTURES) -> list[Path]:
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for name, data in FILES.items():
        (target / name).write_bytes(data)
        written.append(target / name)
    path = target / "company_customers.xlsx"
    path.write_bytes(xlsx_company())
    written.append(path)
    return written


if __name__ == "__main__":
    for p in write_all():
        print(p)

"""Reading what German Excel writes (R-IMP-2).

CSV: ``;``, ``,`` or tab (sniffed), UTF-8 with or without BOM, UTF-16 (Excel's "Unicode
text"), otherwise Windows-1252. XLSX: openpyxl in read-only mode. Both are streamed row by
row. Headers are matched tolerantly (case, surrounding spaces, the ``*`` of mandatory
columns, German or English). Values: dates ``31.12.2026`` / ``2026-12-31``, decimal comma,
``ja``/``nein``.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from django.utils import timezone, translation
from django.utils.translation import gettext as _

from fortycrm.imports import columns
from fortycrm.imports.columns import Column, Template
from fortycrm.tagnames import parse_tag_names

LANGUAGES = ("de", "en")
XLSX_MAGIC = b"PK\x03\x04"


class FileError(Exception):
    """The file as a whole cannot be read; the message says why and what to do."""


class ConvertError(Exception):
    """One cell cannot be understood; the message is the hint shown to the user."""


@dataclass
class Table:
    headers: list[str]
    rows: Iterator[tuple[int, list[Any]]]  # (row number as Excel shows it, cell values)
    kind: str  # "csv" or "xlsx"
    encoding: str = ""
    delimiter: str = ""


# --- files ------------------------------------------------------------------------------


def _is_xlsx(f: IO[bytes], file_name: str) -> bool:
    f.seek(0)
    head = f.read(4)
    f.seek(0)
    return head == XLSX_MAGIC or file_name.lower().endswith((".xlsx", ".xlsm"))


def detect_encoding(f: IO[bytes]) -> str:
    """UTF-8 (with/without BOM) or UTF-16 when the bytes say so, else Windows-1252."""
    f.seek(0)
    head = f.read(4)
    f.seek(0)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        while chunk := f.read(1 << 20):
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
        return "utf-8"
    except UnicodeDecodeError:
        return "cp1252"
    finally:
        f.seek(0)


def sniff_delimiter(sample: str) -> str:
    """The separator of the first non-empty line: ``;``, ``,`` or tab (outside quotes)."""
    for line in sample.splitlines():
        if not line.strip():
            continue
        counts = {";": 0, ",": 0, "\t": 0}
        quoted = False
        for char in line:
            if char == '"':
                quoted = not quoted
            elif not quoted and char in counts:
                counts[char] += 1
        best = max(counts, key=lambda d: (counts[d], d == ";"))
        return best if counts[best] else ";"
    return ";"


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _lines(f: IO[bytes], encoding: str) -> Iterator[str]:
    """Decoded lines (keeping their line ends) without wrapping — and so closing — ``f``."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    pending = ""
    while chunk := f.read(1 << 16):
        pending += decoder.decode(chunk)
        *lines, pending = pending.split("\n")
        for line in lines:
            yield line + "\n"
    pending += decoder.decode(b"", final=True)
    if pending:
        yield pending


def _csv_table(f: IO[bytes]) -> Table:
    encoding = detect_encoding(f)
    sample = codecs.getincrementaldecoder(encoding)(errors="replace").decode(f.read(64 * 1024))
    f.seek(0)
    delimiter = sniff_delimiter(sample.lstrip("\ufeff"))
    reader = csv.reader(_lines(f, encoding), delimiter=delimiter)
    headers: list[str] | None = None
    row_no = 0
    for record in reader:
        row_no += 1
        if not any(not _blank(v) for v in record):
            continue
        headers = record
        break
    if headers is None:
        raise FileError(_("The file is empty. Fill in the template: the first row holds the column names, every further row one record."))
    headers[0] = headers[0].lstrip("\ufeff")

    def rows(start: int = row_no) -> Iterator[tuple[int, list[Any]]]:
        number = start
        for record in reader:
            number += 1
            if any(not _blank(v) for v in record):
                yield number, record

    return Table(headers=headers, rows=rows(), kind="csv", encoding=encoding, delimiter=delimiter)


def _xlsx_table(f: IO[bytes]) -> Table:
    import zipfile

    from openpyxl import load_workbook

    try:
        workbook = load_workbook(f, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise FileError(_("The file cannot be read as an Excel workbook (.xlsx): %(error)s. Save it again as .xlsx or CSV.") % {"error": exc})
    sheet = workbook.worksheets[0]
    iterator = sheet.iter_rows(values_only=True)
    headers: list[str] | None = None
    row_no = 0
    for record in iterator:
        row_no += 1
        if any(not _blank(v) for v in record):
            headers = ["" if v is None else str(v) for v in record]
            break
    if headers is None:
        workbook.close()
        raise FileError(_("The first sheet of the workbook is empty. Put the column names in the first row and the records below."))

    def rows(start: int = row_no) -> Iterator[tuple[int, list[Any]]]:
        number = start
        try:
            for record in iterator:
                number += 1
                if any(not _blank(v) for v in record):
                    yield number, list(record)
        finally:
            workbook.close()

    return Table(headers=headers, rows=rows(), kind="xlsx")


def open_table(f: IO[bytes], file_name: str = "") -> Table:
    """Open a CSV or XLSX file (binary, seekable) for streaming."""
    if _is_xlsx(f, file_name):
        return _xlsx_table(f)
    if file_name.lower().endswith(".xls"):
        raise FileError(_("Old Excel files (.xls) are not supported. Save the file as .xlsx or CSV and upload it again."))
    return _csv_table(f)


def count_rows(f: IO[bytes], file_name: str = "") -> int:
    """Data rows (non-empty, header excluded) — cheap pre-pass for progress and job decisions."""
    table = open_table(f, file_name)
    count = sum(1 for _row in table.rows)
    f.seek(0)
    return count


# --- headers ----------------------------------------------------------------------------


def normalize_header(text: Any) -> str:
    text = str(text or "").replace("\ufeff", "").strip()
    text = text.rstrip("*").strip()
    return " ".join(text.split()).casefold()


def header_lookup(template: Template) -> dict[str, Column]:
    lookup: dict[str, Column] = {}
    for column in template.columns:
        names = {column.key, column.key.replace("_", " ")}
        for language in LANGUAGES:
            with translation.override(language):
                names.add(str(column.label))
        names.update(column.aliases)
        for name in names:
            lookup.setdefault(normalize_header(name), column)
    return lookup


def header_label(column: Column) -> str:
    """The header as the template writes it (current language, mandatory marked)."""
    return f"{column.label} *" if column.required else str(column.label)


@dataclass
class HeaderMatch:
    by_index: dict[int, Column]
    problems: list[tuple[str, str, str]]  # (column, value, message) for row 1
    ignored: list[str]


def match_headers(template: Template, headers: list[str]) -> HeaderMatch:
    lookup = header_lookup(template)
    by_index: dict[int, Column] = {}
    problems: list[tuple[str, str, str]] = []
    ignored: list[str] = []
    seen: dict[str, int] = {}
    for index, raw in enumerate(headers):
        key = normalize_header(raw)
        if not key:
            continue
        column = lookup.get(key)
        if column is None:
            ignored.append(str(raw).strip())
            continue
        if column.key in seen:
            problems.append(
                (str(raw).strip(), str(raw).strip(), _("The column “%(name)s” appears twice (columns %(first)s and %(second)s). Delete one of them.")
                 % {"name": header_label(column), "first": column_letter(seen[column.key]), "second": column_letter(index)})
            )
            continue
        seen[column.key] = index
        by_index[index] = column
    for column in template.columns:
        if column.required and column.key not in seen:
            problems.append(
                (header_label(column), "", _("The mandatory column “%(name)s” is missing. Use the template's first row as column names; found: %(found)s.")
                 % {"name": header_label(column), "found": ", ".join(h.strip() for h in headers if str(h).strip()) or "–"})
            )
    return HeaderMatch(by_index=by_index, problems=problems, ignored=ignored)


def column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


# --- values -----------------------------------------------------------------------------

_DATE_DE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{2}|\d{4})$")
_DATE_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")
YES = {"ja", "j", "yes", "y", "x", "1", "wahr", "true", "✓", "✔"}
NO = {"nein", "n", "no", "0", "falsch", "false", "-"}


def display(value: Any) -> str:
    """A cell as text for messages and error files."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%d.%m.%Y %H:%M") if (value.hour, value.minute) != (0, 0) else value.strftime("%d.%m.%Y")
    if isinstance(value, dt.date):
        return value.strftime("%d.%m.%Y")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _date_from_text(text: str) -> dt.date:
    match = _DATE_DE.match(text)
    try:
        if match:
            day, month, year = (int(g) for g in match.groups())
            if len(match.group(3)) == 2:
                year += 2000 if year < 70 else 1900
            return dt.date(year, month, day)
        match = _DATE_ISO.match(text)
        if match:
            year, month, day = (int(g) for g in match.groups())
            return dt.date(year, month, day)
    except ValueError:
        pass
    raise ConvertError(_("“%(value)s” is not a valid date. Write dates as 31.12.2026 or 2026-12-31.") % {"value": text})


def to_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    text = text.split("T")[0] if _DATE_ISO.match(text.split("T")[0]) else text.split(" ")[0]
    return _date_from_text(text)


def to_datetime(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        moment = dt.datetime.combine(value, dt.time())
    else:
        text = str(value).strip().replace("T", " ")
        date_part, _sep, time_part = text.partition(" ")
        day = _date_from_text(date_part)
        clock = dt.time()
        if time_part.strip():
            match = _TIME.match(time_part.strip().removesuffix(" Uhr"))
            if not match:
                raise ConvertError(
                    _("“%(value)s” is not a valid time. Write date and time as 31.12.2026 14:30 or 2026-12-31 14:30.") % {"value": text}
                )
            hour, minute, second = int(match.group(1)), int(match.group(2)), int(match.group(3) or 0)
            if hour > 23 or minute > 59 or second > 59:
                raise ConvertError(_("“%(value)s” is not a valid time of day.") % {"value": text})
            clock = dt.time(hour, minute, second)
        moment = dt.datetime.combine(day, clock)
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def to_decimal(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise ConvertError(_("“%(value)s” is not a number.") % {"value": value})
    if isinstance(value, int | Decimal):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    text = str(value).strip().replace(" ", "").replace("\u00a0", "").replace("'", "")
    if "," in text and "." in text:
        if text.rfind(",") > text.rfind("."):
            text = text.replace(".", "").replace(",", ".")  # 1.234,56
        else:
            text = text.replace(",", "")  # 1,234.56
    elif "," in text:
        if text.count(",") > 1:
            raise ConvertError(_("“%(value)s” is not a number. Use a decimal comma, e.g. 1234,5.") % {"value": value})
        text = text.replace(",", ".")
    elif text.count(".") > 1:
        text = text.replace(".", "")  # 1.234.567
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ConvertError(_("“%(value)s” is not a number. Use digits with a decimal comma, e.g. 1234,5.") % {"value": value})
    if not number.is_finite():
        raise ConvertError(_("“%(value)s” is not a number. Use digits with a decimal comma, e.g. 1234,5.") % {"value": value})
    return number


def to_int(value: Any) -> int:
    if isinstance(value, bool):
        raise ConvertError(_("“%(value)s” is not a whole number.") % {"value": value})
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    text = str(value).strip().replace(" ", "")
    if re.fullmatch(r"\d+(?:[.,]0+)?", text):
        return int(re.split(r"[.,]", text)[0])
    raise ConvertError(_("“%(value)s” is not a whole number. Enter digits only, e.g. 10001.") % {"value": display(value)})


def to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    text = str(value).strip().casefold()
    if text in YES:
        return True
    if text in NO:
        return False
    raise ConvertError(_("“%(value)s” is not yes or no. Write ja/nein, yes/no, x or leave the cell empty.") % {"value": display(value)})


def choice_lookup(column: Column) -> dict[str, str]:
    lookup: dict[str, str] = {}
    for value, label in column.choices:
        lookup[value.casefold()] = value
        for language in LANGUAGES:
            with translation.override(language):
                lookup[str(label).casefold()] = value
    aliases = {"salutation": columns.SALUTATION_ALIASES, "kind": columns.METER_KIND_ALIASES}.get(column.key, {})
    lookup.update(aliases)
    return lookup


def to_choice(column: Column, value: Any) -> str:
    text = display(value).casefold()
    found = choice_lookup(column).get(text)
    if found is None:
        allowed = ", ".join(str(label) for _value, label in column.choices)
        raise ConvertError(_("“%(value)s” is not allowed here. Allowed values: %(allowed)s.") % {"value": display(value), "allowed": allowed})
    return found


def to_text(column: Column, value: Any) -> str:
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
        return str(int(value))
    if isinstance(value, dt.date):
        return display(value)
    return str(value).strip()


def german_postcode(postcode: Any, country: Any) -> Any:
    """Excel turns the German postcode 01067 into 1067 (in XLSX and in the CSV it saves):
    four digits in Germany get their leading zero back; Austria's and Switzerland's four
    digit postcodes stay as they are."""
    if isinstance(postcode, str) and len(postcode) == 4 and postcode.isdigit() and str(country or "DE").strip().upper() == "DE":
        return "0" + postcode
    return postcode


def convert(column: Column, value: Any) -> Any:
    """Convert one cell for ``column``; None for an empty cell. Raises ConvertError."""
    if _blank(value):
        return None
    kind = column.kind
    if kind == columns.CUSTOM:
        from django.core.exceptions import ValidationError

        from fortycrm import custom_fields

        try:
            stored = custom_fields.value_from_text(column.definition, value)
            custom_fields.value_check(column.definition, stored)
        except ValidationError as exc:
            raise ConvertError(" ".join(exc.messages)) from None
        return stored
    if kind == columns.INT:
        return to_int(value)
    if kind == columns.DECIMAL:
        return to_decimal(value)
    if kind == columns.DATE:
        return to_date(value)
    if kind == columns.DATETIME:
        return to_datetime(value)
    if kind == columns.BOOL:
        return to_bool(value)
    if kind == columns.CHOICE:
        return to_choice(column, value)
    if kind == columns.TAGS:
        return parse_tag_names(display(value))
    text = to_text(column, value)
    if kind == columns.EMAIL:
        return text.replace(" ", "")
    if kind == columns.URL and not re.match(r"^[a-z][a-z0-9+.-]*://", text, re.I):
        return "https://" + text
    return text

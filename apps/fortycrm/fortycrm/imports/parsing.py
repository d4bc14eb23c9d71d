"""Reading what German Excel writes (R-IMP-2).

CSV: ``;``, ``,`` or tab (sniffed), UTF-8 with or without BOM, UTF-16 (Excel's "Unicode
text"), otherwise Windows-1252. XLSX: openpyxl in read-only mode. Both are streamed row by
row. Headers are matched tolerantly (case, surrounding spaces, the ``*`` of mandatory
columns, German or English). Values: dates ``31.12.2026`` / ``2026-12-31``, decimal comma,
``ja``/``nein``.

Issue 16: whether ``.`` separates thousands or decimals is decided per file
(``number_style``); a file that cannot be read ends in a ``FileError`` (never a
traceback); cells lose exactly the apostrophe the export adds; control characters are
refused; headers are also matched by common German synonyms, and an unknown header that
resembles a template column is an error with "meinten Sie …?".
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from fortycrm.imports import columns
from fortycrm.imports.columns import Column, Template
from fortycrm.imports.results import Problem
from fortycrm.tagnames import parse_tag_names

LANGUAGES = ("de", "en")
XLSX_MAGIC = b"PK\x03\x04"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old Excel .xls, .doc, .msg …
GERMAN, ENGLISH = "de", "en"  # number styles: "1.234,5" / "1,234.5"
INT_MAX = 2**63 - 1  # the largest integer a database lookup takes (the models' validators set the real limits)
# the characters a cell may not hold (line breaks and tab are allowed)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# what the export puts an apostrophe before (files.neutralise); the import takes exactly one off
_PROTECTED = re.compile(r"^'+[=+\-@\t\r]")


class FileError(Exception):
    """The file as a whole cannot be read; the message says why and what to do."""

    def __init__(self, message: str, *, row: int = 1) -> None:
        super().__init__(message)
        self.row = row


class ConvertError(Exception):
    """One cell cannot be understood; the message is the hint shown to the user."""


@dataclass
class Table:
    headers: list[str]
    rows: Iterator[tuple[int, list[Any]]]  # (row number as Excel shows it, cell values)
    kind: str  # "csv" or "xlsx"
    encoding: str = ""
    delimiter: str = ""
    decimal_comma: bool = False  # a cell of the file is a number with decimal comma (CSV pre-scan)
    error: FileError | None = None  # set when reading stopped at an unreadable row (``rows`` ends there)


# --- files ------------------------------------------------------------------------------


def _is_xlsx(f: IO[bytes], file_name: str) -> bool:
    f.seek(0)
    head = f.read(4)
    f.seek(0)
    return head == XLSX_MAGIC or file_name.lower().endswith((".xlsx", ".xlsm"))


def _utf16_without_bom(head: bytes) -> str | None:
    """UTF-16 text saved without byte order mark (some "Unicode-Text" exports): in Latin text
    every second byte is NUL. ``utf-16-le``/``utf-16-be`` when the first bytes look so and decode."""
    head = head[: len(head) // 2 * 2]
    if len(head) < 8:
        return None
    even, odd = head[0::2], head[1::2]
    for encoding, zeros, text in (("utf-16-le", odd, even), ("utf-16-be", even, odd)):
        if zeros.count(0) * 10 >= len(zeros) * 9 and text.count(0) * 10 < len(text):
            try:
                codecs.getincrementaldecoder(encoding)().decode(head)  # a pair cut at the end is fine
            except UnicodeDecodeError:
                continue
            return encoding
    return None


def detect_encoding(f: IO[bytes]) -> str:
    """UTF-8 (with/without BOM) or UTF-16 (with BOM, or without one when every second byte is
    NUL) when the bytes say so, else Windows-1252."""
    f.seek(0)
    head = f.read(4)
    f.seek(0)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    without_bom = _utf16_without_bom(f.read(4096))
    f.seek(0)
    if without_bom:
        return without_bom
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


def _binary_problem(head: bytes, sample: str) -> str | None:
    """Why the bytes are no CSV text at all (an old Excel file, random or binary data), or None."""
    if head.startswith(OLE2_MAGIC):
        return _("The file is an old Excel file (.xls) or another Office document, not a CSV file. "
                 "Open it in Excel or LibreOffice and save it as .xlsx or “CSV (Trennzeichen-getrennt)”, then upload it again.")
    if not sample:
        return None
    strange = len(_CONTROL.findall(sample)) + sample.count("\ufffd")
    if strange > 10 and strange * 100 > len(sample):  # a stray NUL in a cell is reported per cell instead
        return _("The file is not a text file (CSV) but binary data. Upload the file as CSV (saved from Excel as "
                 "“CSV (Trennzeichen-getrennt)” or “CSV UTF-8”) or as .xlsx.")
    return None


def _csv_problem(exc: csv.Error, row: int) -> FileError:
    text = str(exc)
    if "field limit" in text:
        message = _("Row %(row)s cannot be read: a cell is longer than %(limit)s characters. Usually a quotation mark (\") "
                    "opens a cell and is never closed; check that row, or save the file again from Excel as CSV.") % {
            "row": row, "limit": f"{csv.field_size_limit():,}".replace(",", ".")}
    elif "new-line" in text or "newline" in text:
        message = _("Row %(row)s cannot be read: it holds a line break inside a cell without quotation marks. "
                    "Save the file again from Excel as “CSV (Trennzeichen-getrennt)” or upload it as .xlsx.") % {"row": row}
    else:
        message = _("Row %(row)s cannot be read as CSV. Save the file again from Excel as “CSV (Trennzeichen-getrennt)” "
                    "or upload it as .xlsx.") % {"row": row}
    return FileError(message, row=row)


_DECIMAL_COMMA = re.compile(r"[-+]?(\d{1,3}(\.\d{3})+|\d+),\d+")


def _has_decimal_comma(f: IO[bytes], encoding: str, delimiter: str) -> bool:
    """Pre-scan of a CSV not separated by ``;``: does any cell hold a number with decimal comma?"""
    try:
        for record in csv.reader(_lines(f, encoding), delimiter=delimiter):
            if any(_DECIMAL_COMMA.fullmatch(cell.strip()) for cell in record if "," in cell):
                return True
        return False
    except csv.Error:
        return False
    finally:
        f.seek(0)


def _csv_table(f: IO[bytes]) -> Table:
    f.seek(0)
    head = f.read(8)
    f.seek(0)
    encoding = detect_encoding(f)
    sample = codecs.getincrementaldecoder(encoding)(errors="replace").decode(f.read(64 * 1024))
    f.seek(0)
    problem = _binary_problem(head, sample.lstrip("\ufeff"))
    if problem:
        raise FileError(problem)
    delimiter = sniff_delimiter(sample.lstrip("\ufeff"))
    decimal_comma = delimiter != ";" and _has_decimal_comma(f, encoding, delimiter)
    reader = csv.reader(_lines(f, encoding), delimiter=delimiter)
    headers: list[str] | None = None
    row_no = 0
    try:
        for record in reader:
            row_no += 1
            if not any(not _blank(v) for v in record):
                continue
            headers = record
            break
    except csv.Error as exc:
        raise _csv_problem(exc, row_no + 1) from None
    if headers is None:
        raise FileError(_("The file is empty. Fill in the template: the first row holds the column names, every further row one record."))
    headers[0] = headers[0].lstrip("\ufeff")
    table = Table(headers=headers, rows=iter(()), kind="csv", encoding=encoding, delimiter=delimiter, decimal_comma=decimal_comma)

    def rows(start: int = row_no) -> Iterator[tuple[int, list[Any]]]:
        number = start
        try:
            for record in reader:
                number += 1
                if "".join(record).strip():  # a cell is not blank (the csv module gives str cells only)
                    yield number, record
        except csv.Error as exc:
            table.error = _csv_problem(exc, number + 1)

    table.rows = rows()
    return table


def _xlsx_table(f: IO[bytes]) -> Table:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(f, read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
        iterator = sheet.iter_rows(values_only=True)
    except Exception:  # noqa: BLE001 - openpyxl raises many kinds for a damaged or foreign file
        raise FileError(_("The file cannot be read as an Excel workbook (.xlsx); it is damaged or of another kind. "
                          "Open it in Excel or LibreOffice and save it again as .xlsx or CSV.")) from None
    headers: list[str] | None = None
    row_no = 0
    try:
        for record in iterator:
            row_no += 1
            if any(not _blank(v) for v in record):
                headers = ["" if v is None else str(v) for v in record]
                break
    except Exception:  # noqa: BLE001
        workbook.close()
        raise FileError(_("Row %(row)s of the workbook cannot be read; the file is damaged. Open it in Excel or LibreOffice and save it again.")
                        % {"row": row_no + 1}) from None
    if headers is None:
        workbook.close()
        raise FileError(_("The first sheet of the workbook is empty. Put the column names in the first row and the records below."))
    table = Table(headers=headers, rows=iter(()), kind="xlsx")

    def rows(start: int = row_no) -> Iterator[tuple[int, list[Any]]]:
        number = start
        try:
            for record in iterator:
                number += 1
                if any(not _blank(v) for v in record):
                    yield number, list(record)
        except Exception:  # noqa: BLE001
            table.error = FileError(_("Row %(row)s of the workbook cannot be read; the file is damaged. Open it in Excel or LibreOffice and save it again.")
                                    % {"row": number + 1}, row=number + 1)
        finally:
            workbook.close()

    table.rows = rows()
    return table


def open_table(f: IO[bytes], file_name: str = "") -> Table:
    """Open a CSV or XLSX file (binary, seekable) for streaming.

    Raises FileError when the file cannot be read at all; a row that cannot be read ends
    ``rows`` and sets ``table.error``.
    """
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
    text = unprotect(text).rstrip("*").strip()
    return " ".join(text.split()).casefold()


def compact_header(text: Any) -> str:
    """A header reduced to letters and digits: "E-Mail-Adresse", "E Mail Adresse" and
    "eMailadresse" are the same, so are "Straße"/"Strasse" and "Zähler"/"Zaehler"."""
    text = normalize_header(text)
    for umlaut, spelled in (("ä", "ae"), ("ö", "oe"), ("ü", "ue")):
        text = text.replace(umlaut, spelled)
    return re.sub(r"[^0-9a-z]", "", text)


def _header_names(column: Column, *, aliases: bool = True) -> dict[str, str]:
    """Every name of ``column`` (normalised) with the language it shows: GERMAN, ENGLISH or ""
    for a name both languages share ("Status"). ``aliases``: with the synonyms, or only
    the labels and the technical key."""
    names: dict[str, str] = {}
    labels = {}
    for language in LANGUAGES:
        with translation.override(language):
            labels[language] = normalize_header(column.label)
    if labels[GERMAN] == labels[ENGLISH]:
        names[labels[GERMAN]] = ""
    names.setdefault(labels[GERMAN], GERMAN)
    names.setdefault(labels[ENGLISH], ENGLISH)
    names.setdefault(normalize_header(column.key), ENGLISH)
    names.setdefault(normalize_header(column.key.replace("_", " ")), ENGLISH)
    if aliases:
        for alias in column.aliases:
            names.setdefault(normalize_header(alias), ENGLISH if alias in columns.ENGLISH_ALIASES else GERMAN)
    return names


def _all_names(template: Template) -> list[tuple[str, Column, str]]:
    """(name, column, language) of every column: labels and keys of all columns first, then the
    synonyms, so a label (a custom field "Vertragsbeginn") wins over another column's synonym."""
    result = [(name, c, language) for c in template.columns for name, language in _header_names(c, aliases=False).items()]
    labelled = {name for name, _c, _l in result}
    for column in template.columns:
        result += [(name, column, language) for name, language in _header_names(column).items() if name not in labelled]
    return result


def header_lookup(template: Template, *, aliases: bool = True) -> dict[str, Column]:
    lookup: dict[str, Column] = {}
    for column in template.columns:
        for name in _header_names(column, aliases=False):
            lookup.setdefault(name, column)
    if aliases:
        for name, column, _language in _all_names(template):
            lookup.setdefault(name, column)
    return lookup


def header_label(column: Column) -> str:
    """The header as the template writes it (current language, mandatory marked)."""
    return f"{column.label} *" if column.required else str(column.label)


def short(value: Any, limit: int = 120) -> str:
    text = display(value)
    return text if len(text) <= limit else text[:limit] + "…"


@dataclass
class HeaderMatch:
    by_index: dict[int, Column]
    problems: list[Problem]  # row 1: errors and warnings about the column names
    ignored: list[str]
    languages: set[str]  # GERMAN / ENGLISH: in which language the matched headers are written

    @property
    def letters(self) -> dict[str, str]:
        return {column.key: column_letter(index) for index, column in self.by_index.items()}


def match_headers(template: Template, headers: list[str]) -> HeaderMatch:
    """Which file column is which template column; unknown and repeated headers, missing mandatory columns."""
    lookup: dict[str, tuple[Column, str]] = {}
    compact: dict[str, tuple[Column, str]] = {}
    for name, column, language in _all_names(template):
        lookup.setdefault(name, (column, language))
        compact.setdefault(compact_header(name), (column, language))
    by_index: dict[int, Column] = {}
    problems: list[Problem] = []
    ignored: list[str] = []
    unknown: list[tuple[int, str]] = []
    languages: set[str] = set()
    seen: dict[str, int] = {}
    for index, raw in enumerate(headers):
        key = normalize_header(raw)
        if not key:
            continue
        found = lookup.get(key) or compact.get(compact_header(raw))
        if found is None:
            unknown.append((index, str(raw).strip()))
            continue
        column, language = found
        if column.key in seen:
            problems.append(Problem(
                row=1, column=short(raw), value=short(raw), letter=column_letter(index),
                message=_("The column “%(name)s” appears twice (columns %(first)s and %(second)s). Delete one of them.")
                % {"name": header_label(column), "first": column_letter(seen[column.key]), "second": column_letter(index)},
            ))
            continue
        if language:
            languages.add(language)
        seen[column.key] = index
        by_index[index] = column
    missing = [c for c in template.columns if c.required and c.key not in seen]
    for index, name in unknown:
        suggestion = _suggest(template, name, seen)
        if suggestion is None and missing:
            suggestion = missing[0]
        if suggestion is None:
            ignored.append(name)
            problems.append(Problem(
                row=1, column=short(name), value=short(name), letter=column_letter(index), level="warning",
                message=_("The column “%(name)s” is not part of the template “%(template)s” and is ignored.") % {"name": short(name), "template": template.title},
            ))
            continue
        problems.append(Problem(
            row=1, column=short(name), value=short(name), letter=column_letter(index),
            message=_("The column “%(name)s” is not part of the template “%(template)s”. Did you mean “%(suggestion)s”? "
                      "Rename the column to “%(suggestion)s”, or delete it if it holds something else.")
            % {"name": short(name), "template": template.title, "suggestion": header_label(suggestion)},
        ))
    for column in missing:
        problems.append(Problem(
            row=1, column=header_label(column), value="",
            message=_("The mandatory column “%(name)s” is missing. Use the template's first row as column names; found: %(found)s.")
            % {"name": header_label(column), "found": ", ".join(short(h, 40) for h in headers if str(h).strip()) or "–"},
        ))
    return HeaderMatch(by_index=by_index, problems=problems, ignored=ignored, languages=languages)


def _suggest(template: Template, name: str, taken: dict[str, int]) -> Column | None:
    """The template column an unknown header most likely means ("Postleitzal" → PLZ), or None."""
    import difflib

    wanted = compact_header(name)
    if len(wanted) < 3:
        return None
    candidates: dict[str, Column] = {}
    for candidate, column, _language in _all_names(template):
        key = compact_header(candidate)
        if len(key) >= 3:
            candidates.setdefault(key, column)
    close = difflib.get_close_matches(wanted, list(candidates), n=1, cutoff=0.8)
    if close:
        return candidates[close[0]]
    # "Telefon privat", "PLZ (Rechnung)": a known name at the start of the header
    for key, column in sorted(candidates.items(), key=lambda item: -len(item[0])):
        if len(key) >= 4 and wanted.startswith(key):
            return column
    return None


def number_style(table: Table, match: HeaderMatch) -> str | None:
    """Whether ``.`` separates thousands in this file (GERMAN) or decimals (ENGLISH); None: undecided.

    German: the file is ``;`` separated (Excel's German CSV), has a number with decimal
    comma, or German column names. English: ``,`` separated with English column names.
    """
    if table.delimiter == ";" or table.decimal_comma or GERMAN in match.languages:
        return GERMAN
    if ENGLISH in match.languages and table.delimiter in (",", "\t", ""):
        return ENGLISH
    return None


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
    return _CONTROL.sub(_visible, str(value).strip())


def _visible(match: re.Match) -> str:
    """A control character as messages show it: the Unicode picture (␀) or U+0085."""
    code = ord(match.group())
    return chr(0x2400 + code) if code < 0x20 else ("\u2421" if code == 0x7F else f"U+{code:04X}")


def unprotect(value: Any) -> Any:
    """Undo exactly the protection the export adds (``files.neutralise``): one apostrophe
    before ``= + - @``, tab or CR ("'+49 30 1234" → "+49 30 1234"); anything else stays."""
    if isinstance(value, str) and value.startswith("'") and _PROTECTED.match(value):
        return value[1:]
    return value


def control_problem(value: Any) -> str | None:
    """Why a cell cannot be stored: it holds a NUL byte or another control character."""
    if not isinstance(value, str):
        return None
    found = _CONTROL.search(value)
    if found is None:
        return None
    code = ord(found.group())
    name = {0: "NUL"}.get(code, f"U+{code:04X}")
    return _("“%(value)s” contains the invisible control character %(name)s (position %(position)s, shown as %(shown)s). "
             "Delete it in the cell; such characters come from damaged files or copied program output.") % {
        "value": display(value), "name": name, "position": found.start() + 1, "shown": _visible(found)}


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
    day = text.split("T")[0] if _DATE_ISO.match(text.split("T")[0]) else text.split(" ")[0]
    if day != text and not re.fullmatch(r"[\dT:. ]*", text[len(day):]):
        raise ConvertError(_("“%(value)s” is not a valid date. Write dates as 31.12.2026 or 2026-12-31.") % {"value": display(value)})
    try:
        return _date_from_text(day)
    except ConvertError:
        raise ConvertError(_("“%(value)s” is not a valid date. Write dates as 31.12.2026 or 2026-12-31.") % {"value": display(value)}) from None


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


_PLAIN_NUMBER = re.compile(r"-?\d+(?:,\d+)?")
_GROUPED_POINT = re.compile(r"\d{1,3}(\.\d{3})+")
_GROUPED_COMMA = re.compile(r"\d{1,3}(,\d{3})+")


def _not_a_number(value: Any) -> ConvertError:
    return ConvertError(_("“%(value)s” is not a number. Use digits with a decimal comma, e.g. 1234,5.") % {"value": display(value)})


def _number_text(value: Any, style: str | None) -> str:
    """Text as Python reads a number ("1234.5"), deciding what ``.`` and ``,`` mean by the
    file's ``style`` (GERMAN: 1.234,5; ENGLISH: 1,234.5; None: undecided)."""
    text = str(value).strip()
    for space in (" ", "\u00a0", "\u202f"):
        text = text.replace(space, "")
    sign = text[0] if text[:1] in ("-", "+") else ""
    body = text[len(sign):]
    if not body or not re.fullmatch(r"[\d.,]+", body) or not body[0].isdigit() or not body[-1].isdigit():
        raise _not_a_number(value)
    sign = "-" if sign == "-" else ""
    if "," in body and "." in body:  # both: the last one separates the decimals
        grouped, separator, decimals = (_GROUPED_POINT, ",", ".") if body.rfind(",") > body.rfind(".") else (_GROUPED_COMMA, ".", ",")
        whole, fraction = body.rsplit(separator, 1)
        if not grouped.fullmatch(whole) or not fraction.isdigit():
            raise _not_a_number(value)
        return sign + whole.replace(decimals, "") + "." + fraction
    if "," in body:
        if body.count(",") > 1:
            if style != GERMAN and _GROUPED_COMMA.fullmatch(body):
                return sign + body.replace(",", "")
            raise _not_a_number(value)
        whole, fraction = body.split(",")
        if style == ENGLISH and len(fraction) == 3:
            raise ConvertError(_("“%(value)s” is ambiguous: in this file the comma can separate thousands or decimals. "
                                 "Write the number without thousands separators, e.g. %(plain)s, or with a decimal point, e.g. %(decimal)s.")
                               % {"value": display(value), "plain": whole + fraction, "decimal": f"{whole}.{fraction}"})
        return sign + whole + "." + fraction
    if "." in body:
        if body.count(".") > 1:
            if style != ENGLISH and _GROUPED_POINT.fullmatch(body):
                return sign + body.replace(".", "")  # 1.014.512
            raise _not_a_number(value)
        whole, fraction = body.split(".")
        if style == GERMAN:
            if _GROUPED_POINT.fullmatch(body):
                return sign + whole + fraction  # 12.345 as Excel writes a cell formatted #.##0
            raise ConvertError(_("“%(value)s” is not a number in this file's German format: the point separates thousands "
                                 "(12.345) and the comma decimals (12,5). Write %(comma)s for a decimal number.")
                               % {"value": display(value), "comma": f"{sign}{whole},{fraction}"})
        if style is None and len(fraction) == 3:
            raise ConvertError(_("“%(value)s” is ambiguous: the point can separate thousands (German) or decimals (English), "
                                 "and this file shows neither. Write %(plain)s for the whole number or %(comma)s with a decimal comma.")
                               % {"value": display(value), "plain": f"{sign}{whole}{fraction}", "comma": f"{sign}{whole},{fraction}"})
        return sign + body
    return sign + body


def to_decimal(value: Any, style: str | None = None) -> Decimal:
    if isinstance(value, bool):
        raise ConvertError(_("“%(value)s” is not a number.") % {"value": value})
    if isinstance(value, int | Decimal):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    text = str(value).strip()
    if _PLAIN_NUMBER.fullmatch(text) and (style != ENGLISH or "," not in text):  # fast path: "1234", "-12,5"
        return Decimal(text.replace(",", "."))
    try:
        number = Decimal(_number_text(value, style))
    except InvalidOperation:
        raise _not_a_number(value) from None
    if not number.is_finite():
        raise _not_a_number(value)
    return number


def to_int(value: Any, style: str | None = None) -> int:
    """A whole number; never accepts a fractional part ("12,0" or "12.5" are refused; "12.000"
    is twelve thousand in a German file and refused as ambiguous elsewhere)."""
    if isinstance(value, bool):
        raise ConvertError(_("“%(value)s” is not a whole number.") % {"value": value})
    if isinstance(value, int | float | Decimal):  # an Excel number cell
        if not isinstance(value, int) and not (math.isfinite(value) and value == int(value)):
            raise _not_whole(value)
        number = int(value)
    else:
        text = str(value).strip()
        if text.isdecimal() and len(text) <= 20:
            number = int(text)  # the common case, without the separator rules below
        else:
            if not re.fullmatch(r"[\d.,\s\u00a0\u202f]+", text):
                raise _not_whole(value)
            digits = _number_text(text, style)  # may raise the "ambiguous" hint
            if not digits.isdecimal():
                raise _not_whole(value)
            number = int(digits) if len(digits) <= 20 else INT_MAX + 1
    if abs(number) > INT_MAX:
        raise ConvertError(_("“%(value)s” is too large for a whole number. Check the cell.") % {"value": display(value)})
    return number


def _not_whole(value: Any) -> ConvertError:
    return ConvertError(_("“%(value)s” is not a whole number. Enter digits only, e.g. 10001.") % {"value": display(value)})


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


_CUSTOM_FIELDS: Any = None


def _custom_fields():
    """``fortycrm.custom_fields``, imported on first use (it needs the models) and kept."""
    global _CUSTOM_FIELDS
    if _CUSTOM_FIELDS is None:
        from fortycrm import custom_fields

        _CUSTOM_FIELDS = custom_fields
    return _CUSTOM_FIELDS


def convert(column: Column, value: Any, style: str | None = None) -> Any:
    """Convert one cell for ``column``; None for an empty cell. Raises ConvertError.

    ``style``: the file's number style (``number_style``)."""
    if isinstance(value, str):
        if not value.isprintable():  # fast path: most cells hold no line break, tab or control character
            problem = control_problem(value)
            if problem:
                raise ConvertError(problem)
        if value[:1] == "'":
            value = unprotect(value)
        text = value.strip()
        if not text:
            return None
        kind = column.kind
        if kind == columns.TEXT:  # most cells: what to_text gives for a str
            return text
    elif value is None:
        return None
    kind = column.kind
    if kind == columns.CUSTOM:
        custom_fields = _custom_fields()
        if isinstance(value, str) and column.definition.type == custom_fields.Type.DECIMAL:
            value = to_decimal(value, style)
        elif isinstance(value, str) and column.definition.type == custom_fields.Type.INTEGER:
            text = value.strip()
            value = to_int(text.removeprefix("-"), style) * (-1 if text.startswith("-") else 1)
        try:
            stored = custom_fields.value_from_text(column.definition, value)
            custom_fields.value_check(column.definition, stored)
        except ValidationError as exc:
            raise ConvertError(" ".join(exc.messages)) from None
        return stored
    if kind == columns.INT:
        return to_int(value, style)
    if kind == columns.DECIMAL:
        return to_decimal(value, style)
    if kind == columns.DATE:
        return to_date(value)
    if kind == columns.DATETIME:
        return to_datetime(value)
    if kind == columns.BOOL:
        return to_bool(value)
    if kind == columns.CHOICE:
        return to_choice(column, value)
    if kind == columns.TAGS:
        text = str(value)
        if ";" in text or "\n" in text or "\r" in text:  # "Winterdienst; Glasreinigung", one per line
            text = text.replace(";", ",").replace("\r", ",").replace("\n", ",")
        return parse_tag_names(text)
    text = to_text(column, value)
    if kind == columns.EMAIL:
        return text.replace(" ", "")
    if kind == columns.URL and not re.match(r"^[a-z][a-z0-9+.-]*://", text, re.I):
        return "https://" + text
    return text

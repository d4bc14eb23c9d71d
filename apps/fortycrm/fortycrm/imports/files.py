"""Files the desk hands out: templates (CSV/XLSX) and the error file (R-IMP-1, R-IMP-3).

Every cell that a spreadsheet would run as a formula (starting with = + - @ tab or CR) is
neutralised with a leading apostrophe (R-IMP, issue item 7). The import takes exactly that
apostrophe off again (``parsing.unprotect``), so export → import changes nothing; a value
that itself starts with apostrophes before such a character gets one more, for the same reason.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from fortycrm.imports import columns
from fortycrm.imports.columns import Column, Template
from fortycrm.imports.parsing import header_label

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.lstrip("'").startswith(FORMULA_PREFIXES) else text


def _csv_bytes(rows: Iterable[Iterable[Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    for row in rows:
        writer.writerow([neutralise(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")  # BOM: Excel opens UTF-8 correctly


def headers(template: Template) -> list[str]:
    return [header_label(c) for c in template.columns]


def template_csv(template: Template) -> bytes:
    return _csv_bytes([headers(template)])


def allowed_values(column: Column) -> str:
    from fortycrm.models import CustomerStatus, Tag
    from fortycrm.selectors import account_manager_candidates

    if column.key == "status":
        names = ", ".join(CustomerStatus.objects.order_by("position", "name").values_list("name", flat=True))
        return _("One of: %(names)s.") % {"names": names}
    if column.key == "account_manager":
        users = account_manager_candidates().order_by("username")
        return _("One of: %(names)s.") % {"names": ", ".join(u.get_username() for u in users[:100]) or "–"}
    if column.kind == columns.TAGS:
        names = list(Tag.objects.order_by("name").values_list("name", flat=True)[:100])
        return _("Any text; existing tags: %(names)s.") % {"names": ", ".join(names) or "–"}
    if column.kind == columns.CHOICE:
        return _("One of: %(names)s.") % {"names": ", ".join(str(label) for _v, label in column.choices)}
    if column.kind == columns.CUSTOM:
        return custom_field_allowed(column.definition)
    return {
        columns.DATE: _("Date as 31.12.2026 or 2026-12-31."),
        columns.DATETIME: _("31.12.2026 14:30, 31.12.2026 or 2026-12-31 14:30."),
        columns.BOOL: _("ja / nein (yes / no, x, 1 / 0); empty = no."),
        columns.INT: _("Whole number."),
        columns.DECIMAL: _("Number; decimal comma or point, e.g. 1234,5."),
        columns.EMAIL: _("E-mail address, e.g. info@example.de."),
        columns.URL: _("Web address, e.g. https://www.example.de."),
    }.get(column.kind, _("Text."))


def custom_field_allowed(definition) -> str:
    """The allowed values of a custom field column for the explanation sheet (R-FLD)."""
    from fortycrm.models import CustomField

    Type = CustomField.Type
    kind = definition.type
    if kind in (Type.SELECT, Type.MULTISELECT):
        names = ", ".join(str(c["label"]) for c in definition.choices)
        text = _("One of: %(names)s.") % {"names": names}
        if kind == Type.MULTISELECT:
            text += " " + _("Several separated by “,” or “;”.")
        return text
    text = {
        Type.DATE: _("Date as 31.12.2026 or 2026-12-31."),
        Type.BOOLEAN: _("ja / nein (yes / no, x, 1 / 0)."),
        Type.INTEGER: _("Whole number."),
        Type.DECIMAL: _("Number; decimal comma or point, e.g. 1234,5."),
        Type.EMAIL: _("E-mail address, e.g. info@example.de."),
        Type.URL: _("Web address, e.g. https://www.example.de."),
    }.get(kind, _("Text."))
    bounds = []
    if definition.min_value is not None:
        bounds.append(_("minimum %(value)s") % {"value": custom_field_value(definition, definition.min_value)})
    if definition.max_value is not None:
        bounds.append(_("maximum %(value)s") % {"value": custom_field_value(definition, definition.max_value)})
    return f"{text} {', '.join(bounds)}".strip()


def custom_field_value(definition, value) -> str:
    from fortycrm import custom_fields

    return custom_fields.value_export(definition, value)


def template_xlsx(template: Template) -> bytes:
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    data = workbook.active
    data.title = pgettext("xlsx sheet", "Data")[:31]
    bold = Font(bold=True)
    mandatory = PatternFill("solid", fgColor="FFF3C4")
    for index, column in enumerate(template.columns, start=1):
        cell = data.cell(row=1, column=index, value=neutralise(header_label(column)))
        cell.font = bold
        if column.required:
            cell.fill = mandatory
        if column.help:
            cell.comment = Comment(neutralise(str(column.help)), "fortycrm")
        data.column_dimensions[get_column_letter(index)].width = max(14, len(header_label(column)) + 4)
    data.freeze_panes = "A2"

    helpsheet = workbook.create_sheet(pgettext("xlsx sheet", "Explanations")[:31])
    helpsheet.append([_("Column"), _("Mandatory"), _("Description"), _("Allowed values")])
    for cell in helpsheet[1]:
        cell.font = bold
    for column in template.columns:
        helpsheet.append(
            [neutralise(header_label(column)), _("yes") if column.required else _("no"), neutralise(str(column.help)), neutralise(allowed_values(column))]
        )
    helpsheet.append([])
    helpsheet.append([neutralise(_("Columns marked with * must be filled in. Fill one record per row on the first sheet; do not change the column names."))])
    for letter, width in zip("ABCD", (24, 12, 60, 70)):
        helpsheet.column_dimensions[letter].width = width
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def errors_csv(problems: Iterable[dict[str, Any]]) -> bytes:
    rows: list[list[Any]] = [[_("Row"), _("Column"), _("Value"), _("Problem"), _("Kind")]]
    for p in problems:
        column = p.get("where") or p.get("column")
        rows.append([p.get("row"), column, p.get("value"), p.get("message"), _("error") if p.get("level") == "error" else _("warning")])
    return _csv_bytes(rows)


def _export_cell(column: Column, customer) -> Any:
    """One cell of a customer as the import reads it back (R-DSK-2 export)."""
    from django.utils import formats

    if column.key == "status":
        return customer.status.name
    if column.key == "tags":
        return ", ".join(sorted((t.name for t in customer.tags.all()), key=str.casefold))
    if column.key == "account_manager":
        return customer.account_manager.get_username() if customer.account_manager else ""
    if column.kind == columns.CUSTOM:
        return custom_field_value(column.definition, (customer.custom_field_data or {}).get(column.definition.name))
    if column.key in columns.SETTINGS_KEYS:
        from fortycrm.imports.payer_importers import export_setting

        return export_setting(customer, column.key)
    value = getattr(customer, column.key)
    if column.kind == columns.DATE:
        return formats.date_format(value, "d.m.Y") if value else ""
    if column.kind == columns.BOOL:
        return _("yes") if value else _("no")
    if column.kind == columns.CHOICE:
        return str(dict(column.choices).get(value, "")) if value else ""
    return "" if value is None else value


def customers_csv(template: Template, customers: Iterable[Any]) -> bytes:
    """Customers in the columns of their import template, so the file can be edited and
    imported again (mode "update" by customer number)."""
    return _csv_bytes([headers(template), *([_export_cell(c, customer) for c in template.columns] for customer in customers)])

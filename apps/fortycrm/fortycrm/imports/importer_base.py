"""The part every per-template importer shares: reporting problems against the file's
columns, and looking customers up by number."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from fortycrm.imports.columns import CUSTOM, Template
from fortycrm.imports.parsing import display, header_label
from fortycrm.imports.results import DUPLICATE, ImportResult, Problem, Row
from fortycrm.models import Customer


def norm(text: str | None) -> str:
    """Text as the import compares names it reads: inner spaces collapsed, case folded."""
    return " ".join((text or "").split()).casefold()


class Importer:
    """Shared checks; subclasses implement ``process(batch)``."""

    field_columns: dict[str, str] = {}

    def __init__(
        self, *, template: Template, mode: str, user, allow_duplicates: bool, result: ImportResult, labels: dict[str, str], file_name: str,
        letters: dict[str, str] | None = None, dry_run: bool = False,
    ):
        self.template = template
        self.dry_run = dry_run  # a preview: an importer may skip writes nothing later in the file depends on
        self.mode = mode
        self.user = user
        self.allow_duplicates = allow_duplicates
        self.result = result
        self.labels = labels
        self.letters = letters or {}  # column key → the file's column letter
        self.keys = {c.key for c in template.columns}
        self.reason = _("Import of %(file)s") % {"file": file_name} if file_name else _("Import")
        self._customers: dict[int, Customer | ValidationError] = {}
        # the template's custom field columns: (column key, field name)
        self.custom_columns = [(c.key, c.definition.name) for c in template.columns if c.kind == CUSTOM]

    # --- problems -------------------------------------------------------------------
    def column_label(self, key: str | None) -> str:
        if not key or key not in self.keys:
            return ""
        return self.labels.get(key) or header_label(self.template.column(key))

    def problem(self, row: Row, key: str | None, message: str, *, level: str = "error", code: str = "") -> None:
        key = key if key in self.keys else None
        if level == "error":
            row.failed = True
        label = self.column_label(key)
        if key and label not in self.result.hints:
            self.result.hints[label] = str(self.hint(key))
        self.result.add(
            Problem(row=row.number, column=label, value=display(row.raw.get(key)) if key else "", message=str(message), level=level, code=code,
                    letter=self.letters.get(key, "") if key else "")
        )

    def hint(self, key: str) -> str:
        """A hint that fixes every problem of the column at once (e.g. the values it accepts); "" when there is none."""
        return ""

    def duplicate(self, row: Row, key: str, message: str) -> None:
        self.problem(row, key, message, level="warning" if self.allow_duplicates else "error", code=DUPLICATE)

    def validation_error(self, row: Row, exc: ValidationError | PermissionDenied) -> None:
        if isinstance(exc, PermissionDenied):
            self.problem(row, None, str(exc))
            return
        if hasattr(exc, "error_dict"):
            for name, messages in exc.message_dict.items():
                key = self.field_columns.get(name, name)
                if key in row.failed_keys:
                    continue  # already reported (empty mandatory cell or unreadable value)
                # the model's own clean() message comes last and is the most specific
                self.problem(row, key, messages[-1])
        else:
            for message in exc.messages:
                self.problem(row, None, message)

    def custom_data(self, row: Row, stored: dict[str, Any] | None = None) -> dict[str, Any]:
        """The row's custom field cells (R-FLD) over ``stored`` values; an empty cell keeps the stored value."""
        data = dict(stored or {})
        values, failed = row.values, row.failed_keys
        for key, name in self.custom_columns:
            if key not in failed and values.get(key) is not None:
                data[name] = values[key]
        return data

    # --- lookups --------------------------------------------------------------------
    def customer_by_number(self, number: int) -> Customer:
        """An existing customer by number, or a ValidationError on the ``customer`` column."""
        if number not in self._customers:
            found = Customer.objects.select_related("status").filter(number=number).first()
            self._customers[number] = found or ValidationError(
                {"customer": _("There is no customer with customer number %(number)s. Check the number, or import the customers first.") % {"number": number}}
            )
        found = self._customers[number]
        if isinstance(found, ValidationError):
            raise found
        return found

    def process(self, batch: list[Row]) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def finish(self) -> None:
        return None

"""What an import reports: problems (row, column, value, hint), the result, and a parsed row."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

MAX_STORED_PROBLEMS = 1000
MAX_GROUPS = 2000  # distinct (column, message, value) causes counted per import
STORED_GROUPS = 200  # the largest causes kept on the import log
GROUP_ROWS = 10  # first row numbers kept per cause
PREVIEW_LIMIT = 200
INSERT, UPDATE = "insert", "update"
DUPLICATE = "duplicate"  # the code of a possible-duplicate problem (an error, or a warning when allowed)


@dataclass
class Problem:
    row: int
    column: str
    value: str
    message: str
    level: str = "error"
    code: str = ""
    letter: str = ""  # the file's column letter (issue 16: "Spalte F (PLZ)")

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "where": self.where}

    @property
    def where(self) -> str:
        """The column as messages name it: "Spalte F (PLZ)"; just the header without a letter."""
        return column_text(self.letter, self.column)

    def __str__(self) -> str:
        from django.utils.translation import gettext as _

        text = _("row %(row)s") % {"row": self.row}
        if self.column:
            text += ", " + self.where
        if self.value:
            text += f" „{self.value}“"
        return f"{text}: {self.message}"


def column_text(letter: str, header: str) -> str:
    from django.utils.translation import gettext as _

    if letter and header:
        return _("column %(letter)s (%(header)s)") % {"letter": letter, "header": header}
    return header


@dataclass
class ImportResult:
    template: str
    mode: str = INSERT
    dry_run: bool = False
    total_rows: int = 0
    processed: int = 0
    created: int = 0
    updated: int = 0  # changed (update mode: only rows where something differs from the stored customer)
    unchanged: int = 0
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    error_count: int = 0
    warning_count: int = 0
    preview: list[dict[str, Any]] = field(default_factory=list)
    groups: dict[tuple, dict[str, Any]] = field(default_factory=dict)
    hints: dict[str, str] = field(default_factory=dict)  # column → a hint that fixes all its problems at once

    @property
    def ok(self) -> bool:
        return self.error_count == 0

    def add(self, problem: Problem) -> None:
        self._group(problem)
        if problem.level == "error":
            self.error_count += 1
            if len(self.errors) < MAX_STORED_PROBLEMS:
                self.errors.append(problem)
        else:
            self.warning_count += 1
            if len(self.warnings) < MAX_STORED_PROBLEMS:
                self.warnings.append(problem)

    def _group(self, problem: Problem) -> None:
        """Count the problem under its cause (level, column, message, value)."""
        key = (problem.level, problem.column, problem.message, problem.value)
        group = self.groups.get(key)
        if group is None:
            if len(self.groups) >= MAX_GROUPS:
                return
            group = self.groups[key] = {
                "level": problem.level, "column": problem.column, "value": problem.value, "message": problem.message,
                "code": problem.code, "count": 0, "rows": [],
            }
        group["count"] += 1
        if len(group["rows"]) < GROUP_ROWS:
            group["rows"].append(problem.row)

    def problem_groups(self, limit: int = STORED_GROUPS) -> list[dict[str, Any]]:
        """Causes, errors first, the most frequent first, each with its count, first rows and hint."""
        groups = sorted(self.groups.values(), key=lambda g: (g["level"] != "error", -g["count"], g["rows"][0] if g["rows"] else 0))
        return [{**g, "rows": sorted(g["rows"]), "hint": self.hints.get(g["column"], "")} for g in groups[:limit]]

    def note(self, row: int, action: str, label: str) -> None:
        if len(self.preview) < PREVIEW_LIMIT:
            self.preview.append({"row": row, "action": action, "label": label})


@dataclass
class Row:
    number: int
    raw: dict[str, Any]
    values: dict[str, Any]
    failed_keys: set[str] = field(default_factory=set)
    failed: bool = False

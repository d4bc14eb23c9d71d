"""python manage.py fortycrm_import <template> <file> [--mode insert|update] [--dry-run]"""

from __future__ import annotations

import time
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from fortycrm.imports.columns import TEMPLATES
from fortycrm.imports.driver import import_run
from fortycrm.imports.results import ImportResult
from fortycrm.models import ImportLog

PLAIN_PROGRESS_SECONDS = 5.0
"""Without a terminal (a log file, cron) a progress line at most this often."""


def number(value: float) -> str:
    return formats.number_format(value, 0, use_l10n=True, force_grouping=True)


def group_line(group: dict) -> str:
    """One cause with its rows: "Kundenbetreuer „bernd“: … – 1.250 Zeilen: 2, 6, 10, …"."""
    rows = ", ".join(str(r) for r in group["rows"]) + (", …" if group["count"] > len(group["rows"]) else "")
    where = group["column"] or _("file")
    if group["value"]:
        where += f" „{group['value']}“"
    count = ngettext("%(count)s row", "%(count)s rows", group["count"]) % {"count": number(group["count"])}
    return f"{where}: {group['message']} – {count}: {rows}"


class PlainProgress:
    """Progress as a plain line now and then (no terminal)."""

    def __init__(self, write, interval: float | None = None):
        self.write = write
        self.interval = PLAIN_PROGRESS_SECONDS if interval is None else interval
        self.started = self.last = time.monotonic()

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self.last < self.interval and done < total:
            return
        self.last = now
        rate = done / max(now - self.started, 1e-6)
        self.write(_("%(done)s of %(total)s rows (%(percent)s %%), %(rate)s rows/s")
                   % {"done": number(done), "total": number(total), "percent": int(done * 100 / total) if total else 100, "rate": number(rate)})

    def close(self) -> None:
        return None


class BarProgress:
    """A progress bar with rows/s on a terminal (rich)."""

    def __init__(self, stream, total: int):
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, ProgressColumn, TaskProgressColumn, TextColumn, TimeRemainingColumn
        from rich.text import Text

        class RowsPerSecond(ProgressColumn):
            def render(self, task):
                return Text(_("%(rate)s rows/s") % {"rate": number(task.speed or 0)})

        self.progress = Progress(
            TextColumn(_("Import")), BarColumn(), MofNCompleteColumn(), TaskProgressColumn(), RowsPerSecond(), TimeRemainingColumn(),
            console=Console(file=stream, force_terminal=True),
        )
        self.task = self.progress.add_task("import", total=total or None)
        self.progress.start()

    def __call__(self, done: int, total: int) -> None:
        self.progress.update(self.task, completed=done, total=max(total, done) or None)

    def close(self) -> None:
        self.progress.stop()


class Command(BaseCommand):
    help = "Import a CSV or XLSX file all or nothing; prints the problems grouped by cause, then each as 'row N, column C: message'."

    def add_arguments(self, parser):
        parser.add_argument("template", choices=sorted(TEMPLATES))
        parser.add_argument("file")
        parser.add_argument("--mode", choices=["insert", "update"], default="insert")
        parser.add_argument("--dry-run", action="store_true", help="Check the file and show what would happen; import nothing.")
        parser.add_argument("--allow-duplicates", action="store_true", help="Report possible duplicates as warnings instead of errors.")
        parser.add_argument("--user", help="User name recorded as importer (history and import log).")

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"file not found: {path}")
        user = None
        if options["user"]:
            user = get_user_model().objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"unknown user: {options['user']}")
        log = ImportLog(
            template=options["template"], mode=options["mode"], file_name=path.name, dry_run=options["dry_run"],
            allow_duplicates=options["allow_duplicates"], user=user,
        )
        with path.open("rb") as f:
            log.file.save(path.name, File(f), save=False)
        log.save()
        progress = self.make_progress()
        try:
            result = import_run(log=log, dry_run=options["dry_run"], progress=progress)
        finally:
            if progress is not None:
                progress.close()
        self.report(result)
        if not result.ok:
            raise CommandError(f"{result.error_count} problem(s) in {path.name}; nothing was imported.", returncode=1)
        verb = "would be" if options["dry_run"] else "were"
        counts = f"{result.created} {verb} created, {result.updated} {verb} changed, {result.unchanged} unchanged"
        self.stdout.write(self.style.SUCCESS(f"{result.processed} rows checked: {counts} (import log {log.pk})."))

    def make_progress(self):
        if self.stdout.isatty():
            return _LazyBar(self.stdout._out)
        return PlainProgress(self.stdout.write)

    def report(self, result: ImportResult) -> None:
        """Problems grouped by cause first (one line per column, message and value, with the
        number of rows, the first row numbers and a hint), then the single ones row by row."""
        groups = result.problem_groups(limit=len(result.groups))
        grouped = {(g["level"], g["column"], g["message"], g["value"]) for g in groups if g["count"] > 1}
        for group in groups:
            if group["count"] > 1:
                line = group_line(group)
                (self.stderr if group["level"] == "error" else self.stdout).write(line if group["level"] == "error" else f"{line} (warning)")
                if group["hint"]:
                    (self.stderr if group["level"] == "error" else self.stdout).write(f"  → {group['hint']}")
        for problem in result.warnings:
            if (problem.level, problem.column, problem.message, problem.value) not in grouped:
                self.stdout.write(f"{problem} (warning)")
        for problem in result.errors:
            if (problem.level, problem.column, problem.message, problem.value) not in grouped:
                self.stderr.write(str(problem))
        listed = sum(1 for p in result.errors if (p.level, p.column, p.message, p.value) not in grouped)
        in_groups = sum(g["count"] for g in groups if g["count"] > 1 and g["level"] == "error")
        if result.error_count > listed + in_groups:
            self.stderr.write(f"... and {result.error_count - listed - in_groups} more problems")


class _LazyBar:
    """The bar starts with the first report (the total is known by then)."""

    def __init__(self, stream):
        self.stream = stream
        self.bar: BarProgress | None = None

    def __call__(self, done: int, total: int) -> None:
        if self.bar is None:
            self.bar = BarProgress(self.stream, total)
        self.bar(done, total)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()

"""python manage.py fortycrm_import <template> <file> [--mode insert|update] [--dry-run]"""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError

from fortycrm.imports.columns import TEMPLATES
from fortycrm.imports.driver import import_run
from fortycrm.models import ImportLog


class Command(BaseCommand):
    help = "Import a CSV or XLSX file all or nothing; prints every problem as 'row N, column C: message'."

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
        result = import_run(log=log, dry_run=options["dry_run"])
        for problem in result.warnings:
            self.stdout.write(f"{problem} (warning)")
        for problem in result.errors:
            self.stderr.write(str(problem))
        if result.error_count > len(result.errors):
            self.stderr.write(f"... and {result.error_count - len(result.errors)} more problems")
        if not result.ok:
            raise CommandError(f"{result.error_count} problem(s) in {path.name}; nothing was imported.", returncode=1)
        verb = "would be" if options["dry_run"] else "were"
        self.stdout.write(
            self.style.SUCCESS(f"{result.processed} rows checked: {result.created} {verb} created, {result.updated} {verb} updated (import log {log.pk}).")
        )

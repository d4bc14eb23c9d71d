"""python manage.py fortycrm_backup [--output FILE]: the whole site in one archive."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from fortycrm.backup import BackupError, backup_create


class Command(BaseCommand):
    help = (
        "Write one .tar.gz with a consistent snapshot of the database (taken while the site runs), "
        "the uploaded files and the site config. Restore it with fortycrm_restore."
    )

    def add_arguments(self, parser):
        parser.add_argument("--output", "-o", help="Archive to write (default: sites/<site>/backups/fortycrm-<site>-<time>.tar.gz).")

    def handle(self, *args, **options):
        try:
            result = backup_create(path=Path(options["output"]) if options["output"] else None)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(self.style.SUCCESS(f"Backup written: {result.rows} rows, {result.files} files."))
        self.stdout.write(str(result.path))

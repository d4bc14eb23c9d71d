"""python manage.py fortycrm_restore FILE [--replace]: load a fortycrm_backup archive."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from fortycrm.backup import BackupError, backup_restore


class Command(BaseCommand):
    help = (
        "Restore a fortycrm_backup archive into this site (SQLite or MariaDB, whichever DATABASE_URL "
        "names): migrates, loads all rows (all or nothing), the uploaded files and the site config."
    )

    def add_arguments(self, parser):
        parser.add_argument("archive")
        parser.add_argument("--replace", action="store_true", help="Replace the data of a site that already has customers or users.")

    def handle(self, *args, **options):
        try:
            result = backup_restore(path=Path(options["archive"]), replace=options["replace"])
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        config = " and the site config" if result.site_config else ""
        self.stdout.write(self.style.SUCCESS(f"Restored {result.rows} rows, {result.files} files{config}."))

"""Deliver due webhook deliveries (without Redis, or from cron as a sweeper) and purge old events."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from fortycrm.webhooks import deliver_all, events_purge


class Command(BaseCommand):
    help = "Deliver due webhook deliveries and delete events older than the retention time."

    def add_arguments(self, parser):
        parser.add_argument("--no-purge", action="store_true", help="Do not delete old events.")
        parser.add_argument("--loop", type=int, default=0, metavar="SECONDS", help="Run again every SECONDS (a long-running sweeper for retries).")

    def handle(self, *args, **options):
        while True:
            self.run_once(options)
            if options["loop"] <= 0:
                return
            time.sleep(options["loop"])

    def run_once(self, options) -> None:
        counts = deliver_all()
        purged = 0 if options["no_purge"] else events_purge()
        self.stdout.write(
            _("%(sent)d delivered, %(failed)d failed (will be retried or given up), %(waiting)d waiting, %(purged)d old events deleted.")
            % {**counts, "purged": purged}
        )

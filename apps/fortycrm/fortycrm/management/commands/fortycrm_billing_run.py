"""``manage.py fortycrm_billing_run --month 2026-12 [--dry-run]``: the monthly billing run (R-BIL-3)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from fortycrm.services.billing_run import billing_run


class Command(BaseCommand):
    help = "Create the draft invoices of a month from the active orders (all or nothing)."

    def add_arguments(self, parser):
        parser.add_argument("--month", required=True, help="YYYY-MM, e.g. 2026-12")
        parser.add_argument("--dry-run", action="store_true", help="Only show what would be created.")

    def handle(self, *args, **options):
        try:
            result = billing_run(options["month"], dry_run=options["dry_run"])
        except ValidationError as exc:
            raise CommandError(" ".join(str(m) for m in exc.messages)) from None
        data = result.as_dict(limit=0)
        verb = _("would create") if result.dry_run else _("created")
        self.stdout.write(
            _("%(month)s: %(verb)s %(invoices)d draft invoice(s) with %(lines)d line(s); net %(net)s, gross %(gross)s; "
              "%(billed)d occurrence(s) already billed.")
            % {"month": data["month"], "verb": verb, "invoices": data["invoice_count"], "lines": data["line_count"],
               "net": data["net_total"], "gross": data["gross_total"], "billed": data["already_billed"]}
        )

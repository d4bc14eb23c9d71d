"""Delete prospects of website form submissions with double opt-in that were not confirmed in time."""

from django.core.management.base import BaseCommand

from fortycrm.services.webforms import webform_cleanup


class Command(BaseCommand):
    help = "Delete unconfirmed double opt-in enquiries older than their form's number of days."

    def handle(self, *args, **options):
        deleted = webform_cleanup()
        self.stdout.write(f"{deleted} unconfirmed enquiries deleted")

"""``python manage.py create_api_key <name> --scope read|write|intake``: prints the key on its last line."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from fortycrm.models import ApiKey


class Command(BaseCommand):
    help = "Create an API key. The key is printed once, alone on the last line; only its hash is stored."

    def add_arguments(self, parser):
        parser.add_argument("name", help="What the key is for, e.g. “website form”.")
        parser.add_argument("--scope", choices=[c for c, _label in ApiKey.Scope.choices], default=ApiKey.Scope.READ)

    def handle(self, *args, name: str, scope: str, **options):
        name = " ".join(name.split())
        if not name:
            raise CommandError(_("Give the key a name, e.g. “website form”."))
        if len(name) > ApiKey._meta.get_field("name").max_length:
            raise CommandError(_("The name may have at most %(max)d characters.") % {"max": ApiKey._meta.get_field("name").max_length})
        api_key, key = ApiKey.objects.create_key(name=name, scope=scope)
        self.stderr.write(
            _("API key “%(name)s” with scope “%(scope)s” created. Store it now; it cannot be shown again.")
            % {"name": api_key.name, "scope": api_key.get_scope_display()}
        )
        self.stdout.write(key)

"""Create the first admin user of a site (used by the README's run command)."""

from __future__ import annotations

import os
import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand

from fortycrm.setup import ROLE_ADMIN


class Command(BaseCommand):
    help = "Create the admin user from FORTYCRM_ADMIN_USER / FORTYCRM_ADMIN_PASSWORD (generated if unset)."

    def handle(self, *args, **options):
        User = get_user_model()
        username = os.environ.get("FORTYCRM_ADMIN_USER", "admin")
        if User.objects.filter(username=username).exists():
            self.stdout.write(f"Admin user '{username}' exists; sign in with its password (reset: manage.py changepassword {username}).")
            return
        password = os.environ.get("FORTYCRM_ADMIN_PASSWORD") or secrets.token_urlsafe(12)
        user = User.objects.create_superuser(username=username, email=os.environ.get("FORTYCRM_ADMIN_EMAIL", ""), password=password)
        group = Group.objects.filter(name=ROLE_ADMIN).first()
        if group:
            user.groups.add(group)
        self.stdout.write(self.style.SUCCESS(f"Created admin user '{username}' with password: {password}"))

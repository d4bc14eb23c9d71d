from __future__ import annotations

from django.contrib.auth.models import User
from django.utils.translation import gettext_lazy as _


class StaffMember(User):
    """The staff screen ("Mitarbeitende"): the user accounts as an office manager sees them.

    A proxy of Django's user: no table of its own, only its own desk page and permissions
    (Administration holds them). Roles are the groups; desk access follows them.
    """

    class Meta:
        proxy = True
        verbose_name = _("staff member")
        verbose_name_plural = _("staff")
        ordering = ["last_name", "first_name", "username"]

    def __str__(self) -> str:
        return person_name(self)


def person_name(user) -> str:
    """How the desk names a person: the full name, the login only when no name is entered."""
    if user is None:
        return "—"
    return user.get_full_name().strip() or user.get_username()

"""Staff accounts as the staff screen ("Mitarbeitende") keeps them: name, login, roles, active.

Roles are groups (``fortycrm.setup``); desk access follows them (``fortycrm.access``), so the
"staff status" flag is kept in step here and never asked for. A new person either gets a
password now or an invitation link to a page where they choose it themselves.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.models import Group
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from fortycrm.access import staff_flag_sync
from fortycrm.setup import ROLE_ADMIN


def staff_check(*, user, roles: Iterable[Group], password: str | None = None) -> None:
    """The rules of a staff account, checked before anything is saved (the form shows them per field)."""
    errors: dict[str, list[str]] = {}
    roles = list(roles)
    username = (user.username or "").strip()
    User = get_user_model()
    if username and User.objects.filter(username__iexact=username).exclude(pk=user.pk).exists():
        errors.setdefault("username", []).append(
            _("The login “%(login)s” is already taken (also in other capitals). Choose another login.") % {"login": username}
        )
    if user.is_active and not roles and not user.is_superuser:
        errors.setdefault("roles", []).append(
            _("Choose at least one role: without a role the person cannot sign in to the desk.")
        )
    if password:
        try:
            password_validation.validate_password(password, user)
        except ValidationError as exc:
            errors.setdefault("password1", []).extend(exc.messages)
    if user.pk and not _admins_remain(user, roles):
        errors.setdefault("roles" if user.is_active else "is_active", []).append(
            _("“%(name)s” is the last active person with the role Administration. Give the role to somebody else first, "
              "so that somebody can still manage staff and settings.") % {"name": user.get_full_name() or user.username}
        )
    if errors:
        raise ValidationError(errors)


def _admins_remain(user, roles: list[Group]) -> bool:
    """After the change, at least one active user can still administrate (superuser or role Administration)."""
    User = get_user_model()
    admins = User.objects.filter(Q(is_superuser=True) | Q(groups__name=ROLE_ADMIN), is_active=True).distinct()
    if not admins.filter(pk=user.pk).exists():
        return True  # the person was no administrator: nothing changes
    still = user.is_active and (user.is_superuser or any(group.name == ROLE_ADMIN for group in roles))
    return still or admins.exclude(pk=user.pk).exists()


@transaction.atomic
def staff_save(*, user, roles: Iterable[Group], password: str | None = None, invite: bool = False):
    """Create or change a staff account: ``password`` sets one; ``invite`` clears it for an invitation link."""
    roles = list(roles)
    user.username = (user.username or "").strip()
    user.email = (user.email or "").strip()
    staff_check(user=user, roles=roles, password=password)
    if password:
        user.set_password(password)
    elif invite or not user.pk:
        user.set_unusable_password()  # the invitation link leads to the page that sets it
    user.full_clean(exclude=["password"])
    user.save()
    user.groups.set(roles)
    staff_flag_sync([user.pk])
    return user


def invitation_path(user) -> str | None:
    """The path of the page where ``user`` chooses a password; None once a password is set."""
    if user.pk is None or user.has_usable_password() or not user.is_active:
        return None
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return reverse("admin:fortycrm_staffmember_invitation", args=[uid, default_token_generator.make_token(user)])


def invitation_days() -> int:
    return max(1, settings.PASSWORD_RESET_TIMEOUT // 86400)

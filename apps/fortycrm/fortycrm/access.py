"""Who may use the desk: an active user in at least one role (group), or a superuser.

The roles are groups (see ``fortycrm.setup``). Django's admin normally asks for the "staff
status" flag instead; fortycrm keeps that flag in step with the roles (``staff_flag_sync``,
run whenever group memberships change), so nobody has to know about it, and the desk itself
checks the rule, not the flag (``may_use_desk``).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import Q
from django.db.models.signals import m2m_changed, post_delete, pre_delete

_CACHE_ATTR = "_fortycrm_may_use_desk"


def may_use_desk(user) -> bool:
    """True for an active superuser or an active user in at least one group (cached per user object)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is None:
        cached = user.groups.exists()
        setattr(user, _CACHE_ATTR, cached)
    return cached


def staff_flag_sync(user_ids: Iterable[int]) -> None:
    """Set "staff status" to what the roles say: superuser or in a group (no history, no signals)."""
    ids = set(user_ids)
    if not ids:
        return
    users = get_user_model().objects.filter(pk__in=ids)
    in_group = set(users.filter(groups__isnull=False).values_list("pk", flat=True))  # a list: MySQL can't self-select
    with_role = Q(is_superuser=True) | Q(pk__in=in_group)
    users.filter(with_role, is_staff=False).update(is_staff=True)
    users.exclude(with_role).filter(is_staff=True).update(is_staff=False)


def _memberships_changed(sender, instance, action, reverse, pk_set, **kwargs) -> None:
    if action == "pre_clear" and reverse:  # group.user_set.clear(): remember whom it affects
        instance._fortycrm_cleared_users = list(instance.user_set.values_list("pk", flat=True))
        return
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    if reverse:  # the instance is a group; pk_set holds users
        ids = pk_set if action != "post_clear" else getattr(instance, "_fortycrm_cleared_users", [])
    else:
        ids = [instance.pk]
    staff_flag_sync(ids)
    if not reverse and hasattr(instance, _CACHE_ATTR):
        delattr(instance, _CACHE_ATTR)


def _group_deleting(sender, instance, **kwargs) -> None:
    instance._fortycrm_cleared_users = list(instance.user_set.values_list("pk", flat=True))


def _group_deleted(sender, instance, **kwargs) -> None:
    staff_flag_sync(getattr(instance, "_fortycrm_cleared_users", []))


def connect() -> None:
    m2m_changed.connect(_memberships_changed, sender=get_user_model().groups.through, dispatch_uid="fortycrm_roles_staff")
    pre_delete.connect(_group_deleting, sender=Group, dispatch_uid="fortycrm_group_deleting")
    post_delete.connect(_group_deleted, sender=Group, dispatch_uid="fortycrm_group_deleted")

"""Defaults every site has: statuses (R-STA-1), roles as groups, number sequences.

``ensure_defaults`` works with a migration's historical app registry and with the live one,
so the data migration, the post_migrate hook and the test suite share one definition.
"""

from __future__ import annotations

from django.utils.translation import gettext_noop

ROLE_ADMIN = "Administration"
ROLE_OFFICE = "Büro"
ROLE_SUPPORT = "Support"

DEFAULT_STATUSES = [
    # name, colour, position, with_number, is_default, is_conversion_target
    (gettext_noop("Interessent"), "#F59E0B", 10, False, True, False),
    (gettext_noop("Kunde"), "#16A34A", 20, True, False, True),
    (gettext_noop("ehemaliger Kunde"), "#6B7280", 30, True, False, False),
]

_OFFICE_MODELS = [
    "customer", "contact", "tag", "location", "supplier", "locationsupplier", "assignment",
    "meter", "meterreading", "order", "invoice", "invoiceline", "importlog",
    "costbearer", "customercostbearer", "customersettings", "serviceprice",
]
_ADMIN_ONLY_MODELS = ["customerstatus", "sitesettings", "customerdefaults", "letterhead"]  # office roles may view them
# API keys are Administration's alone: office roles neither see nor revoke them


def ensure_defaults(apps) -> None:
    Status = apps.get_model("fortycrm", "CustomerStatus")
    Sequence = apps.get_model("fortycrm", "NumberSequence")
    if not Status.objects.exists():
        for name, color, position, with_number, is_default, target in DEFAULT_STATUSES:
            Status.objects.create(
                name=name, color=color, position=position, with_number=with_number,
                is_default=is_default, is_conversion_target=target,
            )
    for key in ("customer", "invoice"):
        Sequence.objects.get_or_create(key=key)
    ensure_roles(apps)


def ensure_roles(apps) -> None:
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    perms = Permission.objects.filter(content_type__app_label="fortycrm")
    if not perms.exists():
        return  # permissions are created after migrate; post_migrate calls us again
    office = [p for p in perms if p.content_type.model in _OFFICE_MODELS]
    office += [p for p in perms if p.content_type.model in _ADMIN_ONLY_MODELS and p.codename.startswith("view_")]
    office = [p for p in office if p.codename != "change_customer_number"]
    support = office + [p for p in perms if p.codename == "change_customer_number"]
    admin = list(perms) + list(Permission.objects.filter(content_type__app_label="auth"))
    for name, wanted in ((ROLE_OFFICE, office), (ROLE_SUPPORT, support), (ROLE_ADMIN, admin)):
        group, _created = Group.objects.get_or_create(name=name)
        group.permissions.add(*wanted)

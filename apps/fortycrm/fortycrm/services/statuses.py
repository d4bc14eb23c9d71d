"""Customer status rules (R-STA-2..5) that span more than one row."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from fortycrm.models import CustomerStatus
from fortycrm.validators import parse_whole_number


def default_status() -> CustomerStatus:
    status = CustomerStatus.objects.filter(is_default=True, with_number=False).order_by("position", "pk").first()
    if status is None:  # repaired here so that new customers can always be saved (R-STA-3)
        from django.apps import apps

        from fortycrm.setup import ensure_defaults

        ensure_defaults(apps)
        status = CustomerStatus.objects.filter(is_default=True, with_number=False).order_by("position", "pk").first()
        if status is None:
            status = CustomerStatus.objects.filter(with_number=False).order_by("position", "pk").first()
            if status is None:
                status = CustomerStatus.objects.create(name=_("Interessent"), with_number=False, is_default=True)
            else:
                status.is_default = True
                status.save(update_fields=["is_default"])
    return status


def status_resolve(status: CustomerStatus | int | str | None) -> CustomerStatus:
    """A status by object, id or (case-insensitive) name; None or "" → the default status.

    The one lookup of a status named by a user, used by the customer services, the import
    and the API's list filter.
    """
    if status is None or status == "":
        return default_status()
    if isinstance(status, CustomerStatus):
        return status
    found = status_find(status)
    if found is None:
        names = ", ".join(CustomerStatus.objects.values_list("name", flat=True))
        raise ValidationError(
            {"status": _("Unknown status “%(status)s”. Known statuses: %(names)s.") % {"status": status, "names": names}},
            code="unknown_status",
        )
    return found


def status_find(status: int | str) -> CustomerStatus | None:
    """A status by id (ASCII digits) or by name in any case; None when there is none."""
    qs = CustomerStatus.objects.all()
    pk = parse_whole_number(status)
    found = qs.filter(pk=pk).first() if pk is not None else None
    return found or qs.filter(name__iexact=str(status).strip()).first()


def conversion_target() -> CustomerStatus:
    status = CustomerStatus.objects.filter(is_conversion_target=True, with_number=True).order_by("position", "pk").first()
    if status is None:
        status = CustomerStatus.objects.filter(with_number=True).order_by("position", "pk").first()
    if status is None:
        raise ValidationError(
            _("There is no status with customer number to switch the customer to. Create one under Settings → Customer statuses."),
            code="no_target_status",
        )
    return status


FORMER_STATUS_NAME = "ehemaliger Kunde"


def former_status() -> CustomerStatus | None:
    """The status for customers who left ("ehemaliger Kunde"): offered when a customer cannot be deleted.

    By its shipped name first; renamed, the last status with number that is not the target of
    orders (the defaults order it last); None when there is no such status.
    """
    statuses = CustomerStatus.objects.filter(with_number=True)
    return (
        statuses.filter(name__iexact=FORMER_STATUS_NAME).first()
        or statuses.filter(is_conversion_target=False).order_by("-position", "-pk").first()
    )


def _check_status(status: CustomerStatus) -> None:
    errors: dict[str, str] = {}
    if status.is_default and status.with_number:
        errors["is_default"] = _("The default status for new customers cannot carry a customer number.")
    if status.is_conversion_target and not status.with_number:
        errors["is_conversion_target"] = _("The target status for orders must carry a customer number.")
    if status.pk:
        old = CustomerStatus.objects.get(pk=status.pk)
        if old.is_default and not status.is_default:
            errors["is_default"] = _(
                "There must always be a default status without customer number for new customers. "
                "Mark another status as default instead; this one then stops being the default."
            )
        if old.with_number != status.with_number:
            if status.with_number and status.customers.filter(number__isnull=True).exists():
                errors["with_number"] = _(
                    "%(count)d customers without customer number have this status. Move them to another status first."
                ) % {"count": status.customers.filter(number__isnull=True).count()}
            if not status.with_number and status.customers.filter(number__isnull=False).exists():
                errors["with_number"] = _(
                    "%(count)d customers with customer number have this status; a numbered customer can only have a status with number."
                ) % {"count": status.customers.filter(number__isnull=False).count()}
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def status_save(*, status: CustomerStatus) -> CustomerStatus:
    """Create or update a status, keeping exactly one default and one conversion target."""
    status.full_clean()
    _check_status(status)
    status.save()
    if status.is_default:
        CustomerStatus.objects.exclude(pk=status.pk).filter(is_default=True).update(is_default=False)
    if status.is_conversion_target:
        CustomerStatus.objects.exclude(pk=status.pk).filter(is_conversion_target=True).update(is_conversion_target=False)
    return status


def status_delete_problem(status: CustomerStatus) -> str | None:
    """Why this status cannot be deleted, or None."""
    used = status.customers.count()
    if used:
        return _(
            "The status “%(name)s” cannot be deleted: %(count)d customer(s) have it. Give them another status first."
        ) % {"name": status.name, "count": used}
    if status.is_default:
        others = CustomerStatus.objects.exclude(pk=status.pk).filter(with_number=False)
        if not others.exists():
            return _(
                "The status “%(name)s” is the last status without customer number; there must always be one for new customers."
            ) % {"name": status.name}
        return _(
            "The status “%(name)s” is the default for new customers. Mark another status without number as default first."
        ) % {"name": status.name}
    return None


@transaction.atomic
def status_delete(*, status: CustomerStatus) -> None:
    problem = status_delete_problem(status)
    if problem:
        raise ValidationError(problem, code="protected")
    status.delete()

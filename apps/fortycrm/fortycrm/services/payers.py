"""Cost bearers, their assignments to customers, customer settings (R-PAY-1, R-PAY-2).

Every write with a rule: desk, API and import call these. A save that changes nothing
writes nothing (and so no history).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model, Q
from django.utils import formats
from django.utils.translation import gettext as _

from fortycrm.models import Customer
from fortycrm.models.payers import SETTING_NAMES, CostBearer, CustomerCostBearer, CustomerDefaults, CustomerSettings, ServicePrice

HUNDRED = Decimal("100")


def instance_unchanged(instance: Model) -> bool:
    """True when ``instance`` is stored and none of its concrete fields differ from the database."""
    if instance.pk is None:
        return False
    names = [f.attname for f in instance._meta.concrete_fields if f.name not in ("created_at", "updated_at")]
    stored = type(instance)._default_manager.filter(pk=instance.pk).values(*names).first()
    if stored is None:
        return False
    for name in names:
        value = getattr(instance, name)
        old = stored[name]
        if hasattr(value, "name") and not isinstance(value, str):  # file fields
            value = value.name or ""
        if value != old:
            return False
    return True


_unchanged = instance_unchanged


def _save(instance: Model) -> Model:
    if not _unchanged(instance):
        instance.save()
    return instance


# --- cost bearers --------------------------------------------------------------------------
@transaction.atomic
def cost_bearer_save(*, cost_bearer: CostBearer) -> CostBearer:
    cost_bearer.full_clean()
    return _save(cost_bearer)


def cost_bearer_delete_problem(cost_bearer: CostBearer) -> str | None:
    """A bearer still assigned to customers cannot be deleted; the message names them."""
    links = cost_bearer.assignments.select_related("customer").order_by("customer_id")
    customers = list(dict.fromkeys(str(link.customer) for link in links[:6]))
    if not customers:
        invoices = cost_bearer.invoices.count() if cost_bearer.pk else 0
        if invoices:
            return _("The cost bearer “%(name)s” cannot be deleted: %(count)d invoice(s) are addressed to it.") % {
                "name": cost_bearer.name, "count": invoices,
            }
        return None
    count = links.values("customer_id").distinct().count()
    names = ", ".join(customers[:5]) + (" …" if count > 5 else "")
    return _(
        "The cost bearer “%(name)s” cannot be deleted: it is assigned to %(count)d customer(s) (%(names)s). Remove the assignments first."
    ) % {"name": cost_bearer.name, "count": count, "names": names}


@transaction.atomic
def cost_bearer_delete(*, cost_bearer: CostBearer) -> None:
    problem = cost_bearer_delete_problem(cost_bearer)
    if problem:
        raise ValidationError(problem, code="protected")
    cost_bearer.delete()


# --- assignments -----------------------------------------------------------------------------
def _overlaps(qs, start: dt.date, end: dt.date | None):
    """Rows of ``qs`` whose period [valid_from, valid_until] meets [start, end]."""
    qs = qs.filter(Q(valid_until__isnull=True) | Q(valid_until__gte=start))
    return qs.filter(valid_from__lte=end) if end is not None else qs


def _date(value: dt.date) -> str:
    return formats.date_format(value, "SHORT_DATE_FORMAT")


def assignment_check(link: CustomerCostBearer) -> None:
    """Every rule of an assignment, without saving: one-row rules, overlaps, total share."""
    link.full_clean()
    others = CustomerCostBearer.objects.filter(customer_id=link.customer_id).exclude(pk=link.pk)
    overlapping = list(_overlaps(others, link.valid_from, link.valid_until).select_related("cost_bearer"))
    same = [o for o in overlapping if o.cost_bearer_id == link.cost_bearer_id]
    if same:
        other = same[0]
        raise ValidationError(
            {
                "valid_from": _(
                    "“%(bearer)s” is already assigned to this customer from %(start)s%(until)s; the periods of the same cost bearer must not overlap."
                )
                % {
                    "bearer": other.cost_bearer.name,
                    "start": _date(other.valid_from),
                    "until": (" " + _("until %(date)s") % {"date": _date(other.valid_until)}) if other.valid_until else "",
                }
            }
        )
    if link.share_percent is not None:
        shared = [o for o in overlapping if o.share_percent is not None]
        # the total at each day a period starts inside ours is the highest the shares reach
        points = {link.valid_from} | {o.valid_from for o in shared if o.valid_from > link.valid_from}
        for day in sorted(points):
            total = link.share_percent + sum(
                (o.share_percent for o in shared if o.valid_from <= day and (o.valid_until is None or o.valid_until >= day)), Decimal(0)
            )
            if total > HUNDRED:
                raise ValidationError(
                    {
                        "share_percent": _(
                            "The shares of this customer's cost bearers would add up to %(total)s %% on %(date)s; together they can pay at most 100 %%."
                        )
                        % {"total": formats.number_format(total, 2), "date": _date(day)}
                    }
                )


@transaction.atomic
def assignment_save(*, link: CustomerCostBearer) -> CustomerCostBearer:
    """Assign a cost bearer to a customer (R-PAY-1). Locks the customer row, so two
    parallel saves cannot both pass the overlap and share checks."""
    if link.customer_id:
        list(Customer.objects.select_for_update().filter(pk=link.customer_id).values_list("pk", flat=True))
    assignment_check(link)
    return _save(link)


def assignment_delete_problem(link: CustomerCostBearer) -> str | None:
    """An assignment that invoice lines are charged to is kept (its budget's "used" reads them)."""
    count = link.invoice_lines.values("invoice_id").distinct().count() if link.pk else 0
    if not count:
        return None
    return _(
        "The assignment of “%(bearer)s” cannot be deleted: %(count)d invoice(s) charge it. End it with “valid until” instead."
    ) % {"bearer": link.cost_bearer.name, "count": count}


@transaction.atomic
def assignment_delete(*, link: CustomerCostBearer) -> None:
    problem = assignment_delete_problem(link)
    if problem:
        raise ValidationError(problem, code="protected")
    link.delete()


# --- customer settings ---------------------------------------------------------------------
@transaction.atomic
def customer_defaults_save(*, defaults: CustomerDefaults) -> CustomerDefaults:
    from fortycrm.listcache import customer_data_changed

    defaults.full_clean()
    if not _unchanged(defaults):
        defaults.save()
        customer_data_changed()  # API lists memoise the defaults per data generation
    return defaults


def customer_settings_for(customer: Customer) -> CustomerSettings:
    """The customer's own settings row (unsaved and empty if it has none)."""
    try:
        return CustomerSettings.objects.get(customer_id=customer.pk)
    except CustomerSettings.DoesNotExist:
        return CustomerSettings(customer=customer)


def customer_settings_check(own: CustomerSettings, *, exclude: list[str] | None = None) -> None:
    """One-row checks plus the discount rule on the effective values (own or default)."""
    own.full_clean(exclude=exclude)
    defaults = CustomerDefaults.load()
    percent = own.discount_percent if own.discount_percent is not None else defaults.discount_percent
    days = own.discount_days if own.discount_days is not None else defaults.discount_days
    if percent and not days:
        raise ValidationError(
            {"discount_days": _("An early-payment discount needs its days: within how many days may the customer deduct it?")}
        )


@transaction.atomic
def customer_settings_save(*, customer: Customer, values: dict[str, Any]) -> CustomerSettings:
    """Set some of the customer's settings: a value overrides the default, None returns to it.

    ``values`` maps names of ``SETTING_NAMES`` to values; names not given keep their state.
    """
    unknown = sorted(set(values) - set(SETTING_NAMES))
    if unknown:
        raise ValidationError(
            {unknown[0]: _("“%(name)s” is no customer setting; known are: %(names)s.") % {"name": unknown[0], "names": ", ".join(SETTING_NAMES)}}
        )
    own = customer_settings_for(customer)
    for name, value in values.items():
        if name == "letterhead":
            own.letterhead_id = getattr(value, "pk", value)
        elif value is None and name in ("delivery", "invoice_email", "calendar_color"):
            setattr(own, name, "")
        else:
            setattr(own, name, value)
    customer_settings_check(own)
    if own.pk is None and not own.overrides():
        return own  # all "as default": no row needed
    return _save(own)


# --- price list ------------------------------------------------------------------------------
def service_price_check(*, price: ServicePrice) -> None:
    """Every rule of a price list entry, without saving; one entry per service kind for the
    defaults and one per customer (case and spaces do not count)."""
    from fortycrm.payer_selectors import service_kind_key

    price.full_clean()
    key = service_kind_key(price.service_kind)
    same = ServicePrice.objects.filter(customer_id=price.customer_id).exclude(pk=price.pk).values_list("service_kind", flat=True)
    if any(service_kind_key(kind) == key for kind in same):
        raise ValidationError(
            {"service_kind": _("The price list %(whose)s already has a price for “%(kind)s”; change that entry instead.")
             % {"whose": _("of this customer") if price.customer_id else _("of the defaults"), "kind": price.service_kind}}
        )


@transaction.atomic
def service_price_save(*, price: ServicePrice) -> ServicePrice:
    """Save a price list entry (see ``service_price_check``)."""
    if price.customer_id:
        list(Customer.objects.select_for_update().filter(pk=price.customer_id).values_list("pk", flat=True))
    service_price_check(price=price)
    return _save(price)


@transaction.atomic
def service_price_delete(*, price: ServicePrice) -> None:
    price.delete()

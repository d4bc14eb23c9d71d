"""Customer writes (R-CUS, R-NUM, R-STA-5/6)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.utils.translation import gettext as _

from fortycrm import custom_fields, events, uploads
from fortycrm.models import Customer, CustomerStatus, Tag
from fortycrm.selectors import account_manager_problem
from fortycrm.services import numbers
from fortycrm.services.cleaning import clean_model
from fortycrm.services.statuses import conversion_target, status_resolve
from fortycrm.services.tags import tags_resolve
from fortycrm.tagnames import tag_name_problem

NUMBER_PERMISSION = "fortycrm.change_customer_number"

_CUSTOMER_FIELDS = {
    f.name for f in Customer._meta.get_fields() if getattr(f, "concrete", False) and not f.many_to_many
} - {"id", "created_at", "updated_at", "number", "status", "logo_thumbnail"}


def _apply(customer: Customer, fields: dict[str, Any]) -> None:
    for name, value in fields.items():
        if name not in _CUSTOMER_FIELDS:
            raise TypeError(f"customer has no writable field {name!r}")
        field = Customer._meta.get_field(name)
        if value is None and not field.null and field.get_internal_type() in {"CharField", "TextField", "EmailField", "URLField"}:
            value = ""
        if field.is_relation and not isinstance(value, models.Model):
            name = field.attname
        setattr(customer, name, value)


def customer_check_number(
    *,
    customer_pk: int | None,
    old_number: int | None,
    status: CustomerStatus,
    number: int | None,
    actor=None,
    owner_lookup: Callable[[int], Customer | None] | None = None,
) -> None:
    """The status/number rules, callable by forms before saving (R-STA-5, R-NUM-2, R-NUM-3).

    ``owner_lookup`` (number → customer holding it) lets a bulk import look owners up for a
    whole batch in one query; by default each call asks the database.
    """
    if old_number is not None and not status.with_number:
        raise ValidationError(
            {
                "status": _("The customer already has customer number %(number)s, so only a status with customer number can be chosen.")
                % {"number": old_number}
            },
            code="status_without_number",
        )
    if number is None or number == old_number:
        return
    if not status.with_number:
        raise ValidationError(
            {"number": _("The status “%(status)s” has no customer number. Choose a status with customer number or leave the number empty.") % {"status": status.name}},
            code="number_without_status",
        )
    if old_number is not None and actor is not None and not actor.has_perm(NUMBER_PERMISSION):
        raise PermissionDenied(_("Only support may change a customer number once it is saved."))
    if number < 1:
        raise ValidationError({"number": _("A customer number must be a whole number of at least 1.")}, code="invalid")
    numbers.number_check_cap(number)
    owner = owner_lookup(number) if owner_lookup is not None else numbers.customer_number_owner(number, exclude_pk=customer_pk)
    if owner is not None and owner.pk != customer_pk:
        raise numbers.number_taken_error(number, owner)


def customer_check_account_manager(
    customer: Customer, *, old_manager_id: int | None = None, problem_of: Callable[[Any], str | None] | None = None
) -> None:
    """Only active users in at least one group can become account manager (R-CUS-5).

    ``problem_of`` (user → why not, or None) lets a bulk import ask once per distinct user;
    by default it is the selector ``account_manager_problem``.
    """
    if customer.account_manager_id is None or customer.account_manager_id == old_manager_id:
        return
    problem = (problem_of or account_manager_problem)(customer.account_manager)
    if problem:
        raise ValidationError({"account_manager": problem}, code="invalid_account_manager")


def _save(customer: Customer) -> None:
    """Save a customer the caller has already validated (full_clean) and numbered."""
    try:
        with transaction.atomic():
            customer.save()
    except IntegrityError:
        owner = numbers.customer_number_owner(customer.number, exclude_pk=customer.pk) if customer.number else None
        if owner is not None:
            raise numbers.number_taken_error(customer.number, owner) from None
        raise


def _number_for(customer: Customer, *, old_number: int | None, requested: int | None, suggested: int | None) -> int | None:
    if not customer.status.with_number:
        return None
    if requested is not None and requested != old_number and requested != suggested:
        return numbers.customer_number_claim(requested, customer_pk=customer.pk)
    if old_number is not None:
        return old_number
    return numbers.number_allocate(numbers.CUSTOMER)


def _set_tags(customer: Customer, tags: Iterable[str | Tag] | None, *, new: bool = False) -> None:
    if tags is None:
        return
    tags = list(tags)
    tag_objs = [t for t in tags if isinstance(t, Tag)]
    tag_objs += tags_resolve([t for t in tags if not isinstance(t, Tag)])
    if new:  # nothing to remove: one query less than set()
        if tag_objs:
            customer.tags.add(*tag_objs)
    else:
        customer.tags.set(tag_objs)


def _make_thumbnail(customer: Customer) -> None:
    """Set a small PNG of the logo for lists (R-CUS-3); runs before the save."""
    if not customer.logo:
        customer.logo_thumbnail = ""
        return
    thumbnail = uploads.logo_thumbnail(customer.logo)
    customer.logo_thumbnail.save(thumbnail.name, thumbnail, save=False)


class CustomerLookups:
    """The reads the preparation of a new customer needs.

    This default asks the database on every call. A bulk import passes a subclass that
    answers from what it read once per batch (statuses by name, number owners of the batch,
    account manager eligibility per distinct user); the rules stay in ``customer_prepare``.
    """

    def status(self, value: CustomerStatus | int | str | None) -> CustomerStatus:
        return status_resolve(value)

    def number_owner(self, number: int) -> Customer | None:
        return numbers.customer_number_owner(number)

    def account_manager_problem(self, user) -> str | None:
        return account_manager_problem(user)

    def custom_field_definitions(self) -> list:
        """The customer custom field definitions, read once per lookups object (R-FLD)."""
        if not hasattr(self, "_custom_field_definitions"):
            self._custom_field_definitions = custom_fields.definitions("customer")
        return self._custom_field_definitions

    def custom_value_memo(self) -> dict | None:
        """Checked custom field values for ``custom_fields.data_clean`` (None: no memo). A bulk
        import keeps one per import, for its one set of definitions."""
        return None

    def standard_field_rules(self) -> list:
        """The customer standard field rules (R-FLD-8), read once per lookups object."""
        if not hasattr(self, "_standard_field_rules"):
            from fortycrm.standard_fields import rules

            self._standard_field_rules = rules("customer")
        return self._standard_field_rules


_PREPARED_ELSEWHERE = frozenset({"number", "status", "logo_thumbnail", "account_manager"})


def _merge(errors: dict[str, list], exc: ValidationError) -> None:
    for name, messages in (exc.error_dict if hasattr(exc, "error_dict") else {NON_FIELD_ERRORS: exc.error_list}).items():
        errors.setdefault(name, []).extend(messages)


def customer_prepare(
    *,
    customer: Customer,
    status: CustomerStatus | int | str | None = None,
    number: int | None = None,
    suggested_number: int | None = None,
    tags: Iterable[str | Tag] | None = None,
    actor=None,
    lookups: CustomerLookups | None = None,
    exclude: Iterable[str] = (),
) -> int | None:
    """Check a new, unsaved customer with every rule of customer creation; write nothing.

    The one preparation step of ``customer_create`` (desk, API, intake) and of the bulk
    import, which only batches the write afterwards: resolve the status (none → the default
    status), the account manager rule (R-CUS-5), the number rules (R-STA-5, R-NUM-2/3, the
    cap ``numbers.MAX_NUMBER``), tag names, and ``full_clean``. A rule added here holds for
    every way a customer is created.

    Sets ``customer.status``. Returns the number the caller asked for (``None``: the next
    free number when the status has numbers, or none). Raises one ValidationError holding
    every problem found, by field. ``exclude`` names fields already reported by the caller
    (an unreadable import cell). Check constraints are not queried row by row: the rule of
    each of them is in ``Customer.clean()``, which ``full_clean`` runs.
    """
    lookups = lookups or CustomerLookups()
    errors: dict[str, list] = {}
    try:
        customer.status = lookups.status(status)
    except ValidationError as exc:
        _merge(errors, exc)
    try:
        customer_check_account_manager(customer, problem_of=lookups.account_manager_problem)
    except ValidationError as exc:
        _merge(errors, exc)
    requested = number if number != suggested_number else None
    if "status" not in errors:
        try:
            customer_check_number(
                customer_pk=None, old_number=None, status=customer.status, number=requested, actor=actor, owner_lookup=lookups.number_owner
            )
        except ValidationError as exc:
            _merge(errors, exc)
    for name in tags or ():
        if isinstance(name, Tag):
            continue
        problem = tag_name_problem(name)
        if problem:
            errors.setdefault("tags", []).append(ValidationError(problem))
    try:  # full_clean(validate_unique=False, validate_constraints=False), planned once per model
        clean_model(customer, exclude=_PREPARED_ELSEWHERE.union(exclude) if exclude else _PREPARED_ELSEWHERE)
    except ValidationError as exc:
        _merge(errors, exc)
    try:  # custom fields (R-FLD): types, choices, min/max, required, defaults; required standard fields (R-FLD-8)
        custom_fields.record_clean(
            customer, object_type="customer", kind=customer.kind, defs=lookups.custom_field_definitions(),
            standard_rules=lookups.standard_field_rules(), memo=lookups.custom_value_memo(),
        )
    except ValidationError as exc:
        _merge(errors, exc)
    if errors:
        raise ValidationError(errors)
    return requested


def customer_create(
    *,
    instance: Customer | None = None,
    status: CustomerStatus | int | str | None = None,
    number: int | None = None,
    suggested_number: int | None = None,
    tags: Iterable[str | Tag] | None = None,
    actor=None,
    **fields: Any,
) -> Customer:
    """Create a customer. Without status it gets the default status (R-STA-1/3).

    In a status with number it gets ``number`` if given (unique, R-NUM-2) or the next free
    number. ``suggested_number`` is the number the form showed: keeping it means "the next
    free one", so two people saving at once both succeed (R-NUM-4).

    The checks (``customer_prepare``) run before the transaction, so the write lock (SQLite)
    and the number sequence lock (MariaDB) are held only for numbering and saving; the
    number is checked again under the lock.
    """
    customer = instance or Customer()
    _apply(customer, fields)
    customer_prepare(customer=customer, status=status, number=number, suggested_number=suggested_number, tags=tags, actor=actor)
    if customer.logo:
        _make_thumbnail(customer)
    with transaction.atomic():
        customer.number = _number_for(customer, old_number=None, requested=number, suggested=suggested_number)
        _save(customer)
        _set_tags(customer, tags, new=True)
        events.event_record("customer.created", customer)
    return customer


@transaction.atomic
def customer_update(
    *,
    customer: Customer,
    status: CustomerStatus | int | str | None = None,
    number: int | None = None,
    suggested_number: int | None = None,
    tags: Iterable[str | Tag] | None = None,
    actor=None,
    **fields: Any,
) -> Customer:
    """Change a customer (R-STA-5: numbered → only statuses with number; R-NUM-3)."""
    before = events.snapshot(customer)
    old = Customer.objects.filter(pk=customer.pk).values("number", "logo", "logo_thumbnail", "account_manager_id").first() or {}
    old_number = old.get("number")
    _apply(customer, fields)
    if status is not None:
        customer.status = status_resolve(status)
    customer_check_account_manager(customer, old_manager_id=old.get("account_manager_id"))
    requested = number if number != suggested_number else None
    customer_check_number(customer_pk=customer.pk, old_number=old_number, status=customer.status, number=requested, actor=actor)
    customer.full_clean(exclude=["number", "status", "logo_thumbnail", "account_manager"], validate_unique=False)
    custom_fields.record_clean(customer, object_type="customer", kind=customer.kind)
    customer.number = _number_for(customer, old_number=old_number, requested=number, suggested=suggested_number)
    if (customer.logo.name or "") != (old.get("logo") or ""):
        _make_thumbnail(customer)
        uploads.delete_after_commit(customer.logo.storage, [old.get("logo"), old.get("logo_thumbnail")])
    from fortycrm.services.payers import instance_unchanged

    if not instance_unchanged(customer):  # a save that changes nothing writes no history
        _save(customer)
    _set_tags(customer, tags)
    events.event_saved("customer", customer, before)
    return customer


@transaction.atomic
def customer_convert_prospect(*, customer: Customer) -> bool:
    """R-STA-6: a customer without number switches to the target status and gets a number.

    Returns True when it switched. Locks the row so concurrent orders convert once.
    """
    locked = Customer.objects.select_for_update().select_related("status").get(pk=customer.pk)
    if locked.status.with_number and locked.number is not None:
        customer.status, customer.number = locked.status, locked.number
        return False
    old_status = locked.status_id
    if not locked.status.with_number:
        locked.status = conversion_target()
    if locked.number is None:
        locked.number = numbers.number_allocate(numbers.CUSTOMER)
    locked.save(update_fields=["status", "number", "updated_at"])
    customer.status, customer.number = locked.status, locked.number
    events.event_status_changed(locked, old_status=old_status)
    return True


@transaction.atomic
def customer_delete(*, customer: Customer) -> None:
    """Delete the customer with everything that belongs to it, stored files included (R-CUS-6)."""
    from fortycrm.models import MeterReading
    from fortycrm.services.billing import customer_delete_check

    customer_delete_check(customer)
    files = [f for f in (customer.logo, customer.logo_thumbnail) if f]
    files += [r.photo for r in MeterReading.objects.filter(meter__location__customer=customer).exclude(photo="")]
    doomed = [(f.storage, f.name) for f in files]
    events.event_record("customer.deleted", customer)
    customer.delete()
    transaction.on_commit(lambda: [storage.delete(name) for storage, name in doomed])

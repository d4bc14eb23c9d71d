"""Customer and invoice numbers (R-NUM).

A counter row per sequence, locked with ``select_for_update`` (MariaDB; on SQLite the
IMMEDIATE transaction mode serialises writers), hands out numbers. The unique constraint
on the number columns is the backstop.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Max
from django.utils import formats
from django.utils.translation import gettext as _

from fortycrm.models import Customer, Invoice, NumberSequence, SiteSettings
from fortycrm.ranges import NUMBER_MAX

CUSTOMER = "customer"
INVOICE = "invoice"


def _numbered_model(key: str) -> type[models.Model]:
    return {CUSTOMER: Customer, INVOICE: Invoice}[key]


def _start(key: str) -> int:
    site = SiteSettings.load()
    return site.customer_number_start if key == CUSTOMER else site.invoice_number_start


MAX_NUMBER = NUMBER_MAX  # fortycrm.ranges: the models' validators say the same
"""The highest customer or invoice number (nine digits): the services refuse larger ones, and
automatic numbering never hands one out. Numbers above it stored before the cap existed stay
where they are; allocation then continues after the highest number within the cap."""

TAKEN_CHUNK = 1000


def number_too_large_message() -> str:
    return _("A number can be at most %(max)s. Choose a smaller number or leave the field empty for the next free one.") % {
        "max": formats.number_format(MAX_NUMBER, force_grouping=True)
    }


def number_check_cap(number: int | None) -> None:
    """Refuse a chosen customer or invoice number above ``MAX_NUMBER`` (field ``number``)."""
    if number is not None and number > MAX_NUMBER:
        raise ValidationError({"number": ValidationError(number_too_large_message(), code="max_value")})


def _taken_from(model: type[models.Model], low: int) -> Iterator[int]:
    """The taken numbers from ``low`` up to the cap, ascending, read in chunks (any run length)."""
    while True:
        chunk = list(
            model.objects.filter(number__gte=low, number__lte=MAX_NUMBER).order_by("number").values_list("number", flat=True)[:TAKEN_CHUNK]
        )
        yield from chunk
        if len(chunk) < TAKEN_CHUNK:
            return
        low = chunk[-1] + 1


def _free_numbers(key: str, after: int, *, skip: Collection[int] = ()) -> Iterator[int]:
    """The free numbers above ``after`` (and not below the site's start), ascending, up to the cap.

    The one walk behind suggesting, allocating one and allocating a batch. A number is free
    when no record holds it and it is not in ``skip`` (numbers chosen elsewhere in a batch).
    If ``after`` is at or above the cap (a huge number stored before the cap existed), the walk
    starts after the highest number within the cap instead, or, when that is the cap itself,
    at the start (the first gap). Raises a ValidationError when no
    number up to the cap is left.
    """
    model = _numbered_model(key)
    start = _start(key)
    candidate = max(after + 1, start)
    if candidate > MAX_NUMBER:
        highest = model.objects.filter(number__lte=MAX_NUMBER).aggregate(highest=Max("number"))["highest"] or 0
        candidate = max(highest + 1, start)
        if candidate > MAX_NUMBER:  # the cap itself is taken: the first free number from the start
            candidate = start
    taken = _taken_from(model, candidate)
    next_taken = next(taken, None)
    while candidate <= MAX_NUMBER:
        while next_taken is not None and next_taken < candidate:
            next_taken = next(taken, None)
        if candidate != next_taken and candidate not in skip:
            yield candidate
        candidate += 1
    raise ValidationError(
        {"number": _("Every number up to %(max)s is taken. Free numbers cannot be handed out automatically any more.")
         % {"max": formats.number_format(MAX_NUMBER, force_grouping=True)}},
        code="numbers_exhausted",
    )


def _locked_sequence(key: str) -> NumberSequence:
    NumberSequence.objects.get_or_create(key=key)
    return NumberSequence.objects.select_for_update().get(key=key)


def number_suggest(key: str = CUSTOMER) -> int | None:
    """The number the next record would get (no lock; for display in forms); None when none is left."""
    seq = NumberSequence.objects.filter(key=key).first()
    try:
        return next(_free_numbers(key, seq.last_value if seq else 0))
    except ValidationError:
        return None


def number_allocate(key: str = CUSTOMER) -> int:
    """Hand out the next free number. Must run inside the caller's transaction."""
    return number_assign_many(key, [None])[0]


def number_assign_many(key: str, wanted: list[int | None]) -> list[int]:
    """Numbers for records in order (one record, or a bulk import batch), under the counter row lock.

    ``None`` gets the next free number; an int is a freely chosen number already checked to
    be free, which moves the counter past it as ``customer_number_claim`` does. Numbers
    taken in the database or chosen elsewhere in the batch are skipped. Must run inside
    the caller's transaction.
    """
    if not wanted:
        return []
    explicit = {w for w in wanted if w is not None}
    with transaction.atomic():
        seq = _locked_sequence(key)
        last = seq.last_value
        free: Iterator[int] | None = None
        result: list[int] = []
        for number in wanted:
            if number is not None:
                result.append(number)
                if number > last:
                    last, free = number, None  # the next automatic number follows the chosen one
                continue
            if free is None:
                free = _free_numbers(key, last, skip=explicit)
            last = next(free)
            result.append(last)
        if last != seq.last_value:
            seq.last_value = last
            seq.save(update_fields=["last_value"])
        return result


def customer_number_owner(number: int, *, exclude_pk: int | None = None) -> Customer | None:
    return Customer.objects.filter(number=number).exclude(pk=exclude_pk).first()


def number_taken_error(number: int, owner: Customer) -> ValidationError:
    return ValidationError(
        {
            "number": ValidationError(
                _("Customer number %(number)s is already taken by “%(customer)s”. Choose another number or leave the field empty for the next free one.")
                % {"number": number, "customer": owner.display_name},
                code="number_taken",
            )
        }
    )


def customer_number_claim(number: int, *, customer_pk: int | None = None) -> int:
    """Reserve a freely chosen number; raise a ValidationError naming the holder if taken."""
    if number is None or number < 1:
        raise ValidationError({"number": _("A customer number must be a whole number of at least 1.")}, code="invalid")
    number_check_cap(number)
    with transaction.atomic():
        seq = _locked_sequence(CUSTOMER)
        owner = customer_number_owner(number, exclude_pk=customer_pk)
        if owner is not None:
            raise number_taken_error(number, owner)
        if number > seq.last_value:
            seq.last_value = number
            seq.save(update_fields=["last_value"])
        return number

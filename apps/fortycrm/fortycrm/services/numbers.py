"""Customer and invoice numbers (R-NUM).

A counter row per sequence, locked with ``select_for_update`` (MariaDB; on SQLite the
IMMEDIATE transaction mode serialises writers), hands out numbers. The unique constraint
on the number columns is the backstop.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.translation import gettext as _

from fortycrm.models import Customer, Invoice, NumberSequence, SiteSettings

CUSTOMER = "customer"
INVOICE = "invoice"


def _numbered_model(key: str) -> type[models.Model]:
    return {CUSTOMER: Customer, INVOICE: Invoice}[key]


def _start(key: str) -> int:
    site = SiteSettings.load()
    return site.customer_number_start if key == CUSTOMER else site.invoice_number_start


def _next_free(key: str, after: int) -> int:
    model = _numbered_model(key)
    candidate = max(after + 1, _start(key))
    taken = set(
        model.objects.filter(number__gte=candidate, number__lt=candidate + 1000).values_list("number", flat=True)
    )
    while candidate in taken:
        candidate += 1
    return candidate


def _locked_sequence(key: str) -> NumberSequence:
    NumberSequence.objects.get_or_create(key=key)
    return NumberSequence.objects.select_for_update().get(key=key)


def number_suggest(key: str = CUSTOMER) -> int:
    """The number the next record would get (no lock; for display in forms)."""
    seq = NumberSequence.objects.filter(key=key).first()
    return _next_free(key, seq.last_value if seq else 0)


def number_allocate(key: str = CUSTOMER) -> int:
    """Hand out the next free number. Must run inside the caller's transaction."""
    with transaction.atomic():
        seq = _locked_sequence(key)
        number = _next_free(key, seq.last_value)
        seq.last_value = number
        seq.save(update_fields=["last_value"])
        return number


def number_assign_many(key: str, wanted: list[int | None]) -> list[int]:
    """Numbers for a batch of records in file order (bulk import), under the counter row lock.

    ``None`` gets the next free number, as ``number_allocate`` would hand it out one by one;
    an int is a freely chosen number already checked to be free, which moves the counter
    past it as ``customer_number_claim`` does. Numbers taken in the database or chosen
    elsewhere in the batch are skipped. Must run inside the caller's transaction.
    """
    if not wanted:
        return []
    model = _numbered_model(key)
    explicit = {w for w in wanted if w is not None}
    with transaction.atomic():
        seq = _locked_sequence(key)
        last, start = seq.last_value, _start(key)
        window_lo = window_hi = 0
        taken: set[int] = set()
        result: list[int] = []
        for number in wanted:
            if number is not None:
                result.append(number)
                last = max(last, number)
                continue
            candidate = max(last + 1, start)
            while True:
                if not window_lo <= candidate < window_hi:
                    window_lo, window_hi = candidate, candidate + len(wanted) + 1000
                    taken = set(model.objects.filter(number__gte=window_lo, number__lt=window_hi).values_list("number", flat=True))
                if candidate in taken or candidate in explicit:
                    candidate += 1
                    continue
                break
            result.append(candidate)
            last = candidate
        if last != seq.last_value:
            seq.last_value = last
            seq.save(update_fields=["last_value"])
        return result


def number_allocate_many(key: str, count: int) -> list[int]:
    """``count`` next free numbers at once (see ``number_assign_many``)."""
    return number_assign_many(key, [None] * count) if count > 0 else []


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
    with transaction.atomic():
        seq = _locked_sequence(CUSTOMER)
        owner = customer_number_owner(number, exclude_pk=customer_pk)
        if owner is not None:
            raise number_taken_error(number, owner)
        if number > seq.last_value:
            seq.last_value = number
            seq.save(update_fields=["last_value"])
        return number

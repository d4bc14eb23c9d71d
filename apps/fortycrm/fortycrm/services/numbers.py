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


def number_allocate_many(key: str, count: int) -> list[int]:
    """Hand out ``count`` free numbers at once (bulk import). Must run inside the caller's transaction.

    Same rule as ``number_allocate``: counting up from the last given number (or the start
    value), skipping numbers already taken, under the lock of the counter row.
    """
    if count <= 0:
        return []
    model = _numbered_model(key)
    with transaction.atomic():
        seq = _locked_sequence(key)
        candidate = max(seq.last_value + 1, _start(key))
        result: list[int] = []
        while len(result) < count:
            window = count - len(result) + 1000
            taken = set(model.objects.filter(number__gte=candidate, number__lt=candidate + window).values_list("number", flat=True))
            end = candidate + window
            while candidate < end and len(result) < count:
                if candidate not in taken:
                    result.append(candidate)
                candidate += 1
        seq.last_value = result[-1]
        seq.save(update_fields=["last_value"])
        return result


def number_claim_many(key: str, numbers: list[int]) -> None:
    """Freely chosen numbers (already checked to be free) move the counter past them, as a claim does."""
    if not numbers:
        return
    with transaction.atomic():
        seq = _locked_sequence(key)
        highest = max(numbers)
        if highest > seq.last_value:
            seq.last_value = highest
            seq.save(update_fields=["last_value"])


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

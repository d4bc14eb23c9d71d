"""Value ranges of the integer columns, the same on SQLite, MariaDB and PostgreSQL.

SQLite stores any 64-bit integer in any integer column, MariaDB refuses what does not fit
its column type (``smallint``: ±32,767 / 65,535 unsigned, ``int``: ±2,147,483,647). A site
that started on SQLite must load into MariaDB, so every integer field carries explicit
validators for the smallest portable range of its type; ``full_clean`` (services), model
forms (desk) and ``ModelSerializer`` (API, as ``min_value``/``max_value``) all check them.
Decimal fields are checked by Django's own ``DecimalValidator`` (``max_digits``).
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator

SMALL_MAX = 32_767
INTEGER_MAX = 2_147_483_647
BIG_MAX = 9_223_372_036_854_775_807
# customer and invoice numbers (and their start values): documented cap, see services.numbers
NUMBER_MAX = 999_999_999


def value_range(minimum: int, maximum: int) -> list:
    """Validators for ``minimum <= value <= maximum``."""
    return [MinValueValidator(minimum), MaxValueValidator(maximum)]


def positive_small(minimum: int = 0) -> list:
    """``PositiveSmallIntegerField``: minimum..32,767."""
    return value_range(minimum, SMALL_MAX)


def positive_integer(minimum: int = 0) -> list:
    """``PositiveIntegerField``: minimum..2,147,483,647."""
    return value_range(minimum, INTEGER_MAX)


def big_integer() -> list:
    """``BigIntegerField``: ±9,223,372,036,854,775,807."""
    return value_range(-BIG_MAX - 1, BIG_MAX)


def record_number(minimum: int = 0) -> list:
    """Customer and invoice numbers and their start values: minimum..999,999,999."""
    return value_range(minimum, NUMBER_MAX)

"""Reads that are more than a filter."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from operator import itemgetter
from typing import Any

from django.db import connections, router
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from fortycrm.models import Contact, Customer, CustomerStatus, MeterReading
from fortycrm.models.staff import person_name


def account_manager_candidates() -> QuerySet:
    """Users who may be account manager: active and in at least one group (the desk's roles).

    The one definition used by the desk form, the API serializer, the import and the
    customer services.
    """
    from django.contrib.auth import get_user_model

    from fortycrm.models.customers import account_manager_limit

    return get_user_model().objects.filter(account_manager_limit()).distinct().order_by("first_name", "last_name", "username")


def account_manager_problem(user) -> str | None:
    """Why ``user`` cannot be account manager, or None when it can."""
    if user is None:
        return None
    label = user.get_username()
    if not user.is_active:
        return _("The user “%(value)s” is deactivated and cannot be account manager. Choose an active user.") % {"value": label}
    if not account_manager_candidates().filter(pk=user.pk).exists():
        return _(
            "The user “%(value)s” belongs to no user group, so it cannot be account manager. "
            "Add the user to a group (e.g. Büro) or choose another user."
        ) % {"value": label}
    return None


DUPLICATE_EMAIL = "email"
DUPLICATE_NAME_POSTCODE = "name_postcode"


def _dup_text(value: str | None) -> str:
    return (value or "").strip().lower()


_COMPANY = str(Customer.Kind.COMPANY)  # the plain text: compared once per row of an import


def duplicate_name_key(customer: Customer) -> tuple | None:
    """What makes two customers "the same by name": kind, name (company) or last and first
    name (private person), and postcode. None when the customer has no name yet."""
    if customer.kind == _COMPANY:
        name: tuple = (_dup_text(customer.name),)
    else:
        name = (_dup_text(customer.last_name), _dup_text(customer.first_name))
    if not name[0]:
        return None
    return (customer.kind, *name, _dup_text(customer.postcode))


def duplicate_email_key(customer: Customer) -> str:
    """The customer's e-mail as duplicates compare it ("" when it has none)."""
    return _dup_text(customer.email)


_PREFILTER_COLLATIONS: dict[tuple[str, str], dict[tuple[str, str], bool]] = {}


def _collation_prefilter(connection, table: str, column: str) -> bool:
    """True when the column's plain index can find the candidates of ``LOWER(TRIM(column)) = key``.

    MariaDB/MySQL cannot index the expression; a case-insensitive PAD SPACE collation (the
    project's ``utf8mb4_unicode_ci``, ``*_general_ci``, ``uca1400_*_ci``) compares a column
    like its lower-cased value without trailing spaces, so ``column = key OR column LIKE ' %'``
    (leading spaces) finds at least every row whose ``LOWER(TRIM(column))`` is ``key`` — through
    the index, where the expression reads the whole table on every call. The rows are then
    compared exactly, as before. Other collations (binary, NO PAD) keep the expression.
    Read once per process and database from ``information_schema``.
    """
    if connection.vendor != "mysql":
        return False
    key = (connection.alias, connection.settings_dict["NAME"])
    known = _PREFILTER_COLLATIONS.get(key)
    if known is None:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT TABLE_NAME, COLUMN_NAME, COLLATION_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN (%s, %s)",
                [Customer._meta.db_table, Contact._meta.db_table],
            )
            known = {
                (t, c): bool(coll) and coll.lower().endswith("_ci") and "nopad" not in coll.lower() and "0900" not in coll.lower()
                for t, c, coll in cursor.fetchall()
            }
        _PREFILTER_COLLATIONS[key] = known
    return known.get((table, column), False)


def customer_duplicates(
    customers: list[Customer], *, name_keys: list[tuple | None] | None = None, email_keys: list[str] | None = None
) -> list[list[tuple[Customer, str]]]:
    """Stored customers that may be the same as each of ``customers`` (possible duplicates).

    The one definition of a duplicate, used by the import (one call per batch) and by the
    website intake. Another stored customer is a possible duplicate when

    * ``email``: the customer's e-mail equals the other customer's e-mail or the e-mail of
      one of the other customer's contacts, or
    * ``name_postcode``: both are of the same kind and have the same name (company: name;
      private person: last and first name) and the same postcode (an empty postcode
      matches an empty one).

    Texts compare case-insensitively, surrounding spaces ignored. (On SQLite, as Django
    documents for ``iexact``, letters outside ASCII compare case-sensitively in stored values.)
    Returns, per customer in order, a list of (other customer with status, reason) ordered
    by id, each other customer once (``email`` first); a customer never matches itself.

    One query finds the candidates' compared values (plain SQL: a ``UNION ALL`` per criterion,
    each answered by an index — the expression indexes ``duplicate_text`` on SQLite, the
    column's index on MariaDB, see ``_collation_prefilter``); a second one loads the customers
    that really match, only when there are any. The compared values are the database's
    ``LOWER(TRIM(…))`` as before, compared exactly in Python.

    ``name_keys`` and ``email_keys``: ``duplicate_name_key`` and ``duplicate_email_key`` of
    each customer, when the caller has them already (the import compares them within the file too).
    """
    if not customers:
        return []
    if name_keys is None:
        name_keys = [duplicate_name_key(c) for c in customers]
    if email_keys is None:
        email_keys = [duplicate_email_key(c) for c in customers]
    companies = sorted({k[1] for k in name_keys if k and k[0] == Customer.Kind.COMPANY})
    people = sorted({k[1] for k in name_keys if k and k[0] == Customer.Kind.PRIVATE})
    emails = sorted({e for e in email_keys if e})
    if not (companies or people or emails):
        return [[] for _customer in customers]
    connection = connections[router.db_for_read(Customer)]
    quote = connection.ops.quote_name
    customer_table, contact_table = Customer._meta.db_table, Contact._meta.db_table

    def dup(alias: str, column: str) -> str:
        return f"LOWER(TRIM({alias}.{quote(column)}))"

    def matches(alias: str, table: str, column: str, values: list[str], params: list) -> str:
        marks = ", ".join(["%s"] * len(values))
        if _collation_prefilter(connection, table, column):
            params += [*values, " %"]
            return f"({alias}.{quote(column)} IN ({marks}) OR {alias}.{quote(column)} LIKE %s)"
        params += values
        return f"{dup(alias, column)} IN ({marks})"

    values = ", ".join([f"c.{quote('id')}", f"c.{quote('kind')}", *(dup("c", f) for f in ("name", "last_name", "first_name", "postcode", "email"))])
    head = f"SELECT {values}, %s FROM {quote(customer_table)} c WHERE "
    parts: list[str] = []
    params: list[Any] = []
    # no condition on the kind: the planners would take the kind's index (every row of a kind)
    # over the name's; a row of the other kind has another key below and matches nothing
    for column, wanted in (("name", companies), ("last_name", people)):
        if wanted:
            params.append("")
            parts.append(head + matches("c", customer_table, column, wanted, params))
    if emails:
        params.append("")
        parts.append(head + matches("c", customer_table, "email", emails, params))
        parts.append(
            f"SELECT {values}, {dup('ct', 'email')} FROM {quote(contact_table)} ct "
            f"INNER JOIN {quote(customer_table)} c ON c.{quote('id')} = ct.{quote('customer_id')} WHERE "
            + matches("ct", contact_table, "email", emails, params)
        )
    by_name: dict[tuple, list[int]] = {}
    by_email: dict[str, list[int]] = {}
    seen: dict[int, set[str]] = {}  # candidate id → its e-mails (own and contacts')
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        rows = cursor.fetchall()
    for pk, kind, name, last, first, postcode, email, contact_email in sorted(rows, key=itemgetter(0)):
        if pk not in seen:
            seen[pk] = {email}
            key: tuple = (kind, name, postcode) if kind == Customer.Kind.COMPANY else (kind, last, first, postcode)
            by_name.setdefault(key, []).append(pk)
        if contact_email:
            seen[pk].add(contact_email)
    for pk, found_emails in seen.items():
        for email in found_emails - {""}:
            by_email.setdefault(email, []).append(pk)
    found: list[list[tuple[int, str]]] = []
    for customer, name_key, email_key in zip(customers, name_keys, email_keys):
        same_email = by_email.get(email_key, ()) if email_key else ()
        same_name = by_name.get(name_key, ()) if name_key else ()
        if not (same_email or same_name):
            found.append([])
            continue
        reasons: dict[int, str] = {}
        for pk in same_email:
            reasons.setdefault(pk, DUPLICATE_EMAIL)
        for pk in same_name:
            reasons.setdefault(pk, DUPLICATE_NAME_POSTCODE)
        reasons.pop(customer.pk, None)
        found.append([(pk, reasons[pk]) for pk in sorted(reasons)])
    wanted_ids = {pk for pairs in found for pk, _reason in pairs}
    if not wanted_ids:
        return [[] for _pairs in found]
    others = Customer.objects.select_related("status").in_bulk(sorted(wanted_ids))
    return [[(others[pk], reason) for pk, reason in pairs if pk in others] for pairs in found]


def customer_list_queryset() -> QuerySet[Customer]:
    return Customer.objects.select_related("status", "account_manager").prefetch_related("tags")


def _display(record, field: str, value: Any) -> str:
    if value in (None, ""):
        return "—"
    model_field = record.instance._meta.get_field(field)
    if getattr(model_field, "choices", None):
        return str(dict(model_field.flatchoices).get(value, value))
    if model_field.is_relation:
        target = model_field.related_model._default_manager.filter(pk=value).first()
        return str(target) if target else f"#{value}"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return str(value)


def history_of(obj, *, limit: int = 15) -> list[dict[str, Any]]:
    """The latest changes of a record, newest first, as data for a template.

    Each row is ``{"when": datetime, "who": str, "what": [(label, change), …]}``: for a change
    one pair per changed field with ``change`` = "old → new"; for a creation or deletion one
    pair ("created"/"deleted", ""). Saves that changed no field (and many-to-many changes) are
    left out.
    """
    records = list(obj.history.select_related("history_user").order_by("-history_date", "-history_id")[: limit + 1])
    rows = []
    for newer, older in zip(records, records[1:] + [None]):
        if len(rows) == limit:
            break
        who = person_name(newer.history_user) if newer.history_user else (newer.history_change_reason or _("system / API"))
        if newer.history_type == "+":
            what = [(_("created"), "")]
        elif newer.history_type == "-":
            what = [(_("deleted"), "")]
        elif older is None:
            what = [(_("changed"), "")]
        else:
            delta = newer.diff_against(older, foreign_keys_are_objs=False)
            what = []
            for change in delta.changes:
                field = newer.instance._meta.get_field(change.field)
                label = str(getattr(field, "verbose_name", change.field))
                if field.many_to_many:
                    continue
                what.append((label, f"{_display(older, change.field, change.old)} → {_display(newer, change.field, change.new)}"))
            if hasattr(newer, "custom_field_data"):  # not editable, so not in diff_against: one line per custom field (R-FLD)
                what.extend(custom_field_changes(newer.instance._meta.model_name, older.custom_field_data, newer.custom_field_data))
            if not what:
                continue
        rows.append({"when": newer.history_date, "who": who, "what": what})
    return rows


def custom_field_changes(object_type: str, old: Any, new: Any) -> list[tuple[str, str]]:
    """History lines "label: old → new" for a change of ``custom_field_data`` (R-FLD)."""
    from fortycrm import custom_fields

    old = old if isinstance(old, dict) else {}
    new = new if isinstance(new, dict) else {}
    by_name = {d.name: d for d in custom_fields.definitions(object_type)}
    lines = []
    for name in sorted(set(old) | set(new), key=lambda n: (by_name[n].position, n) if n in by_name else (10**6, n)):
        if old.get(name) == new.get(name):
            continue
        definition = by_name.get(name)
        if definition is None:
            lines.append((name, f"{old.get(name, '—')} → {new.get(name, '—')}"))
            continue
        before = custom_fields.value_display(definition, old.get(name)) or "—"
        after = custom_fields.value_display(definition, new.get(name)) or "—"
        lines.append((definition.display_label(), f"{before} → {after}"))
    return lines


def status_counts() -> list[CustomerStatus]:
    """Statuses with their number of customers (start page); the counts are cached per
    customer-data generation (``fortycrm.listcache``), so the page does not count 100,000 rows."""
    from django.core.cache import cache

    from fortycrm import listcache

    key = listcache.count_key("status-counts", (), listcache.generation())
    counts = cache.get(key)
    if counts is None:
        counts = dict(Customer.objects.order_by().values_list("status_id").annotate(n=Count("id")).values_list("status_id", "n"))
        cache.set(key, counts, 300)
    statuses = list(CustomerStatus.objects.order_by("position", "name"))
    for status in statuses:
        status.customer_count = counts.get(status.pk, 0)
    return statuses


def upcoming_birthdays(*, today: dt.date | None = None, days: int = 14) -> list[dict[str, Any]]:
    """Contacts whose birthday falls in the next ``days`` days (R-CON-4).

    29 February counts as 28 February in years without it.
    """
    today = today or timezone.localdate()
    found = []
    window = Q()  # only contacts whose day and month fall in the window (not every contact with a birthday)
    for offset in range(days + 1):
        day = today + dt.timedelta(days=offset)
        window |= Q(birthday__month=day.month, birthday__day=day.day)
        if (day.month, day.day) == (2, 28):
            window |= Q(birthday__month=2, birthday__day=29)
    # a range on the birthday index (not IS NOT NULL, which SQLite answers by scanning every contact)
    for contact in Contact.objects.filter(window, birthday__gte=dt.date(1, 1, 1)).select_related("customer").order_by():
        birthday = contact.birthday
        for year in (today.year, today.year + 1):
            try:
                next_date = birthday.replace(year=year)
            except ValueError:  # 29 February in a non-leap year
                next_date = dt.date(year, 2, 28)
            if next_date >= today:
                break
        delta = (next_date - today).days
        if 0 <= delta <= days:
            found.append({"contact": contact, "date": next_date, "in_days": delta, "age": next_date.year - birthday.year})
    found.sort(key=lambda row: (row["in_days"], row["contact"].last_name))
    return found


def main_contact(customer: Customer) -> Contact | None:
    """The customer's most important contact (lowest priority number)."""
    return customer.contacts.order_by("priority", "last_name", "first_name", "id").first()


def location_record_queryset():
    """Locations with what the location record ("Objektakte") shows of the customer."""
    from fortycrm.models import Location

    return Location.objects.select_related("customer__status", "customer__account_manager")


def meters_with_last_reading(qs):
    """Annotate meters with their latest reading and reading count (one query for any number)."""
    from django.db.models import IntegerField, OuterRef, Subquery
    from django.db.models.functions import Coalesce

    from fortycrm.models import MeterReading

    latest = MeterReading.objects.filter(meter=OuterRef("pk")).order_by("-read_at", "-id")
    counted = (
        MeterReading.objects.filter(meter=OuterRef("pk")).order_by().values("meter").annotate(n=Count("id")).values("n")
    )
    return qs.annotate(
        last_value=Subquery(latest.values("value")[:1]),
        last_read_at=Subquery(latest.values("read_at")[:1]),
        reading_count=Coalesce(Subquery(counted, output_field=IntegerField()), 0),
    )


def readings_with_previous(qs):
    """Annotate readings with the previous reading's value of the same meter (for consumption)."""
    from django.db.models import OuterRef, Subquery

    from fortycrm.models import MeterReading

    before = MeterReading.objects.filter(
        Q(read_at__lt=OuterRef("read_at")) | Q(read_at=OuterRef("read_at"), id__lt=OuterRef("id")), meter=OuterRef("meter")
    ).order_by("-read_at", "-id")
    return qs.annotate(previous_value=Subquery(before.values("value")[:1]))


def customer_possible_duplicates(customer: Customer) -> list[dict[str, Any]]:
    """Possible duplicates of ``customer`` as ``customer_duplicates`` defines them (the intake's answer)."""
    return [
        {"id": other.pk, "number": other.number, "display_name": other.display_name, "status_name": other.status.name, "reason": reason}
        for other, reason in customer_duplicates([customer])[0][:20]
    ]


# --- meters and orders -------------------------------------------------------------------


def plain_decimal(value: Decimal) -> Decimal:
    """1234.500 → 1234.5, 100.000 → 100 (without exponent notation)."""
    value = Decimal(value)
    return value.quantize(Decimal(1)) if value == value.to_integral() else value.normalize()


def reading_timeline_key(reading: MeterReading) -> tuple:
    """Readings in time order; unsaved ones after saved ones at the same time."""
    return (reading.read_at, reading.pk is None, reading.pk or 0)


def consumption(reading: MeterReading, previous: MeterReading | None) -> Decimal | None:
    """Consumption since the previous reading; None for the first one or after an exchange."""
    if previous is None or reading.is_exchange:
        return None
    return reading.value - previous.value


def readings_with_consumption(readings: list[MeterReading]) -> list[tuple[MeterReading, Decimal | None]]:
    """Pair each reading (of one meter, any order) with its consumption, without extra queries.

    Newest first.
    """
    ordered = sorted(readings, key=reading_timeline_key)
    result = []
    previous = None
    for reading in ordered:
        result.append((reading, consumption(reading, previous)))
        previous = reading
    return list(reversed(result))


def active_orders(qs=None):
    """Orders running today: started, not ended (R-LOC-2 "Aktive Leistungen")."""
    from fortycrm.models import Order

    today = timezone.localdate()
    qs = qs if qs is not None else Order.objects.all()
    return qs.filter(start__lte=today).filter(Q(end__isnull=True) | Q(end__gte=today))


def new_enquiries(user, *, days: int = 14, limit: int = 10) -> list[Any]:
    """Website form submissions of the last ``days`` for the start page ("Neue Anfragen").

    The account manager a form notifies sees its submissions; a superuser sees all. A double
    opt-in submission shows once it is confirmed.
    """
    from fortycrm.models import WebFormSubmission

    if user is None or not getattr(user, "is_authenticated", False):
        return []
    rows = WebFormSubmission.objects.filter(submitted_at__gte=timezone.now() - dt.timedelta(days=days))
    rows = rows.filter(Q(confirm_token__isnull=True) | Q(confirmed_at__isnull=False))
    if not user.is_superuser:
        rows = rows.filter(notify_user=user)
    # the customers by one small query, not a join: with a join SQLite walked every customer (issue 13);
    # index (submitted_at) and, for an account manager, (notify_user, submitted_at) serve the order
    return list(rows.prefetch_related("customer").order_by("-submitted_at")[:limit])


# R-PAY: effective customer settings and cost-bearer budgets live in their own module
from fortycrm.payer_selectors import (  # noqa: E402,F401
    EffectiveSettings,
    cost_bearer_budget,
    customer_effective_settings,
    customer_effective_settings_from_rows,
    customer_effective_settings_many,
)

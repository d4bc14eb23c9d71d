"""Filters. Customers: ``status`` (id or name), ``tag`` (repeatable: all of them),
``account_manager``, ``changed_since`` (ISO 8601), ``search``, ``ordering``.
Other resources: django-filter FilterSets on their foreign keys and a few fields."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

import django_filters
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from fortycrm.listcache import memo
from fortycrm.models import Contact, Customer, Invoice, Location, Meter, MeterReading, Order, Supplier, Tag
from fortycrm.services.statuses import status_find, status_resolve
from fortycrm.tagnames import tag_clean, tag_normalize
from fortycrm.validators import parse_whole_number

CUSTOMER_ORDERING = {"number", "name", "created_at", "updated_at", "city", "postcode", "last_name", "id"}
DEFAULT_CUSTOMER_ORDERING = ("-created_at", "-id")
_OFFSET_WITH_SPACE = re.compile(r"^(.*\d\d:\d\d(?::\d\d(?:\.\d+)?)?) (\d\d(?::?\d\d)?)$")


def parse_id(value: str, field_name: str) -> int:
    number = parse_whole_number(value)
    if not number:
        raise ValidationError({field_name: _("“%(value)s” is not a valid id; send a whole number such as 12.") % {"value": value}})
    return number


def parse_changed_since(value: str) -> dt.datetime:
    text = (value or "").strip()
    # a "+01:00" offset that was not URL-encoded arrives as " 01:00"
    text = _OFFSET_WITH_SPACE.sub(r"\1+\2", text)
    problem = _("“%(value)s” is not a date or time in ISO 8601 form, e.g. 2025-03-01 or 2025-03-01T08:00:00+01:00.") % {"value": value}
    try:
        moment = parse_datetime(text)
        if moment is None:
            day = parse_date(text)
            if day is None:
                raise ValueError
            moment = dt.datetime.combine(day, dt.time.min)
    except (ValueError, OverflowError):
        raise ValidationError({"changed_since": problem})
    if timezone.is_naive(moment):
        try:
            moment = timezone.make_aware(moment)
        except (ValueError, OverflowError):
            raise ValidationError({"changed_since": problem})
    return moment


def _status_id(text: str) -> int | None:
    found = status_find(text)
    return found.pk if found is not None else None


@dataclass
class CustomerFilter:
    """The customer list's filters, parsed and checked; ``key`` identifies the result set."""

    status_id: int | None = None
    tag_ids: list[int] = field(default_factory=list)
    unknown_tag: bool = False
    account_manager_id: int | None = None
    changed_since: dt.datetime | None = None
    search: str = ""
    ordering: tuple[str, ...] = DEFAULT_CUSTOMER_ORDERING

    @classmethod
    def from_params(cls, params, *, gen: str | None = None) -> CustomerFilter:
        """Parse the query; with ``gen`` (the customer-data generation) name lookups are memoised."""

        def lookup(key: tuple, compute):
            return compute() if gen is None else memo(gen, key, compute)

        result = cls()
        errors: dict[str, str] = {}
        status = (params.get("status") or "").strip()
        if status:
            found = lookup(("status", status.casefold()), lambda: _status_id(status))
            if found is None:
                try:
                    status_resolve(status)
                except ValidationError as exc:
                    errors["status"] = exc.message_dict["status"][0]
            result.status_id = found
        names = [tag_clean(n) for n in params.getlist("tag") if n.strip()]
        if names:
            wanted = {tag_normalize(n) for n in names}
            ids = lookup(("tags", tuple(sorted(wanted))), lambda: list(Tag.objects.filter(normalized__in=wanted).values_list("pk", flat=True)))
            result.tag_ids = sorted(ids)
            result.unknown_tag = len(ids) < len(wanted)
        manager = (params.get("account_manager") or "").strip()
        if manager:
            try:
                result.account_manager_id = parse_id(manager, "account_manager")
            except ValidationError as exc:
                errors.update({k: v[0] for k, v in exc.message_dict.items()})
        since = params.get("changed_since")
        if since:
            try:
                result.changed_since = parse_changed_since(since)
            except ValidationError as exc:
                errors.update({k: v[0] for k, v in exc.message_dict.items()})
        result.search = " ".join((params.get("search") or "").split())[:100]
        ordering = (params.get("ordering") or "").strip()
        if ordering:
            parts = [p.strip() for p in ordering.split(",") if p.strip()]
            bad = [p for p in parts if p.lstrip("-") not in CUSTOMER_ORDERING]
            if bad or not parts:
                errors["ordering"] = _("Cannot sort by “%(value)s”. Choose from: %(fields)s (prefix “-” for descending).") % {
                    "value": ordering,
                    "fields": ", ".join(sorted(CUSTOMER_ORDERING)),
                }
            else:
                if not any(p.lstrip("-") == "id" for p in parts):
                    parts.append("-id" if parts[0].startswith("-") else "id")
                result.ordering = tuple(parts)
        if errors:
            raise ValidationError(errors)
        return result

    @property
    def key(self) -> tuple:
        return (self.status_id, tuple(self.tag_ids), self.unknown_tag, self.account_manager_id,
                self.changed_since.isoformat() if self.changed_since else None, self.search)

    def apply(self, qs: QuerySet[Customer]) -> QuerySet[Customer]:
        if self.unknown_tag:
            return qs.none()
        if self.status_id is not None:
            qs = qs.filter(status_id=self.status_id)
        through = Customer.tags.through
        for tag_id in self.tag_ids:
            qs = qs.filter(Exists(through.objects.filter(customer_id=OuterRef("pk"), tag_id=tag_id)))
        if self.account_manager_id is not None:
            qs = qs.filter(account_manager_id=self.account_manager_id)
        if self.changed_since is not None:
            qs = qs.filter(updated_at__gte=self.changed_since)
        if self.search:
            q = Q()
            for term in self.search.split(" "):
                part = (
                    Q(name__icontains=term) | Q(short_name__icontains=term) | Q(last_name__icontains=term)
                    | Q(first_name__icontains=term) | Q(email__icontains=term) | Q(city__icontains=term)
                )
                number = parse_whole_number(term)
                if number is not None:
                    part |= Q(number=number)
                q &= part
            qs = qs.filter(q)
        return qs.order_by(*self.ordering)


class ContactFilter(django_filters.FilterSet):
    class Meta:
        model = Contact
        fields = ["customer", "location"]


class LocationFilter(django_filters.FilterSet):
    class Meta:
        model = Location
        fields = ["customer"]


class SupplierFilter(django_filters.FilterSet):
    name = django_filters.CharFilter(lookup_expr="icontains")
    trade = django_filters.CharFilter(lookup_expr="icontains")

    class Meta:
        model = Supplier
        fields = ["name", "trade"]


class MeterFilter(django_filters.FilterSet):
    customer = django_filters.NumberFilter(field_name="location__customer")

    class Meta:
        model = Meter
        fields = ["location", "kind", "number"]


class ReadingFilter(django_filters.FilterSet):
    read_after = django_filters.IsoDateTimeFilter(field_name="read_at", lookup_expr="gte")
    read_before = django_filters.IsoDateTimeFilter(field_name="read_at", lookup_expr="lte")

    class Meta:
        model = MeterReading
        fields = ["meter"]


class OrderFilter(django_filters.FilterSet):
    class Meta:
        model = Order
        fields = ["customer", "location", "recurrence"]


class InvoiceFilter(django_filters.FilterSet):
    class Meta:
        model = Invoice
        fields = ["customer", "location", "is_draft"]

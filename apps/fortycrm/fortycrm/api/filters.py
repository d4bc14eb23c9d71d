"""Filters: django-filter FilterSets, which also describe the query parameters in the OpenAPI schema.

Customers: ``status`` (id or name), ``tag`` (repeatable: all of them), ``account_manager``,
``changed_since`` (ISO 8601), ``search``, ``ordering``. Other resources filter on their foreign
keys and a few fields."""

from __future__ import annotations

import datetime as dt
import re

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field

from fortycrm.api.custom_fields import CustomFieldFilterMixin, custom_field_q  # noqa: F401  (custom_field_q: the desk's filters)
from fortycrm.listcache import memo
from fortycrm.models import Contact, Customer, CustomerStatus, Invoice, Location, Meter, MeterReading, Order, Supplier, Tag
from fortycrm.services.statuses import status_find, status_resolve
from fortycrm.tagnames import TAG_NAME_MAX_LENGTH, tag_clean, tag_normalize
from fortycrm.validators import MAX_ID, parse_whole_number

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


def parse_ordering(value: str) -> tuple[str, ...]:
    """``"name,-number"`` → ``("name", "-number", "id")``: the allowed fields, ``id`` as tie-breaker."""
    parts = [p.strip() for p in value.split(",") if p.strip()]
    bad = [p for p in parts if p.lstrip("-") not in CUSTOMER_ORDERING]
    if bad or not parts:
        raise ValidationError({"ordering": _("Cannot sort by “%(value)s”. Choose from: %(fields)s (prefix “-” for descending).") % {
            "value": value,
            "fields": ", ".join(sorted(CUSTOMER_ORDERING)),
        }})
    if not any(p.lstrip("-") == "id" for p in parts):
        parts.append("-id" if parts[0].startswith("-") else "id")
    return tuple(parts)


def _form_error(message: str) -> forms.ValidationError:
    """A form error whose text may hold what the client sent, "%" included.

    django-filter formats every message with ``message % params``; passing the text as a
    parameter keeps a "%" in the client's value from breaking that (a 500 before).
    """
    return forms.ValidationError("%(message)s", params={"message": message})


class _ParsedField(forms.CharField):
    """A query parameter parsed by ``parse(text)``; its ValidationError message becomes the field's error."""

    def __init__(self, *, parse, **kwargs):
        self.parse = parse
        super().__init__(**kwargs)

    def clean(self, value):
        text = super().clean(value)
        if text in self.empty_values:
            return None
        try:
            return self.parse(text)
        except ValidationError as exc:
            raise _form_error(next(iter(exc.message_dict.values()))[0]) from None


class _ParsedFilter(django_filters.CharFilter):
    field_class = _ParsedField


class _NamesField(forms.Field):
    """A repeatable query parameter (``?tag=A&tag=B``) → the non-empty, cleaned names."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value) -> list[str]:
        values = value if isinstance(value, list | tuple) else [value] if value else []
        return [tag_clean(v) for v in values if isinstance(v, str) and v.strip()]


class _NamesFilter(django_filters.MultipleChoiceFilter):
    """Repeatable, free names (no fixed choices); documented as an exploded array."""

    field_class = _NamesField


STATUS_NAME_MAX_LENGTH = CustomerStatus._meta.get_field("name").max_length
HELP_STATUS = "Status id or name"
HELP_TAGS = "Tag name; repeat for customers with all of the tags"
HELP_ACCOUNT_MANAGER = "User id of the account manager"
HELP_CHANGED_SINCE = "ISO 8601 date or date-time; customers changed at or after it"
HELP_SEARCH = (
    "Words, each the beginning of a word of the name, number, e-mail, city or a contact's name "
    "(all words must match; “muller” finds “Müller”, “1003” finds 1003 and 10030–10039)"
)
HELP_ORDERING = "Comma separated: number, name, created_at, updated_at, city, postcode, last_name, id; “-” for descending"
_ORDERING_CHOICE = "|".join(sorted(CUSTOMER_ORDERING))
ORDERING_PATTERN = rf"^\s*-?({_ORDERING_CHOICE})(\s*,\s*-?({_ORDERING_CHOICE}))*\s*$"


class CustomerFilterSet(CustomFieldFilterMixin, django_filters.FilterSet):
    """The customer list's filters. Names of statuses and tags are resolved once per data
    generation (``gen``, see fortycrm.listcache); ``count_key`` identifies the result set."""

    status = django_filters.CharFilter(method="filter_status", help_text=HELP_STATUS)
    tag = _NamesFilter(method="filter_tags", help_text=HELP_TAGS)
    account_manager = _ParsedFilter(
        method="filter_account_manager", help_text=HELP_ACCOUNT_MANAGER,
        parse=lambda text: parse_id(text, "account_manager"),
    )
    changed_since = _ParsedFilter(
        method="filter_changed_since", help_text=HELP_CHANGED_SINCE,
        parse=parse_changed_since, strip=False,
    )
    search = django_filters.CharFilter(method="filter_search", help_text=HELP_SEARCH)
    ordering = _ParsedFilter(
        method="filter_ordering", parse=parse_ordering,
        help_text=HELP_ORDERING,
    )

    class Meta:
        model = Customer
        fields: list[str] = []

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None, gen: str | None = None):
        super().__init__(data, queryset, request=request, prefix=prefix)
        self.gen = gen
        self.status_id: int | None = None
        self.tag_ids: list[int] = []
        self.unknown_tag = False

    def _lookup(self, key: tuple, compute):
        return compute() if self.gen is None else memo(self.gen, key, compute)

    def is_valid(self) -> bool:
        """Check the form, then resolve status and tag names (their errors join the form's)."""
        super().is_valid()
        cleaned = self.form.cleaned_data
        status = cleaned.get("status")
        if status:
            found = self._lookup(("status", status.casefold()), lambda: _status_id(status))
            if found is None:
                try:
                    status_resolve(status)
                except ValidationError as exc:
                    self.form.add_error("status", _form_error(exc.message_dict["status"][0]))
            self.status_id = found
        names = cleaned.get("tag") or []
        if names:
            wanted = {tag_normalize(n) for n in names}
            ids = self._lookup(("tags", tuple(sorted(wanted))), lambda: list(Tag.objects.filter(normalized__in=wanted).values_list("pk", flat=True)))
            self.tag_ids = sorted(ids)
            self.unknown_tag = len(ids) < len(wanted)
        return self.is_bound and not self.form.errors

    @property
    def count_key(self) -> tuple:
        cleaned = self.form.cleaned_data
        since = cleaned.get("changed_since")
        return (self.status_id, tuple(self.tag_ids), self.unknown_tag, cleaned.get("account_manager"),
                since.isoformat() if since else None, _search_text(cleaned.get("search")), tuple(getattr(self, "custom_field_params", ())))

    def filter_queryset(self, queryset: QuerySet[Customer]) -> QuerySet[Customer]:
        if self.unknown_tag:
            return queryset.none()
        return super().filter_queryset(queryset.order_by(*DEFAULT_CUSTOMER_ORDERING))

    @extend_schema_field({"type": "string", "minLength": 1, "maxLength": STATUS_NAME_MAX_LENGTH, "description": HELP_STATUS})
    def filter_status(self, queryset, name, value):
        return queryset.filter(status_id=self.status_id) if self.status_id is not None else queryset

    @extend_schema_field({"type": "string", "minLength": 1, "maxLength": TAG_NAME_MAX_LENGTH, "description": HELP_TAGS})
    def filter_tags(self, queryset, name, value):
        through = Customer.tags.through
        for tag_id in self.tag_ids:
            queryset = queryset.filter(Exists(through.objects.filter(customer_id=OuterRef("pk"), tag_id=tag_id)))
        return queryset

    @extend_schema_field({"type": "integer", "minimum": 1, "maximum": MAX_ID, "description": HELP_ACCOUNT_MANAGER})
    def filter_account_manager(self, queryset, name, value):
        return queryset.filter(account_manager_id=value)

    @extend_schema_field({"anyOf": [{"type": "string", "format": "date"}, {"type": "string", "format": "date-time"}], "description": HELP_CHANGED_SINCE})
    def filter_changed_since(self, queryset, name, value):
        return queryset.filter(updated_at__gte=value)

    @extend_schema_field({"type": "string", "description": HELP_SEARCH})
    def filter_search(self, queryset, name, value):
        """The desk's search (``fortycrm.search``): every word must start a word of the name, short
        name, first or last name, e-mail, postcode, city, customer number or a contact's name or
        e-mail, umlauts and ß folded; answered from the index of search terms, never by a scan."""
        from fortycrm.search import customer_search_q

        condition = customer_search_q(_search_text(value), gen=self.gen)
        return queryset if condition is None else queryset.filter(condition)

    @extend_schema_field({"type": "string", "pattern": ORDERING_PATTERN, "description": HELP_ORDERING})
    def filter_ordering(self, queryset, name, value):
        return queryset.order_by(*value)


def _search_text(value: str | None) -> str:
    return " ".join((value or "").split())[:100]


def _status_id(text: str) -> int | None:
    found = status_find(text)
    return found.pk if found is not None else None


class ContactFilter(CustomFieldFilterMixin, django_filters.FilterSet):
    custom_field_object_type = "contact"

    class Meta:
        model = Contact
        fields = ["customer", "location"]


class LocationFilter(CustomFieldFilterMixin, django_filters.FilterSet):
    custom_field_object_type = "location"

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

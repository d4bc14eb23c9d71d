"""Desk lists that cost the same at 100 rows and at 100,000 (issue 13).

``FastListMixin`` gives a ModelAdmin

* **counts that do not scan**: ``list_count = "cached"`` caches the exact count per
  customer-data generation (``fortycrm.listcache``, as the API does; for lists of customers);
  ``list_count = "capped"`` counts at most ``COUNT_CAP`` rows through the index and shows
  "more than 10,000" beyond (deeper pages raise the cap to the page asked for);
* **pages from the index**: the page's ids are read first (an index-only ``SELECT id … LIMIT 50
  OFFSET n``; MariaDB's cost model otherwise picks "scan and sort" for tables of a few thousand
  wide rows), then only those 50 rows by primary key;
* **orderings an index can serve**: a foreign key column sorts by its id (no join, no
  sorting of every row), and the tie-breaking primary key runs in the same direction as the
  column sorted by, so one index (column, id) answers;
* no joins in the page query: what ``select_related`` would join (status, customer, …) is
  fetched by one small query per relation for the page's rows (``prefetch_related``);
* no second, unfiltered COUNT for "(N total)" (``show_full_result_count = False``).
"""

from __future__ import annotations

import functools
import math
import re
from urllib.parse import urlencode

from django.contrib import admin
from django.contrib.admin import helpers
from django.contrib.admin.views.main import ORDER_VAR, PAGE_VAR, SEARCH_VAR, ChangeList
from django.core.cache import cache
from django.core.exceptions import FieldDoesNotExist
from django.core.paginator import Paginator
from django.db.models.sql.where import WhereNode
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from unfold import widgets as unfold_widgets
from unfold.admin import ModelAdmin as UnfoldModelAdmin
from unfold.admin import checkbox as unfold_checkbox
from unfold.templatetags import unfold_list

from fortycrm import listcache
from fortycrm.validators import parse_whole_number

COUNT_CAP = 10_000
#: a search counts its matches up to here ("more than 1,000"): a word found in every tenth row would
#: otherwise probe the whole table to count 10,000 of them (issue 13)
SEARCH_COUNT_CAP = 1_000
DEFERRED_OFFSET = 0  # every page: ids from the index first (a plan MariaDB cannot turn into a sort)
COUNT_TIMEOUT = 300
_NOT_COUNT_PARAMS = {PAGE_VAR, ORDER_VAR, "_changelist_filters"}


class FastPaginator(Paginator):
    """Counts cached (exact) or capped; deep pages fetched by id (see the module text)."""

    template_name = "fortycrm/admin/includes/pagination_fast.html"

    def __init__(self, object_list, per_page, orphans=0, allow_empty_first_page=True, *, count_key: str | None = None,
                 cap: int | None = None, wanted_page: int = 1, ids_with_count: bool = False, count_queryset=None):
        super().__init__(object_list, per_page, 0, allow_empty_first_page)
        self.count_key = count_key
        self.cap = cap
        self.wanted_page = max(1, wanted_page)
        self.lower_bound: int | None = None  # set when the count is only "more than lower_bound"
        #: a search whose words are all materialised (``search.list_search_q``: two or more common
        #: words): the capped count reads the matching ids in the list's order (at most cap + 1) and
        #: the page is cut from them — one query instead of a COUNT and the page's ids, which on
        #: MariaDB both build the same lists of matches (contacts "Jorg Weber": 60 → 38 ms SQL).
        #: Not for a probed search: finding cap + 1 matches in the list's order can walk the table.
        self.ids_with_count = ids_with_count
        #: the same rows by another condition that is cheaper to count (a probed search's
        #: materialised form, ``search.list_search_q``'s ``count_condition``); the page still
        #: comes from ``object_list``
        self.count_queryset = count_queryset
        self._ids: list | None = None

    def _exact_count(self) -> int:
        return self.object_list.order_by().values("pk").count()

    @cached_property
    def count(self) -> int:
        if self.count_key:
            value = cache.get(self.count_key)
            if value is None:
                value = self._exact_count()
                cache.set(self.count_key, value, COUNT_TIMEOUT)
            return value
        if self.cap:
            limit = max(self.cap, self.wanted_page * self.per_page)
            if self.ids_with_count and limit == self.cap and hasattr(self.object_list, "values_list"):
                self._ids = list(self.object_list.values_list("pk", flat=True)[: limit + 1])
                found = len(self._ids)
            else:
                counted = self.object_list if self.count_queryset is None else self.count_queryset
                found = counted.order_by().values("pk")[: limit + 1].count()
            if found > limit:
                self.lower_bound = limit
            return found
        return self._exact_count()

    @property
    def is_estimate(self) -> bool:
        self.count  # noqa: B018  (sets lower_bound)
        return self.lower_bound is not None

    @cached_property
    def num_pages(self) -> int:
        if self.count == 0 and not self.allow_empty_first_page:
            return 0
        return max(1, math.ceil(self.count / self.per_page))

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if self._ids is not None and top <= self.cap:
            rows = _rows_by_ids(self.object_list, self._ids[bottom:top])
        elif bottom >= DEFERRED_OFFSET and hasattr(self.object_list, "values_list"):
            ids = list(self.object_list.values_list("pk", flat=True)[bottom:top])
            rows = _rows_by_ids(self.object_list, ids)
        else:
            rows = self.object_list[bottom:top]
        return self._get_page(rows, number, self)


def _rows_by_ids(queryset, ids: list):
    """The page's rows by their ids. The ids already passed every filter and search, so the
    conditions are not evaluated again (on MariaDB a search's conditions cost as much again for
    the 50 rows as for finding them) — unless the query could repeat rows (a join to many rows,
    DISTINCT, GROUP BY, a union): then the conditions stay."""
    query = queryset.query
    if query.distinct or query.combinator or query.group_by is not None or not all(
        _is_to_one(join) for alias, join in query.alias_map.items() if alias != query.base_table
    ):
        return queryset.filter(pk__in=ids)
    rows = queryset.all()
    rows.query.where = WhereNode()
    return rows.filter(pk__in=ids)


def _is_to_one(join) -> bool:
    """A join to at most one row (a foreign key or one-to-one followed forwards, or a reverse one-to-one)."""
    field = getattr(join, "join_field", None)
    return bool(getattr(field, "one_to_one", False) or (getattr(field, "many_to_one", False) and not getattr(field, "auto_created", False)))


def _related_paths(tree: dict, prefix: str = ""):
    for name, below in tree.items():
        if below:
            yield from _related_paths(below, f"{prefix}{name}__")
        else:
            yield f"{prefix}{name}"


_PK_PLACEHOLDER = "fortycrmrowid"


class FastChangeList(ChangeList):
    is_dataset = False  # asked by unfold's search form; a missing attribute costs a dir() per lookup

    def get_ordering(self, request, queryset):
        if ORDER_VAR in self.params:  # the column sorted by, then the id: not the default order appended
            queryset = queryset.order_by()
        return super().get_ordering(request, queryset)

    def get_queryset(self, request, exclude_parameters=None):
        qs = super().get_queryset(request, exclude_parameters)
        related = qs.query.select_related
        if related:
            # Joined rows (status, customer, …) come from one small query each instead: a join makes
            # MariaDB start from the small table and sort every row of the large one (issue 13).
            if isinstance(related, dict):
                paths = list(_related_paths(related))
            else:
                paths = [name for name in self.list_display if self._is_foreign_key(name)]
            qs = qs.select_related(None).prefetch_related(*paths)
        return qs

    def url_for_result(self, result):
        """A row's change link, reversed once per list and given each row's id (Django reverses it for
        every row; the same URL for an integer id)."""
        pk = getattr(result, self.pk_attname)
        if type(pk) is not int:
            return super().url_for_result(result)
        link = self.__dict__.get("_fortycrm_change_link")
        if link is None:
            link = self.__dict__["_fortycrm_change_link"] = reverse(
                f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=(_PK_PLACEHOLDER,), current_app=self.model_admin.admin_site.name
            )
        return link.replace(_PK_PLACEHOLDER, str(pk))

    def get_results(self, request):
        super().get_results(request)
        if not self.multi_page and not self.show_all:  # one page: read it the same way as any other
            self.result_list = self.paginator.page(1).object_list

    def _is_foreign_key(self, name) -> bool:
        try:
            return self.lookup_opts.get_field(name).many_to_one
        except (FieldDoesNotExist, TypeError):
            return False

    def get_ordering_field(self, field_name):
        name = super().get_ordering_field(field_name)
        if isinstance(name, str):
            bare = name.lstrip("-")
            try:
                field = self.lookup_opts.get_field(bare)
            except FieldDoesNotExist:
                return name
            if field.many_to_one and bare == field.name:  # a FK sorts by its id, not by a join
                return name.replace(bare, field.attname)
        return name

    def _get_deterministic_ordering(self, ordering):
        given = list(ordering)
        ordering = super()._get_deterministic_ordering(ordering)
        if len(ordering) == len(given) + 1 and ordering[-1] == "-pk" and given:
            last = given[-1]
            if isinstance(last, str) and not last.startswith("-"):
                ordering[-1] = "pk"  # (column ASC, id ASC): one index walk, no sort
        return ordering


def _headers_once(original):
    """unfold computes the list's column headers again for every row (``items_for_result`` calls
    ``result_headers(cl)`` per row): 50 times per page, about 40 % of a list's rendering. For the
    desk's lists they are computed once per list and reused (they depend on the list alone and are
    only read)."""

    def result_headers(cl):
        if not isinstance(cl, FastChangeList):
            return original(cl)
        headers = cl.__dict__.get("_fortycrm_headers")
        if headers is None:
            headers = cl.__dict__["_fortycrm_headers"] = list(original(cl))
        return iter(headers)

    result_headers.fortycrm_once = True
    result_headers.__wrapped__ = original
    return result_headers


if not getattr(unfold_list.result_headers, "fortycrm_once", False):
    unfold_list.result_headers = _headers_once(unfold_list.result_headers)

_CHANGE_LINK = re.compile(r"(/.*/)(\d+)(/change/)")


def _filters_once(original):
    """Django's ``add_preserved_filters`` resolves every row's change link to learn that it is not the
    list itself (~50 µs a row, 2–3 ms a page). A row's link (an integer id, no query) gets the answer
    for the same link with id 0, worked out once per list, query and model; anything else goes to
    Django's function."""

    @functools.lru_cache(maxsize=256)
    def for_link(preserved_filters, opts, prefix: str, suffix: str) -> str:
        return original({"preserved_filters": preserved_filters, "opts": opts}, f"{prefix}0{suffix}")

    def add_preserved_filters(context, url, popup=False, to_field=None):
        match = _CHANGE_LINK.fullmatch(url) if isinstance(context, dict) and len(context) == 2 and not (popup or to_field) else None
        if match is None or not isinstance(context.get("preserved_filters"), str) or "opts" not in context:
            return original(context, url, popup, to_field)
        prefix, _pk, suffix = match.groups()
        return url + for_link(context["preserved_filters"], context["opts"], prefix, suffix)[len(prefix) + 1 + len(suffix) :]

    add_preserved_filters.fortycrm_once = True
    add_preserved_filters.__wrapped__ = original
    return add_preserved_filters


if not getattr(unfold_list.add_preserved_filters, "fortycrm_once", False):
    unfold_list.add_preserved_filters = _filters_once(unfold_list.add_preserved_filters)

def _widget_keys_always(original):
    """unfold's text input template asks its widget for ``prefix``, ``prefix_icon``, ``suffix`` and
    ``suffix_icon``, which its widgets put into the context only when set: each missing key makes
    Django's template list the dict's attributes (``dir()``) and raise two exceptions, four per
    text field (~70 on a record page). Given as None, what the template reads for a missing key."""

    def get_context(self, name, value, attrs):
        context = original(self, name, value, attrs)
        widget = context["widget"]
        for key in ("prefix", "prefix_icon", "suffix", "suffix_icon"):
            widget.setdefault(key, None)
        return context

    get_context.fortycrm_keys = True
    get_context.__wrapped__ = original
    return get_context


if not getattr(unfold_widgets.UnfoldPrefixSuffixMixin.get_context, "fortycrm_keys", False):
    unfold_widgets.UnfoldPrefixSuffixMixin.get_context = _widget_keys_always(unfold_widgets.UnfoldPrefixSuffixMixin.get_context)

_CHECKBOX_VALUE = "fortycrm-pk-placeholder"


@functools.cache
def _action_checkbox_html() -> str:
    return str(unfold_checkbox.render(helpers.ACTION_CHECKBOX_NAME, _CHECKBOX_VALUE))


class FastListMixin:
    """ModelAdmin part for large lists (see the module text). Put it first in the bases."""

    list_count = "capped"  # or "cached" (customer lists: exact, per customer-data generation)
    show_full_result_count = False
    list_per_page = 50  # as the customer list; half of Django's 100 rows to render and to look up
    #: unfold's list templates ask ``cl.model_admin.list_sections`` twice per row; a ModelAdmin without
    #: it makes each failed lookup list the admin's attributes (``dir()``, ~50 µs): ~5 ms a page
    list_sections: tuple = ()

    def action_checkbox(self, obj):
        """unfold's row checkbox, rendered once and given each row's id (its widget template per row
        cost ~0.4 ms, a fifth of a page's rows)."""
        return mark_safe(_action_checkbox_html().replace(_CHECKBOX_VALUE, escape(str(obj.pk)), 1))

    action_checkbox.short_description = UnfoldModelAdmin.action_checkbox.short_description

    def get_changelist(self, request, **kwargs):
        return FastChangeList

    def lookup_allowed(self, lookup, value, request=None):
        for spec in self.list_filter:
            if isinstance(spec, type) and issubclass(spec, (SubqueryFilter, CustomerKindFilter, RecordFilter)) and spec.parameter_name == lookup:
                return True  # the filter reads its own parameter (a plain id)
        return super().lookup_allowed(lookup, value, request)

    def get_paginator(self, request, queryset, per_page, orphans=0, allow_empty_first_page=True):
        if getattr(queryset, "model", None) is not self.model:
            return super().get_paginator(request, queryset, per_page, orphans, allow_empty_first_page)
        wanted = wanted_page(request)
        if self.list_count == "cached":
            params = sorted((k, tuple(request.GET.getlist(k))) for k in request.GET if k not in _NOT_COUNT_PARAMS)
            key = listcache.count_key(f"desk:{self.model._meta.model_name}", (request.path, urlencode(params)), listcache.generation())
            return FastPaginator(queryset, per_page, count_key=key, wanted_page=wanted)
        searching = bool((request.GET.get(SEARCH_VAR) or "").strip())
        if searching:
            materialised = getattr(request, "fortycrm_search_materialised", False)
            searched_where, counted = getattr(request, "fortycrm_search_counted", None) or (None, None)
            if counted is not None and (queryset.query.distinct or queryset.query.where != searched_where):
                # the rows were changed after the search (made distinct, custom fields OR'ed in, a
                # picker's customer): count the list's own rows
                counted = None
            return FastPaginator(queryset, per_page, cap=SEARCH_COUNT_CAP, wanted_page=wanted, ids_with_count=materialised,
                                 count_queryset=counted)
        return FastPaginator(queryset, per_page, cap=COUNT_CAP, wanted_page=wanted)


def wanted_page(request) -> int:
    """The list page ``request`` asks for (1 when none or unreadable)."""
    return parse_whole_number(request.GET.get(PAGE_VAR) or request.GET.get("page") or "1") or 1


def list_offset(request, model_admin) -> int:
    """The first row (0-based) of the list page ``request`` asks for."""
    return (max(1, wanted_page(request)) - 1) * getattr(model_admin, "list_per_page", 100)


class DeepPageFilterMixin:
    """A list filter that knows the first row of the page asked for (``self.offset``): a deep
    page reads a long match list otherwise (``search.ids_in``)."""

    def __init__(self, request, params, model, model_admin):
        super().__init__(request, params, model, model_admin)
        self.offset = list_offset(request, model_admin)


class SubqueryFilter(DeepPageFilterMixin, admin.SimpleListFilter):
    """A filter over a to-many relation as ``pk IN (subquery)``: no join, no DISTINCT.

    Django's own filters over many-to-many or reverse relations join and then make the whole
    list DISTINCT, which sorts every row; this one keeps the list's index order. Subclasses
    name ``parameter_name`` (the same as Django's, so links keep working), ``title``,
    ``lookups`` and ``subquery(value)`` (a ``values()`` queryset of the model's ids).
    """

    def subquery(self, value: int):  # pragma: no cover - abstract
        raise NotImplementedError

    def queryset(self, request, queryset):
        value = parse_whole_number(self.value() or "")
        if self.value() in (None, ""):
            return queryset
        if value is None:
            return queryset.none()
        from fortycrm.search import ids_in

        subquery = self.subquery(value)
        (column,) = subquery.query.values_select
        # not a join: MariaDB would start from the small side and sort every matching row
        return queryset.filter(ids_in(subquery, column, offset=self.offset))


class IndexedBooleanFilter(admin.BooleanFieldListFilter):
    """Django's yes/no filter, written ``column IN (1)`` instead of the bare ``WHERE column``:
    SQLite and MariaDB use an index ``(column, …)`` only for a comparison, so the bare form walks
    the whole index (bill separately, drafts: a scan of 100,000 rows; issue 13)."""

    def queryset(self, request, queryset):
        from django.contrib.admin.options import IncorrectLookupParameters

        values = self.used_parameters.get(self.lookup_kwarg)
        if values in (None, "", []):
            return super().queryset(request, queryset)
        value = values[-1] if isinstance(values, list | tuple) else values
        flag = {"1": True, "true": True, "0": False, "false": False}.get(str(value).lower())
        if flag is None:
            raise IncorrectLookupParameters(self.lookup_kwarg)
        rest = {k: v for k, v in self.used_parameters.items() if k != self.lookup_kwarg}
        if rest:
            from django.contrib.admin.utils import build_q_object_from_lookup_parameters

            queryset = queryset.filter(build_q_object_from_lookup_parameters(rest))
        return queryset.filter(**{f"{self.field_path}__in": [flag]})


class RecordFilter(admin.SimpleListFilter):
    """The rows of one record (a customer's contacts, a meter's readings): where the record
    page's "Alle N in der Liste anzeigen" link leads. Offered only while chosen (a chip
    "Kunde: Müller GmbH ×"), never as a list of every record; ``field`` is the foreign key.
    Subclasses (``record_filter``) name ``field``, ``title`` and ``parameter_name``."""

    field = ""

    def lookups(self, request, model_admin):
        if self.value() in (None, ""):
            return []
        value = parse_whole_number(self.value())
        if value is None:
            return [(self.value(), self.value())]  # applied, and finds nothing (not the whole list)
        related = model_admin.model._meta.get_field(self.field).related_model
        record = related._default_manager.filter(pk=value).first()
        return [(str(value), str(record) if record is not None else str(value))]

    def queryset(self, request, queryset):
        if self.value() in (None, ""):
            return queryset
        value = parse_whole_number(self.value())
        if value is None:
            return queryset.none()
        return queryset.filter(**{f"{self.field}_id": value})  # an index (field, …) with the list's order


def record_filter(field: str, title) -> type[RecordFilter]:
    """A ``RecordFilter`` on the foreign key ``field`` (parameter ``<field>__id__exact``)."""
    return type(f"{field.title()}RecordFilter", (RecordFilter,), {"field": field, "title": title, "parameter_name": f"{field}__id__exact"})


class CustomerKindFilter(DeepPageFilterMixin, admin.SimpleListFilter):
    """Records of company or private customers as ``customer_id IN (…)``: no join that sorts."""

    title = _("kind")
    parameter_name = "customer__kind__exact"

    def lookups(self, request, model_admin):
        from fortycrm.models.customers import CustomerKind

        return CustomerKind.choices

    def queryset(self, request, queryset):
        from fortycrm.models import Customer
        from fortycrm.search import ids_in

        if not self.value():
            return queryset
        return queryset.filter(ids_in(Customer.objects.filter(kind=self.value()), "id", outer="customer_id", offset=self.offset))


class TagFilter(SubqueryFilter):
    """Customers with a tag (same parameter as Django's filter, so tag links keep working); its
    chip above the list reads "Schlagwort: Winterdienst"."""

    title = _("tag")
    parameter_name = "tags__id__exact"

    def lookups(self, request, model_admin):
        from fortycrm.models import Tag

        return list(Tag.objects.order_by("name").values_list("pk", "name"))

    def subquery(self, value: int):
        from fortycrm.models import Customer

        return Customer.tags.through.objects.filter(tag_id=value).values("customer_id")


class CustomerSearchMixin:
    """The customer search through the indexed search terms (``fortycrm.search``).

    Words of names, e-mail, postcode, city, customer number and contact names, each word a
    prefix, umlauts and ß folded ("muller" finds "Müller", "1003" finds 10030–10039).
    """

    def get_search_results(self, request, queryset, search_term):
        from fortycrm.search import customer_search_q

        condition = customer_search_q(search_term or "")
        if condition is None:
            return queryset, False
        return queryset.filter(condition), False


class TermSearchMixin:
    """The search of a desk list through the indexed search terms (``fortycrm.search.list_search_q``):
    each word the beginning of a word of the row or of its customer, location or meter, umlauts and ß
    folded ("muller" finds "Müller"), answered from an index instead of ``LIKE '%…%'`` over every row.
    ``search_kind`` names the list; ``search_number_field``: a whole number also finds that number exactly."""

    search_kind = ""
    search_number_field = ""

    def get_search_results(self, request, queryset, search_term):
        from django.db.models import Q

        from fortycrm.search import list_search_q

        info: dict = {}
        condition = list_search_q(self.search_kind, search_term or "", info=info)
        request.fortycrm_search_materialised = info.get("materialised", False)  # read by get_paginator
        request.fortycrm_search_counted = None
        if condition is None:
            return queryset, False
        counted = info.get("count_condition")  # the same rows, cheaper to count (MariaDB, a probed word)
        number = parse_whole_number((search_term or "").strip()) if self.search_number_field else None
        if number is not None:
            condition = Q(**{self.search_number_field: number}) | condition
            if counted is not None:
                counted = Q(**{self.search_number_field: number}) | counted
        searched = queryset.filter(condition)
        if counted is not None:  # read by get_paginator, for exactly these rows
            request.fortycrm_search_counted = (searched.query.where, queryset.filter(counted))
        return searched, False

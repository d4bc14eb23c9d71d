"""Paging: ``page`` and ``page_size`` (at most 200); answers ``count``, ``next``, ``previous``, ``results``."""

from __future__ import annotations

from functools import partial

from django.core.cache import cache
from django.core.paginator import Paginator
from django.utils.functional import cached_property
from rest_framework.pagination import PageNumberPagination

MAX_PAGE_SIZE = 200


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE


class CachedCountPaginator(Paginator):
    """A paginator whose ``count`` comes from the cache when ``count_key`` is known.

    The key must change whenever the counted rows may have changed (see
    fortycrm.listcache: it carries the customer-data generation).
    """

    count_timeout = 300

    def __init__(self, *args, count_key: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.count_key = count_key

    @cached_property
    def count(self) -> int:
        if not self.count_key:
            return super().count
        value = cache.get(self.count_key)
        if value is None:
            value = super().count
            cache.set(self.count_key, value, self.count_timeout)
        return value


class CustomerPagination(Pagination):
    """Customer lists: the expensive filtered COUNT is cached per data generation."""

    def paginate_queryset(self, queryset, request, view=None):
        key = getattr(view, "count_cache_key", None)
        self.django_paginator_class = partial(CachedCountPaginator, count_key=key)
        return super().paginate_queryset(queryset, request, view)

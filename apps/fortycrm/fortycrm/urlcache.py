"""URLs without arguments, reversed once (issue 13).

``reverse()`` walks the URL patterns each time (~30 µs). The desk's sidebar links are lazy and
unfold turns each into text about twice per page (is it the active page? the link itself),
and the customer list's tag column asks for the list's URL once per row: about 100 reversals
per customer list page, ~3 ms. The URL of a name without arguments only changes with the
URL configuration and the script prefix, so it is remembered per (name, URL configuration,
script prefix)."""

from __future__ import annotations

from functools import lru_cache

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.functional import lazy


@lru_cache(maxsize=512)
def _reversed(name: str, urlconf: str, prefix: str) -> str:
    return reverse(name, urlconf=urlconf)


def reverse_once(name: str) -> str:
    """``reverse(name)`` (no arguments), remembered for the current URL configuration and prefix."""
    urlconf = get_urlconf() or settings.ROOT_URLCONF
    if not isinstance(urlconf, str):  # a module object: Django's own, uncached
        return reverse(name)
    return _reversed(name, urlconf, get_script_prefix())


#: ``reverse_lazy`` that reverses once (for settings such as the desk navigation)
reverse_once_lazy = lazy(reverse_once, str)

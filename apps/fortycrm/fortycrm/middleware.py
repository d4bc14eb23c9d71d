from __future__ import annotations

from functools import lru_cache

from django.conf import settings
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils import translation

# Any named route of fortycrm's API URLconf (``fortycrm.api.urls``, app namespace "api") and
# its path below the API's root: reversing it tells where the host project mounted the API.
API_PROBE_ROUTE = "api:customer-list"
API_PROBE_SUFFIX = "customers/"


@lru_cache(maxsize=16)
def _api_prefix_for(urlconf: str | None) -> str | None:
    try:
        url = reverse(API_PROBE_ROUTE, urlconf=urlconf)
    except NoReverseMatch:
        return None  # the host project does not include fortycrm's API
    url = "/" + url[len(get_script_prefix()) :]  # relative to the script, like request.path_info
    return url[: -len(API_PROBE_SUFFIX)] if url.endswith(API_PROBE_SUFFIX) else None


def api_prefix(request=None) -> str | None:
    """Where the host project mounted fortycrm's API, e.g. ``"/api/v1/"`` (None: not mounted).

    The setting ``FORTYCRM_API_PREFIX`` wins; otherwise the prefix comes from the URLconf
    (the request's own one when a middleware set ``request.urlconf``), so the app assumes
    nothing about the host's URL layout.
    """
    configured = getattr(settings, "FORTYCRM_API_PREFIX", None)
    if configured:
        return configured
    urlconf = getattr(request, "urlconf", None) or get_urlconf() or settings.ROOT_URLCONF
    return _api_prefix_for(urlconf)


class LanguageMiddleware:
    """German by default in the desk (R-DSK-5); English when the user switches.

    The desk ignores the browser's Accept-Language (German offices often run English
    browsers) and follows the language cookie set by the language switch. The API follows
    Accept-Language, so integrators get messages in the language they ask for.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        supported = {code for code, _name in settings.LANGUAGES}
        prefix = api_prefix(request)
        if prefix and request.path_info.startswith(prefix):
            language = translation.get_language_from_request(request)
        else:
            language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
            if language not in supported:
                language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", request.LANGUAGE_CODE)
        translation.deactivate()
        return response

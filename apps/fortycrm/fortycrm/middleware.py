from __future__ import annotations

from django.conf import settings
from django.utils import translation


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
        if request.path.startswith("/api/"):
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

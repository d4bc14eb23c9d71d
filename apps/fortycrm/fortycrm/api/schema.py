"""OpenAPI schema: descriptions of our authentication classes (drf-spectacular extensions) and
the hook that gives the schema in the request's language."""

from collections.abc import Callable

from django.utils.translation import gettext
from drf_spectacular.authentication import SessionScheme
from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "fortycrm.api.authentication.ApiKeyAuthentication"
    name = "ApiKeyAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": "Authorization", "description": "Api-Key <key>"}


class DeskSessionScheme(SessionScheme):
    target_class = "fortycrm.api.authentication.DeskSessionAuthentication"


def map_texts(node, function: Callable[[str], str]) -> None:
    """Replace every non-empty ``description`` and ``summary`` text in a schema (in place)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("description", "summary") and isinstance(value, str) and value:
                node[key] = function(value)
            else:
                map_texts(value, function)
    elif isinstance(node, list):
        for item in node:
            map_texts(item, function)


def translate_descriptions(result, generator, request, public):
    """drf-spectacular post-processing hook: the schema's texts in the request's language.

    Descriptions come from docstrings, ``OpenApiParameter``/``OpenApiResponse`` texts and model
    help texts. Model texts are translated already; the English texts of the API code are looked
    up in the catalogue here, so a German request (``Accept-Language: de`` or ``?lang=de``) gets
    German descriptions and an English one the original text.
    """
    map_texts(result, gettext)
    return result

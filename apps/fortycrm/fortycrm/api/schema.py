"""OpenAPI descriptions of our authentication classes (drf-spectacular extensions)."""

from drf_spectacular.authentication import SessionScheme
from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "fortycrm.api.authentication.ApiKeyAuthentication"
    name = "ApiKeyAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": "Authorization", "description": "Api-Key <key>"}


class DeskSessionScheme(SessionScheme):
    target_class = "fortycrm.api.authentication.DeskSessionAuthentication"

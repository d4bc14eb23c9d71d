"""Who may do what: the API key's scope, or the desk user's model permissions."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import permissions

from fortycrm.models import ApiKey

SAFE_METHODS = permissions.SAFE_METHODS


class ScopeOrModelPermission(permissions.DjangoModelPermissions):
    """API keys: ``read`` → GET only, ``write`` → everything, ``intake`` → only the intake form.

    Desk users (session): the Django model permissions of their role, viewing included.
    """

    perms_map = {
        **permissions.DjangoModelPermissions.perms_map,
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
        "OPTIONS": ["%(app_label)s.view_%(model_name)s"],
    }

    def has_permission(self, request, view) -> bool:
        api_key = request.auth if isinstance(request.auth, ApiKey) else None
        if api_key is not None:
            return self.scope_allows(api_key, request, view)
        if not (request.user and request.user.is_authenticated):
            return False
        if getattr(view, "intake_endpoint", False):
            return request.user.has_perm("fortycrm.add_customer")
        return super().has_permission(request, view)

    def scope_allows(self, api_key: ApiKey, request, view) -> bool:
        if api_key.scope == ApiKey.Scope.WRITE:
            return True
        if getattr(view, "intake_endpoint", False):
            if api_key.scope == ApiKey.Scope.INTAKE:
                return True
            self.message = _("This API key may only read. Use a key with scope “write” or “intake” for the intake form.")
            return False
        if api_key.scope == ApiKey.Scope.INTAKE:
            self.message = _("This API key may only submit the website intake form (POST /api/v1/intake/).")
            return False
        if request.method in SAFE_METHODS:
            return True
        self.message = _("This API key may only read. Use a key with scope “write” to change data.")
        return False

"""Desk access (sign-in and every desk page) follows the roles, not Django's "staff status".

``desk_site_setup`` applies the rule to an admin site (the host's default site, see
``fortycrm.admin``): an active user in at least one group, or a superuser, may use the desk
(``fortycrm.access.may_use_desk``); anybody else gets the sign-in page with a clear message.
"""

from __future__ import annotations

import types

from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from unfold.forms import AuthenticationForm

from fortycrm.access import may_use_desk


class DeskAuthenticationForm(AuthenticationForm):
    """The desk's sign-in: any role (group) admits, "staff status" plays no part."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("Please enter your correct user name and password. Both fields are case-sensitive."),
        "no_role": _("Your account has no role in the desk yet. Ask your administrator to add you to a group (e.g. Büro)."),
    }

    def confirm_login_allowed(self, user):
        if not user.is_active:
            raise ValidationError(self.error_messages["inactive"], code="inactive")
        if not may_use_desk(user):
            raise ValidationError(self.error_messages["no_role"], code="no_role")


def _has_permission(site, request) -> bool:
    return may_use_desk(request.user)


class DeskAutocompleteJsonView(AutocompleteJsonView):
    """The pickers' search answers; a customer also says whether it is private, so a form can
    leave out what only fits one kind (the contact form's birthday, R-CON-3) before saving."""

    def serialize_result(self, obj, to_field_name):
        result = super().serialize_result(obj, to_field_name)
        if hasattr(obj, "is_private"):
            result["private"] = bool(obj.is_private)
        return result


def _autocomplete_view(site, request):
    return DeskAutocompleteJsonView.as_view(admin_site=site)(request)


def desk_site_setup(site) -> None:
    """Make ``site`` admit users by role (groups) instead of by "staff status"."""
    site.has_permission = types.MethodType(_has_permission, site)
    site.autocomplete_view = types.MethodType(_autocomplete_view, site)
    site.login_form = DeskAuthenticationForm

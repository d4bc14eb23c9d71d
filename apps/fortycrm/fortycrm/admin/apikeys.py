"""API keys in the desk (R-API-3): created here, the key shown once, stored hashed, revocable."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from rest_framework_api_key import admin as library_admin  # noqa: F401  (registers the library's admin now …)
from rest_framework_api_key.models import APIKey as LibraryAPIKey
from unfold.admin import ModelAdmin
from unfold.decorators import action, display

from fortycrm.models import ApiKey

# … so that it can be removed here whatever the order of INSTALLED_APPS: the library's own
# (unused) key model would show up as a second "API Key" entry beside ours
if admin.site.is_registered(LibraryAPIKey):
    admin.site.unregister(LibraryAPIKey)


@admin.register(ApiKey)
class ApiKeyAdmin(ModelAdmin):
    """Administration only (the office roles have no permission on API keys); the hash is never shown."""

    list_display = ["name", "prefix", "scope", "created", "last_used_at", "expiry_date", "state"]
    list_filter = ["scope", "revoked"]
    search_fields = ["name", "prefix"]
    actions = ["revoke"]
    ordering = ["-created"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["name", "scope", "expiry_date"]
        return ["name", "prefix", "scope", "created", "last_used_at", "expiry_date", "revoked"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        fields = ["prefix", "scope", "created", "last_used_at"]
        if obj.revoked:
            fields += ["name", "expiry_date", "revoked"]
        return fields

    @display(description=_("state"))
    def state(self, obj: ApiKey):
        if obj.revoked:
            return _("revoked")
        if obj.has_expired:
            return _("expired")
        return _("active")

    def save_model(self, request, obj: ApiKey, form, change):
        if change:
            obj.save()
            return
        key = ApiKey.objects.assign_key(obj)
        obj.save()
        messages.warning(
            request,
            format_html(
                "{} <code style='user-select:all;font-weight:bold'>{}</code> {}",
                _("The new API key “%(name)s” is:") % {"name": obj.name},
                key,
                _("Copy it now and store it safely: it is stored only as a hash and cannot be shown again. "
                  "Programs send it as “Authorization: Api-Key <key>”."),
            ),
        )

    @action(description=_("Revoke selected API keys"), permissions=["change"])
    def revoke(self, request, queryset):
        count = queryset.filter(revoked=False).update(revoked=True)
        messages.success(request, _("%(count)d API key(s) revoked; programs using them are refused from now on.") % {"count": count})

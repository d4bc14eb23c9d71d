"""Settings area: site settings, users and groups in the desk's style."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group, User
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin
from unfold.decorators import display
from unfold.forms import AdminPasswordChangeForm, UserChangeForm, UserCreationForm

from fortycrm.access import staff_flag_sync
from fortycrm.admin.base import SafePrefillMixin
from fortycrm.desk_texts import DeskPermissionsMixin
from fortycrm.models import SiteSettings

admin.site.unregister(User)
admin.site.unregister(Group)


@admin.register(User)
class UserAdmin(DeskPermissionsMixin, SafePrefillMixin, BaseUserAdmin, ModelAdmin):
    """Users; the roles (groups) decide desk access, so "staff status" is not shown but kept in step."""

    form = UserChangeForm
    add_form = UserCreationForm
    change_password_form = AdminPasswordChangeForm
    list_display = ["username", "email", "first_name", "last_name", "roles", "is_active"]
    list_filter = ["groups", "is_active", "is_superuser"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        return [
            (name, {**options, "fields": [f for f in options["fields"] if f != "is_staff"]}) for name, options in fieldsets
        ]

    @display(description=_("roles"))
    def roles(self, obj):
        return ", ".join(group.name for group in obj.groups.all()) or "—"

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        staff_flag_sync([form.instance.pk])  # e.g. "superuser" ticked without a group change


@admin.register(Group)
class GroupAdmin(DeskPermissionsMixin, SafePrefillMixin, BaseGroupAdmin, ModelAdmin):
    pass


@admin.register(SiteSettings)
class SiteSettingsAdmin(ModelAdmin):
    """One row; the list view goes straight to it."""

    filter_horizontal = ["intake_tags"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        settings_row = SiteSettings.load()
        return HttpResponseRedirect(reverse("admin:fortycrm_sitesettings_change", args=[settings_row.pk]))

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin
from unfold.decorators import display

from fortycrm.admin.base import CONTACT_FIELDS, HistoryAdmin, history_table
from fortycrm.models import Contact
from fortycrm.services import contacts as services


@admin.register(Contact)
class ContactAdmin(HistoryAdmin, ModelAdmin):
    list_display = ["__str__", "customer", "role", "priority", "phone", "email", "birthday"]
    list_select_related = ["customer"]
    search_fields = ["first_name", "last_name", "email", "customer__name", "customer__short_name", "customer__last_name"]
    list_filter = ["customer__kind"]
    autocomplete_fields = ["customer"]
    readonly_fields = ["history_section"]
    fields = ["customer", *CONTACT_FIELDS, "history_section"]

    @display(description=_("Recent changes"))
    def history_section(self, obj):
        return history_table(obj) if obj and obj.pk else "—"

    def save_model(self, request, obj, form, change):
        services.contact_save(contact=obj)

    def delete_model(self, request, obj):
        services.contact_delete(contact=obj)

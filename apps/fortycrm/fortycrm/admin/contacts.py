from __future__ import annotations

from django.contrib import admin
from unfold.admin import ModelAdmin

from fortycrm.admin.base import CONTACT_FIELDS, HistoryAdmin, SafePrefillMixin
from fortycrm.admin.fields import CustomFieldsAdminMixin, CustomFieldsListMixin
from fortycrm.admin.lists import CustomerKindFilter, FastListMixin
from fortycrm.models import Contact
from fortycrm.services import contacts as services


@admin.register(Contact)
class ContactAdmin(FastListMixin, CustomFieldsAdminMixin, CustomFieldsListMixin, SafePrefillMixin, HistoryAdmin, ModelAdmin):
    custom_field_object_type = "contact"
    list_display = ["__str__", "customer", "role", "priority", "phone", "email", "birthday"]
    list_select_related = ["customer"]
    sortable_by = ["customer", "email", "birthday"]  # each has an index (issue 13)
    search_fields = ["first_name", "last_name", "email", "customer__name", "customer__short_name", "customer__last_name"]
    list_filter = [CustomerKindFilter]
    autocomplete_fields = ["customer"]
    readonly_fields = ["history_section"]
    fields = ["customer", *CONTACT_FIELDS, "history_section"]

    def save_model(self, request, obj, form, change):
        services.contact_save(contact=obj)

    def delete_model(self, request, obj):
        services.contact_delete(contact=obj)

    def delete_queryset(self, request, queryset):
        for contact in queryset:  # through the service: one contact.deleted event each
            services.contact_delete(contact=contact)

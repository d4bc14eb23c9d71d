from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin

from fortycrm.admin.base import CONTACT_FIELDS, HistoryAdmin, SafePrefillMixin, without_birthday
from fortycrm.admin.fields import CustomFieldsAdminMixin, CustomFieldsListMixin
from fortycrm.admin.lists import CustomerKindFilter, FastListMixin, TermSearchMixin, record_filter
from fortycrm.models import Contact, Customer
from fortycrm.services import contacts as services
from fortycrm.validators import parse_whole_number


@admin.register(Contact)
class ContactAdmin(FastListMixin, CustomFieldsAdminMixin, CustomFieldsListMixin, TermSearchMixin, SafePrefillMixin, HistoryAdmin, ModelAdmin):
    custom_field_object_type = "contact"
    list_display = ["__str__", "customer", "role", "priority", "phone", "email", "birthday"]
    list_select_related = ["customer"]
    sortable_by = ["customer", "email", "birthday"]  # each has an index (issue 13)
    search_fields = ["first_name", "last_name", "email", "customer__name", "customer__short_name", "customer__last_name"]
    search_kind = "contact"  # through the indexed search terms (issue 13)
    list_filter = [CustomerKindFilter, record_filter("customer", _("customer")), record_filter("location", _("location"))]
    autocomplete_fields = ["customer"]
    readonly_fields = ["history_section"]
    fields = ["customer", *CONTACT_FIELDS, "history_section"]

    class Media:
        js = ["fortycrm/contact_form.js"]  # birthday only for a private customer's contact (R-CON-3)

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        customer = obj.customer if obj is not None else None
        if customer is None and request.method == "GET":
            # the add page opened for a customer; a customer chosen in the form is handled by
            # contact_form.js, and a posted birthday for a company is refused with a message
            customer = Customer.objects.filter(pk=parse_whole_number(request.GET.get("customer", "")) or 0).first()
        if customer is not None and not customer.is_private:
            return without_birthday(fields)  # R-CON-3: not offered for a company customer's contacts
        return fields

    def save_model(self, request, obj, form, change):
        services.contact_save(contact=obj)

    def delete_model(self, request, obj):
        services.contact_delete(contact=obj)

    def delete_queryset(self, request, queryset):
        for contact in queryset:  # through the service: one contact.deleted event each
            services.contact_delete(contact=contact)

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin
from unfold.decorators import display
from unfold.widgets import UnfoldAdminColorInputWidget

from fortycrm.admin.base import HistoryAdmin, ProtectedDeleteMixin, color_badge
from fortycrm.admin.forms import add_service_errors
from fortycrm.models import CustomerStatus
from fortycrm.services import statuses as services


class StatusForm(forms.ModelForm):
    class Meta:
        model = CustomerStatus
        fields = ["name", "color", "position", "with_number", "is_default", "is_conversion_target"]
        widgets = {"color": UnfoldAdminColorInputWidget}

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        candidate = CustomerStatus(pk=self.instance.pk, **{k: data.get(k) for k in self.Meta.fields})
        try:
            services._check_status(candidate)
        except ValidationError as exc:
            add_service_errors(self, exc)
        return data


@admin.register(CustomerStatus)
class CustomerStatusAdmin(ProtectedDeleteMixin, HistoryAdmin, ModelAdmin):
    form = StatusForm
    list_display = ["badge", "with_number", "is_default", "is_conversion_target", "position", "customer_count"]
    list_editable = ["position"]
    ordering = ["position", "name"]
    actions = ["delete_checked"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_customers=Count("customers"))

    @display(description=_("name"), ordering="name")
    def badge(self, obj):
        return color_badge(obj.name, obj.color)

    @display(description=_("customers"), ordering="n_customers")
    def customer_count(self, obj):
        return obj.n_customers

    def save_model(self, request, obj, form, change):
        services.status_save(status=obj)

    def delete_problem(self, obj):
        return services.status_delete_problem(obj)

    def delete_with(self, obj):
        services.status_delete(status=obj)

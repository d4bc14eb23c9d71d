from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db.models import Count
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin
from unfold.decorators import action, display
from unfold.widgets import UnfoldAdminColorInputWidget

from fortycrm.admin.base import color_badge
from fortycrm.models import Tag
from fortycrm.services import tags as services


class TagForm(forms.ModelForm):
    class Meta:
        model = Tag
        fields = ["name", "color"]
        widgets = {"color": UnfoldAdminColorInputWidget}


@admin.register(Tag)
class TagAdmin(ModelAdmin):
    form = TagForm
    list_display = ["badge", "customer_link"]
    search_fields = ["name"]
    actions = ["merge"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_customers=Count("customers"))

    @display(description=_("name"), ordering="name")
    def badge(self, obj):
        return color_badge(obj.name, obj.color)

    @display(description=_("customers"), ordering="n_customers")
    def customer_link(self, obj):
        url = reverse("admin:fortycrm_customer_changelist")
        return format_html('<a href="{}?tags__id__exact={}">{}</a>', url, obj.pk, obj.n_customers)

    def save_model(self, request, obj, form, change):
        services.tag_save(tag=obj)

    @action(description=_("Merge selected tags"))
    def merge(self, request, queryset):
        tags = list(queryset.order_by("name"))
        if len(tags) < 2:
            messages.error(request, _("Select at least two tags to merge."))
            return None
        form_class = type(
            "MergeForm",
            (forms.Form,),
            {"target": forms.ModelChoiceField(queryset=queryset.order_by("name"), label=_("Keep this tag"), empty_label=None)},
        )
        form = form_class(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            target = form.cleaned_data["target"]
            merged = services.tag_merge(target=target, sources=[t for t in tags if t.pk != target.pk])
            messages.success(request, _("%(count)d tags merged into “%(tag)s”.") % {"count": merged, "tag": target.name})
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": _("Merge tags"),
            "form": form,
            "queryset": queryset,
            "action": "merge",
            "opts": self.model._meta,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "fortycrm/admin/bulk_action.html", context)

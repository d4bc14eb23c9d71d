"""Desk: meters ("Zähler") and readings ("Zählerstände") with consumption and photo (R-LOC-5/6)."""

from __future__ import annotations

import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin, TabularInline
from unfold.decorators import display
from unfold.forms import PaginationInlineFormSet

from fortycrm import selectors
from fortycrm.admin.base import FlatInlineMixin, HistoryAdmin, NoNestedInlinesMixin, ReadonlyOnceMixin, SafePrefillMixin, ShowAllInlineMixin
from fortycrm.admin.forms import ServiceCheckedForm
from fortycrm.admin.lists import FastListMixin, TermSearchMixin, record_filter
from fortycrm.models import Meter, MeterReading
from fortycrm.models.staff import person_name
from fortycrm.selectors import meters_with_last_reading, readings_with_previous
from fortycrm.services import meters as services


def photo_thumbnail(reading: MeterReading, size: int = 48):
    """A small preview of the meter photo; the file is served to signed-in staff only."""
    if not reading or not reading.photo:
        return "—"
    url = reading.photo.url
    return format_html(
        '<a href="{}" target="_blank" rel="noopener"><img src="{}" alt="{}" class="fortycrm-reading-photo" '
        'style="width:{}px;height:{}px;object-fit:cover;border-radius:4px"></a>',
        url,
        url,
        _("photo"),
        size,
        size,
    )


def _amount(value, unit: str) -> str:
    if value is None:
        return "—"
    return f"{formats.number_format(selectors.plain_decimal(value), use_l10n=True, force_grouping=True)} {unit}".strip()


class MeterForm(forms.ModelForm):
    """The unit follows the kind (kWh, m³ …, filled in by meter_form.js) and stays editable; empty: the kind's unit."""

    class Meta:
        model = Meter
        fields = ["location", "kind", "number", "unit", "comment", "installed_on", "removed_on"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "unit" in self.fields:
            self.fields["unit"].required = False
            self.fields["unit"].widget.attrs.update({"list": "fortycrm-meter-units", "autocomplete": "off"})
            self.fields["unit"].help_text = _("Filled in from the kind (electricity kWh, gas and water m³, heat kWh or MWh); you may change it.")
        if "kind" in self.fields:
            self.fields["kind"].widget.attrs["data-units"] = json.dumps(services.UNIT_BY_KIND)
            self.fields["kind"].widget.attrs["data-unit-choices"] = json.dumps(services.UNIT_CHOICES)

    def clean(self):
        data = super().clean()
        if not (data.get("unit") or "").strip() and data.get("kind") in services.UNIT_BY_KIND:
            data["unit"] = services.UNIT_BY_KIND[data["kind"]]
        return data


PHOTO_AGAIN = _("The photo “%(file)s” was not saved because the form has an error. Choose it again after correcting the error.")


def photo_again_notes(request, forms_with_photo) -> None:
    """After a validation error the browser forgets a chosen file: say so on the row and at the top."""
    names = []
    for form in forms_with_photo:
        upload = form.files.get(form.add_prefix("photo")) if form.is_bound else None
        if upload is None:
            continue
        names.append(upload.name)
        message = PHOTO_AGAIN % {"file": upload.name}
        if message not in form.errors.get("photo", []):
            form.add_error("photo", message)
    if names:
        messages.warning(request, _("Choose the photos again, they were not saved: %(files)s") % {"files": ", ".join(names)})


def nowrap(text) -> str:
    """A list cell that never breaks ("16.940,65 kWh" on one line)."""
    return format_html('<span class="fortycrm-nowrap">{}</span>', text)


def truncated(text: str) -> str:
    """A long comment in a list cell: one line, cut with "…", the whole text on hover."""
    if not text:
        return "—"
    return format_html('<span class="fortycrm-truncate" title="{}">{}</span>', text, text)


class ReadingForm(ServiceCheckedForm):
    """A single reading (own page): the service's plausibility check runs on validation."""

    class Meta:
        model = MeterReading
        fields = ["meter", "read_at", "value", "is_exchange", "comment", "photo"]

    def service_check(self, instance):
        services.reading_check(instance)


class ReadingRowForm(ServiceCheckedForm):
    """A row on the meter page; the value rule is checked for all rows together by the formset."""

    class Meta:
        model = MeterReading
        fields = ["read_at", "value", "is_exchange", "comment", "photo"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # room for meter values like 123456.789 in the narrow table cell (desk.css)
        if self.instance.comment:  # a long comment is cut by the cell: the whole text on hover
            self.fields["comment"].widget.attrs["title"] = self.instance.comment

    def service_check(self, instance):
        problem = services.future_problem(instance)
        if problem:
            raise ValidationError({"read_at": problem})


class ReadingFormSet(PaginationInlineFormSet):
    def clean(self):
        super().clean()
        if any(self.errors):
            return
        changed, replaced = [], set()
        for form in self.forms:
            if not hasattr(form, "cleaned_data"):
                continue
            deleted = self.can_delete and self._should_delete_form(form)
            if deleted or form.has_changed():
                if form.instance.pk:
                    replaced.add(form.instance.pk)  # its stored version is replaced or removed
                if not deleted:
                    changed.append(form)
        if not changed:
            return
        existing = []
        if self.instance.pk:
            existing = [r for r in MeterReading.objects.filter(meter=self.instance) if r.pk not in replaced]
        timeline = existing + [form.instance for form in changed]
        by_instance = {id(form.instance): form for form in changed}
        for reading, problem in services.timeline_problems(timeline, candidates=[f.instance for f in changed]):
            by_instance[id(reading)].add_error("value", problem)


class ReadingInline(ShowAllInlineMixin, FlatInlineMixin, ReadonlyOnceMixin, TabularInline):
    """Record readings on the meter's page; newest first with the consumption since the previous one."""

    model = MeterReading
    form = ReadingRowForm
    formset = ReadingFormSet
    per_page = 5  # a meter with 5,000 readings: pages of 5, and a link to all of them (issue 13; 10 rows cost the record ~30 % more)
    show_all_list = "admin:fortycrm_meterreading_changelist"
    show_all_parameter = "meter__id__exact"
    extra = 1
    fields = ["read_at", "value", "consumption", "is_exchange", "photo", "photo_preview", "comment", "recorded_by_name"]
    hide_title = True
    readonly_fields = ["consumption", "photo_preview", "recorded_by_name"]
    ordering = ["-read_at", "-id"]
    verbose_name = _("meter reading")
    verbose_name_plural = _("meter readings")

    def get_queryset(self, request):
        # the previous value comes with each row (one index lookup), so a page costs the same for 5,000 readings
        return readings_with_previous(super().get_queryset(request).select_related("recorded_by", "meter"))

    @display(description=_("consumption"))
    def consumption(self, obj):
        if not obj or not obj.pk:
            return "—"
        if obj.is_exchange:
            return _("meter exchange")
        previous = getattr(obj, "previous_value", None)
        return _amount(obj.value - previous if previous is not None else None, obj.meter.unit)

    @display(description="")  # the thumbnail of the photo column beside it
    def photo_preview(self, obj):
        return photo_thumbnail(obj, size=40)

    @display(description=_("recorded by"))
    def recorded_by_name(self, obj):
        user = obj.recorded_by if obj and obj.pk else None
        return (user.get_full_name() or user.username) if user else "—"


@admin.register(Meter)
class MeterAdmin(NoNestedInlinesMixin, FastListMixin, TermSearchMixin, SafePrefillMixin, HistoryAdmin, ModelAdmin):
    form = MeterForm
    inlines = [ReadingInline]
    list_display = ["number", "kind", "location_link", "customer", "unit", "comment_short", "last_reading"]
    list_select_related = ["location__customer"]
    list_filter = ["kind", record_filter("location", _("location"))]
    ordering = ["location_id", "number", "id"]  # one index serves it, with or without the kind filter (issue 13)
    sortable_by = ["number", "location_link"]  # each has an index (issue 13)
    list_filter_sheet = False
    search_fields = ["number", "comment", "location__name", "location__city", "location__customer__name"]
    search_kind = "meter"  # through the indexed search terms (issue 13)
    autocomplete_fields = ["location"]
    fields = ["location", ("kind", "number"), ("unit", "comment"), ("installed_on", "removed_on")]

    class Media:
        js = ["fortycrm/meter_form.js"]

    def get_queryset(self, request):
        return meters_with_last_reading(super().get_queryset(request))

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if request.method == "POST":  # shown again: something was wrong
            rows = [f for inline in context.get("inline_admin_formsets", []) for f in inline.formset.forms]
            photo_again_notes(request, rows)
        return super().render_change_form(request, context, add, change, form_url, obj)

    @display(description=_("location"), ordering="location")  # by id: an index, no join
    def location_link(self, obj):
        url = reverse("admin:fortycrm_location_change", args=[obj.location_id])
        return format_html('<a href="{}">{}</a>', url, obj.location.name)

    @display(description=_("customer"))
    def customer(self, obj):
        return obj.location.customer

    @display(description=_("comment"))
    def comment_short(self, obj):
        return truncated(obj.comment)

    @display(description=_("last reading"))
    def last_reading(self, obj):
        if obj.last_value is None:
            return "—"
        when = formats.date_format(timezone.localtime(obj.last_read_at), "SHORT_DATE_FORMAT")
        return nowrap(f"{_amount(obj.last_value, obj.unit)} ({when})")

    def save_model(self, request, obj, form, change):
        services.meter_save(meter=obj)

    def save_formset(self, request, form, formset, change):
        if formset.model is not MeterReading:
            return super().save_formset(request, form, formset, change)
        instances = formset.save(commit=False)
        services.readings_save(meter=form.instance, readings=instances, deleted=formset.deleted_objects, user=request.user)

    def delete_model(self, request, obj):
        services.meter_delete(meter=obj)

    def delete_queryset(self, request, queryset):
        for meter in queryset:
            services.meter_delete(meter=meter)


class MeterExchangeFilter(admin.SimpleListFilter):
    """Readings that are (or are not) a meter exchange."""

    title = _("meter exchange")
    parameter_name = "exchange"

    def lookups(self, request, model_admin):
        return [("yes", _("yes")), ("no", _("no"))]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(is_exchange__in=[self.value() == "yes"])  # IN: the index answers (issue 13)
        return queryset


@admin.register(MeterReading)
class MeterReadingAdmin(FastListMixin, TermSearchMixin, SafePrefillMixin, HistoryAdmin, ModelAdmin):
    """All readings with consumption since the previous one and the photo."""

    form = ReadingForm
    list_display = ["read_at_display", "meter_link", "location", "value_display", "consumption_display", "photo_preview", "recorded_by_name", "comment_short"]
    list_display_links = ["read_at_display"]
    list_select_related = ["meter__location", "recorded_by"]
    list_filter = ["read_at", "meter__kind", MeterExchangeFilter, record_filter("meter", _("meter"))]
    ordering = ["-read_at", "-id"]  # newest first over all meters: one index (read_at, id)
    sortable_by = ["read_at", "meter_link"]  # each has an index (issue 13)
    list_filter_sheet = False
    search_fields = ["meter__number", "meter__location__name", "comment"]
    search_kind = "reading"  # by its comment, meter and location, through the indexed search terms (issue 13)
    # no date_hierarchy: it needs MariaDB's time zone tables; the date filter works everywhere
    autocomplete_fields = ["meter"]
    readonly_fields = ["photo_preview", "recorded_by_name", "history_section"]
    fields = ["meter", "read_at", ("value", "is_exchange"), "comment", ("photo", "photo_preview"), "recorded_by_name", "history_section"]

    def get_queryset(self, request):
        return readings_with_previous(super().get_queryset(request))

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        return fields if obj is not None else [f for f in fields if f not in ("recorded_by_name", "history_section")]

    @display(description=_("reading time"), ordering="read_at")
    def read_at_display(self, obj):
        return nowrap(formats.date_format(timezone.localtime(obj.read_at), "SHORT_DATETIME_FORMAT"))

    @display(description=_("meter"), ordering="meter")  # by id: an index, no join
    def meter_link(self, obj):
        url = reverse("admin:fortycrm_meter_change", args=[obj.meter_id])
        return format_html('<a href="{}">{}</a>', url, obj.meter)

    @display(description=_("comment"))
    def comment_short(self, obj):
        return truncated(obj.comment)

    @display(description=_("location"))
    def location(self, obj):
        return obj.meter.location.name

    @display(description=_("value"), ordering="value")
    def value_display(self, obj):
        return nowrap(_amount(obj.value, obj.meter.unit))

    @display(description=_("consumption"))
    def consumption_display(self, obj):
        if obj.is_exchange:
            return _("meter exchange")
        previous = getattr(obj, "previous_value", None)
        return nowrap(_amount(obj.value - previous if previous is not None else None, obj.meter.unit))

    @display(description=_("photo"))
    def photo_preview(self, obj):
        return photo_thumbnail(obj, size=36)  # a list row stays one line high

    @display(description=_("recorded by"), ordering="recorded_by__last_name")
    def recorded_by_name(self, obj):
        """The full name, not the login."""
        return person_name(obj.recorded_by) if obj and obj.recorded_by_id else "—"

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        initial.setdefault("read_at", timezone.now().replace(second=0, microsecond=0))
        return initial

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if request.method == "POST":  # shown again: something was wrong
            photo_again_notes(request, [context["adminform"].form])
        return super().render_change_form(request, context, add, change, form_url, obj)

    def save_model(self, request, obj, form, change):
        services.reading_record(reading=obj, user=request.user)

    def delete_model(self, request, obj):
        services.reading_delete(reading=obj)

    def delete_queryset(self, request, queryset):
        for reading in queryset:
            services.reading_delete(reading=reading)


"""Einstellungen → Eigene Felder (R-FLD): custom field definitions, Administration only."""

from __future__ import annotations

import functools

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin
from unfold.widgets import UnfoldAdminTextareaWidget, UnfoldAdminTextInputWidget

from fortycrm import custom_fields, standard_fields
from fortycrm.admin.base import SafePrefillMixin
from fortycrm.admin.forms import ServiceCheckedForm
from fortycrm.models import CustomField, StandardFieldRule
from fortycrm.services import custom_fields as services


def choices_to_text(choices) -> str:
    lines = []
    for choice in choices or []:
        value, label = choice.get("value"), choice.get("label")
        lines.append(value if not label or label == value else f"{value} = {label}")
    return "\n".join(lines)


def choices_from_text(text: str) -> list[dict[str, str]]:
    choices = []
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        value, sep, label = line.partition("=")
        value = value.strip()
        choices.append({"value": value, "label": label.strip() if sep else value})
    return choices


class CustomFieldForm(ServiceCheckedForm):
    choices_text = forms.CharField(
        label=_("Choices"),
        required=False,
        widget=UnfoldAdminTextareaWidget(attrs={"rows": 5}),
        help_text=_("One choice per line, as “value = label” (or just the value); the order of the lines is the order of the choices."),
    )
    default_text = forms.CharField(
        label=_("Default"), required=False, widget=UnfoldAdminTextInputWidget,
        help_text=_("Prefilled for new records; typed as in the import (31.12.2026, 12,5, ja/nein, choices by label or value)."),
    )
    min_text = forms.CharField(label=_("Minimum"), required=False, widget=UnfoldAdminTextInputWidget, help_text=_("Numbers and dates only."))
    max_text = forms.CharField(label=_("Maximum"), required=False, widget=UnfoldAdminTextInputWidget, help_text=_("Numbers and dates only."))

    class Meta:
        model = CustomField
        exclude = ["default", "choices", "min_value", "max_value"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.instance
        if field.pk:
            self.fields["choices_text"].initial = choices_to_text(field.choices)
            self.fields["default_text"].initial = custom_fields.value_export(field, field.default)
            self.fields["min_text"].initial = custom_fields.value_export(field, field.min_value)
            self.fields["max_text"].initial = custom_fields.value_export(field, field.max_value)

    def _post_clean(self):
        field = self.instance
        data = self.cleaned_data
        field.choices = choices_from_text(data.get("choices_text", ""))
        for form_name, attr in (("default_text", "default"), ("min_text", "min_value"), ("max_text", "max_value")):
            text = data.get(form_name, "")
            if not text:
                setattr(field, attr, None)
                continue
            probe = CustomField(type=data.get("type") or field.type, label=data.get("label") or "", choices=field.choices)
            try:
                setattr(field, attr, custom_fields.value_from_text(probe, text))
            except ValidationError as exc:
                self.add_error(form_name, exc.messages)
        super()._post_clean()

    def service_check(self, instance) -> None:
        try:
            services.customfield_check(field=instance)
        except ValidationError as exc:
            renamed = {
                {"choices": "choices_text", "default": "default_text", "min_value": "min_text", "max_value": "max_text"}.get(k, k): v
                for k, v in exc.message_dict.items()
            }
            raise ValidationError(renamed) from None


@admin.register(CustomField)
class CustomFieldAdmin(SafePrefillMixin, ModelAdmin):
    form = CustomFieldForm
    list_display = ["label", "name", "object_type", "type", "required", "applies_to", "position", "list_column", "list_filter"]
    list_filter = ["object_type", "type"]
    search_fields = ["name", "label", "label_en"]
    ordering = ["object_type", "position", "name"]
    fieldsets = [
        (None, {"fields": ["object_type", "name", ("label", "label_en"), "help_text", "type", "choices_text"]}),
        (_("Rules"), {"fields": ["required", "default_text", ("min_text", "max_text"), "applies_to"]}),
        (_("Display"), {"fields": ["position", "list_column", "list_filter", "searchable"]}),
    ]

    def save_model(self, request, obj, form, change):
        services.customfield_save(field=obj)

    def delete_model(self, request, obj):
        count = services.customfield_delete(field=obj)
        self.message_user(
            request,
            _("The field “%(label)s” was deleted; its value was removed from %(count)d record(s).") % {"label": obj.label, "count": count},
            messages.SUCCESS,
        )

    def delete_queryset(self, request, queryset):
        for field in queryset:
            self.delete_model(request, field)

    def render_delete_form(self, request, context):
        obj = context.get("object")
        if obj is not None:
            count = services.customfield_usage(obj)
            self.message_user(
                request,
                _("%(count)d record(s) hold a value for “%(label)s”. Deleting the field removes these values.") % {"count": count, "label": obj.label},
                messages.WARNING,
            )
        return super().render_delete_form(request, context)


# --- Einstellungen → Standardfelder (R-FLD-8) ---------------------------------------------------

class StandardFieldRuleForm(ServiceCheckedForm):
    target = forms.ChoiceField(label=_("field"), choices=(), help_text=_("Fields that are mandatory by nature are not offered."))

    class Meta:
        model = StandardFieldRule
        fields = ["applies_to", "behaviour"]

    def __init__(self, *args, **kwargs):
        from unfold.widgets import UnfoldAdminSelectWidget

        super().__init__(*args, **kwargs)
        self.fields["target"].choices = standard_fields.field_choices()
        self.fields["target"].widget = UnfoldAdminSelectWidget(choices=self.fields["target"].choices)
        if self.instance.pk:
            self.initial["target"] = f"{self.instance.object_type}:{self.instance.field}"

    def _post_clean(self):
        target = self.cleaned_data.get("target") or ""
        self.instance.object_type, _sep, self.instance.field = target.partition(":")
        super()._post_clean()

    def service_check(self, instance) -> None:
        try:
            services.standardfield_rule_check(rule=instance)
        except ValidationError as exc:
            raise ValidationError({("target" if k in ("field", "object_type") else k): v for k, v in exc.message_dict.items()}) from None


@admin.register(StandardFieldRule)
class StandardFieldRuleAdmin(ModelAdmin):
    form = StandardFieldRuleForm
    list_display = ["__str__", "behaviour", "applies_to"]
    list_filter = ["object_type", "behaviour"]
    fields = ["target", "behaviour", "applies_to"]

    def save_model(self, request, obj, form, change):
        services.standardfield_rule_save(rule=obj)

    def delete_model(self, request, obj):
        services.standardfield_rule_delete(rule=obj)

    def delete_queryset(self, request, queryset):
        for rule in queryset:
            services.standardfield_rule_delete(rule=rule)


# --- the "Weitere Angaben" section of customer, contact and location forms -------------------

def form_field(definition: CustomField) -> forms.Field:
    """The desk form field for a definition: the right widget per type (German formats)."""
    from unfold import widgets as uw

    Type = CustomField.Type
    common = {
        "label": definition.display_label(),
        "help_text": definition.help_text,
        "required": definition.required and definition.applies_to == CustomField.AppliesTo.BOTH,
    }
    kind = definition.type
    if kind == Type.LONGTEXT:
        return forms.CharField(max_length=custom_fields.LONGTEXT_MAX, widget=UnfoldAdminTextareaWidget(attrs={"rows": 3}), **common)
    if kind == Type.INTEGER:
        return forms.IntegerField(widget=uw.UnfoldAdminIntegerFieldWidget, **common)
    if kind == Type.DECIMAL:
        return forms.DecimalField(localize=True, widget=uw.UnfoldAdminTextInputWidget, **common)
    if kind == Type.DATE:
        return forms.DateField(localize=True, widget=uw.UnfoldAdminDateWidget, **common)
    if kind == Type.BOOLEAN:
        return forms.NullBooleanField(widget=uw.UnfoldAdminNullBooleanSelectWidget, **common)
    if kind == Type.SELECT:
        choices = [("", "---------"), *((c["value"], c["label"]) for c in definition.choices)]
        return forms.ChoiceField(choices=choices, widget=uw.UnfoldAdminSelectWidget, **common)
    if kind == Type.MULTISELECT:
        choices = [(c["value"], c["label"]) for c in definition.choices]
        return forms.MultipleChoiceField(choices=choices, widget=uw.UnfoldAdminCheckboxSelectMultipleWidget, **common)
    if kind == Type.URL:
        return forms.URLField(max_length=custom_fields.TEXT_MAX, widget=uw.UnfoldAdminURLInputWidget, **common)
    if kind == Type.EMAIL:
        return forms.EmailField(max_length=custom_fields.TEXT_MAX, widget=uw.UnfoldAdminEmailInputWidget, **common)
    return forms.CharField(max_length=custom_fields.TEXT_MAX, widget=UnfoldAdminTextInputWidget, **common)


def _initial(definition: CustomField, value):
    import datetime as dt
    from decimal import Decimal

    if value is None:
        return None
    if definition.type == CustomField.Type.DATE:
        return dt.date.fromisoformat(value)
    if definition.type == CustomField.Type.DECIMAL:
        return Decimal(value)
    return value


def _json_value(definition: CustomField, value):
    import datetime as dt
    from decimal import Decimal

    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return value


class CustomFieldFormMixin:
    """Adds a form field ``cf_<name>`` per definition of ``custom_field_object_type`` and
    checks the values with the one rule set (``custom_fields.data_clean``)."""

    custom_field_object_type = "customer"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        preset = getattr(self, "preset_custom_field_definitions", None)  # an inline's rows share one read
        self.custom_field_definitions = list(preset) if preset is not None else custom_fields.definitions(self.custom_field_object_type)
        stored = self.instance.custom_field_data or {}
        for definition in self.custom_field_definitions:
            key = custom_fields.field_key(definition.name)
            self.fields[key] = form_field(definition)
            value = stored.get(definition.name) if self.instance.pk else definition.default
            self.initial.setdefault(key, _initial(definition, value))
        preset_rules = getattr(self, "preset_standard_field_rules", None)
        self.standard_field_rules = list(preset_rules) if preset_rules is not None else standard_fields.rules(self.custom_field_object_type)
        mark_required_standard_fields(self.fields, self.custom_field_object_type, self.standard_field_rules)
        if "kind" in self.fields and self.custom_field_object_type == "customer":  # the form's script hides them per kind
            import json

            widget = self.fields["kind"].widget
            hidden = standard_fields.kind_rules("customer", standard_fields.HIDDEN, all_rules=self.standard_field_rules)
            getattr(widget, "widget", widget).attrs["data-hidden-fields"] = json.dumps(hidden)

    def custom_field_kind(self) -> str | None:
        if self.custom_field_object_type != "customer":
            return None
        return self.cleaned_data.get("kind") or self.instance.kind

    def _post_clean(self):
        kind = self.custom_field_kind()
        data = {}
        for definition in self.custom_field_definitions:
            key = custom_fields.field_key(definition.name)
            if key in self.errors or not custom_fields.applies(definition, kind):
                continue
            value = _json_value(definition, self.cleaned_data.get(key))
            if value is not None and value != "" and value != []:
                data[definition.name] = value
        try:
            self.instance.custom_field_data = custom_fields.data_clean(
                self.custom_field_object_type, data, kind=kind, defs=self.custom_field_definitions
            )
        except ValidationError as exc:
            for key, messages_ in exc.message_dict.items():
                if key in self.fields and key not in self.errors:
                    self.add_error(key, messages_)
                elif key not in self.fields:
                    self.add_error(None, messages_)
        self.cleaned_data["custom_field_data"] = self.instance.custom_field_data
        super()._post_clean()
        try:  # standard fields admins made required (R-FLD-8), as the services check them
            standard_fields.record_check(
                self.instance, object_type=self.custom_field_object_type, kind=kind, all_rules=self.standard_field_rules
            )
        except ValidationError as exc:
            for key, messages_ in exc.message_dict.items():
                if key in self.errors:
                    continue
                self.add_error(key if key in self.fields else None, messages_)


def mark_required_standard_fields(fields: dict, object_type: str, rules: list) -> None:
    """Desk forms mark the standard fields admins made required (R-FLD-8).

    Required for every record → the field is required (marked with *); required for one kind
    of customer only → its help text says so (the service check reports a missing value).
    """
    for name in standard_fields.required_names(object_type, None, all_rules=rules):
        if name in fields:
            fields[name].required = True
    for kind, names in standard_fields.kind_rules(object_type, standard_fields.REQUIRED, all_rules=rules).items():
        note = _("Required for company customers.") if kind == "company" else _("Required for private customers.")
        for name in names:
            if name in fields:
                fields[name].help_text = f"{fields[name].help_text} {note}".strip()


def without_fields(fieldsets, hidden: set[str]) -> list:
    """``fieldsets`` without the ``hidden`` names (rows given as tuples keep their other names)."""
    if not hidden:
        return list(fieldsets)
    result = []
    for title, options in fieldsets:
        names = []
        for entry in options.get("fields", []):
            if isinstance(entry, list | tuple):
                kept = tuple(n for n in entry if n not in hidden)
                if kept:
                    names.append(kept if len(kept) > 1 else kept[0])
            elif entry not in hidden:
                names.append(entry)
        if names:
            result.append((title, {**options, "fields": names}))
    return result


def hidden_for(object_type: str, obj) -> set[str]:
    """Standard fields the desk leaves out: hidden for every record, or for the customer's kind."""
    kind = getattr(obj, "kind", None) if object_type == "customer" and obj is not None and obj.pk else None
    return standard_fields.hidden_names(object_type, kind)


@functools.cache
def with_custom_fields(form: type, object_type: str) -> type:
    """``form`` with the custom fields' part (``CustomFieldFormMixin``), built once per form and
    object type: each ModelForm class built is a pass over the model's fields (0.4–1 ms), and the
    admin builds its form classes for every request from this one (issue 13)."""
    return type(form.__name__, (CustomFieldFormMixin, form), {"custom_field_object_type": object_type})


class CustomFieldsInlineMixin:
    """Inline part (R-FLD): the custom fields of the inline's records in each row, checked with
    the one rule set, and the standard fields admins hid left out (R-FLD-8)."""

    custom_field_object_type = "contact"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.form = with_custom_fields(self.form, self.custom_field_object_type)  # inlines are built per request

    def get_fields(self, request, obj=None):
        hidden = standard_fields.hidden_names(self.custom_field_object_type, None)
        names = without_fields([(None, {"fields": list(super().get_fields(request, obj))})], hidden)
        names = list(names[0][1]["fields"]) if names else []
        return names + [custom_fields.field_key(d.name) for d in custom_fields.definitions(self.custom_field_object_type)]

    def get_formset(self, request, obj=None, **kwargs):
        from django.contrib.admin.utils import flatten_fieldsets

        names = kwargs["fields"] if kwargs.get("fields") is not None else flatten_fieldsets(self.get_fieldsets(request, obj))
        kwargs["fields"] = [n for n in names if not n.startswith("cf_")]  # added by CustomFieldFormMixin
        formset = super().get_formset(request, obj, **kwargs)
        object_type = self.custom_field_object_type
        # read once per page, not once per row (a customer with 500 contacts: issue 13); the
        # form class is this request's own (built by the formset factory)
        formset.form.preset_custom_field_definitions = custom_fields.definitions(object_type)
        formset.form.preset_standard_field_rules = standard_fields.rules(object_type)
        return formset


class CustomFieldsAdminMixin:
    """ModelAdmin part: the section "Weitere Angaben" with the custom fields (R-FLD); the
    standard fields admins hid are left out (R-FLD-8)."""

    custom_field_object_type = "customer"
    custom_fields_section_index: int | None = None
    custom_fields_section_classes: tuple[str, ...] = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.form = with_custom_fields(self.form, self.custom_field_object_type)

    def get_form(self, request, obj=None, change=False, **kwargs):
        from django.contrib.admin.utils import flatten_fieldsets

        names = kwargs["fields"] if kwargs.get("fields") is not None else flatten_fieldsets(self.get_fieldsets(request, obj))
        kwargs["fields"] = [n for n in names if not n.startswith("cf_")]  # added by CustomFieldFormMixin
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fieldsets(self, request, obj=None):
        fieldsets = list(super().get_fieldsets(request, obj))
        names = [custom_fields.field_key(d.name) for d in custom_fields.definitions(self.custom_field_object_type)]
        if names:
            section = (_("Further details"), {"fields": names, "classes": list(self.custom_fields_section_classes)})
            index = len(fieldsets) if self.custom_fields_section_index is None else self.custom_fields_section_index
            fieldsets.insert(index, section)
        return without_fields(fieldsets, hidden_for(self.custom_field_object_type, obj))


# --- lists: columns, filters and search ---------------------------------------------------------

def custom_field_filter_q(definition: CustomField, value: str):
    """The lookup a desk list filter uses for ``value`` (same data path as the API's cf_ filters)."""
    from fortycrm.api.filters import custom_field_q

    return custom_field_q(definition, "", value)


def _list_filter_for(definition: CustomField) -> type[admin.SimpleListFilter]:
    Type = CustomField.Type

    class CustomFieldListFilter(admin.SimpleListFilter):
        title = definition.display_label()
        parameter_name = custom_fields.field_key(definition.name)

        def lookups(self, request, model_admin):
            if definition.type in (Type.SELECT, Type.MULTISELECT):
                return [(c["value"], c["label"]) for c in definition.choices]
            if definition.type == Type.BOOLEAN:
                return [("true", _("yes")), ("false", _("no"))]
            return [("past", _("before today")), ("future", _("today or later")), ("empty", _("no date"))]

        def queryset(self, request, queryset):
            value = self.value()
            if not value:
                return queryset
            key = f"custom_field_data__{definition.name}"
            if definition.type == Type.DATE:
                from django.db.models.fields.json import KT
                from django.db.models.lookups import GreaterThanOrEqual, LessThan
                from django.utils import timezone

                if value == "empty":
                    return queryset.filter(**{f"{key}__isnull": True})  # no value stored
                today = timezone.localdate().isoformat()
                lookup = LessThan if value == "past" else GreaterThanOrEqual
                return queryset.filter(lookup(KT(key), today))
            return queryset.filter(custom_field_filter_q(definition, value))

    CustomFieldListFilter.__name__ = f"CustomFieldListFilter_{definition.name}"
    return CustomFieldListFilter


def _list_column_for(definition: CustomField):
    def column(obj):
        return custom_fields.value_display(definition, (obj.custom_field_data or {}).get(definition.name)) or "—"

    column.short_description = definition.display_label()
    column.__name__ = custom_fields.field_key(definition.name)
    return column


class CustomFieldsListMixin:
    """ModelAdmin part: custom fields as list columns, list filters and search (R-FLD)."""

    custom_field_object_type = "customer"

    def get_list_display(self, request):
        base = list(super().get_list_display(request))
        return base + [_list_column_for(d) for d in custom_fields.definitions(self.custom_field_object_type) if d.list_column]

    def get_list_filter(self, request):
        base = list(super().get_list_filter(request))
        return base + [
            _list_filter_for(d) for d in custom_fields.definitions(self.custom_field_object_type)
            if d.list_filter and d.type in custom_fields.FILTER_TYPES
        ]

    def get_search_results(self, request, queryset, search_term):
        from django.db.models import Q

        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        term = (search_term or "").strip()
        searchable = [
            d for d in custom_fields.definitions(self.custom_field_object_type)
            if d.searchable and d.type in (CustomField.Type.TEXT, CustomField.Type.LONGTEXT, CustomField.Type.EMAIL, CustomField.Type.URL)
        ]
        if term and searchable:
            q = Q()
            for definition in searchable:
                q |= Q(**{f"custom_field_data__{definition.name}__icontains": term})
            queryset = queryset | self.get_queryset(request).filter(q)
        return queryset, may_have_duplicates

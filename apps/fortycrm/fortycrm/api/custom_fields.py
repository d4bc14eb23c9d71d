"""Custom fields in the API (R-FLD): the ``custom_fields`` object, ``cf_`` filters, the definitions.

``custom_fields`` is ``{"<name>": value}`` in the JSON form of ``fortycrm.custom_fields``;
writes check each value here (nested errors ``{"custom_fields": {"<name>": [...]}}``) and the
whole record in the service (required fields, defaults, applies-to). A PATCH changes only the
names it sends (``null`` clears one).
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import BigIntegerField, DecimalField, Q
from django.db.models.fields.json import KT
from django.db.models.functions import Cast
from django.db.models.lookups import Exact, GreaterThanOrEqual, LessThanOrEqual
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from rest_framework import serializers

from fortycrm import custom_fields
from fortycrm.models import CustomField
from fortycrm.services import custom_fields as services

Type = CustomField.Type


class CustomFieldsField(serializers.Field):
    """``custom_fields``: the record's custom field values by technical name."""

    def __init__(self, object_type: str, **kwargs):
        self.object_type = object_type
        kwargs.setdefault("source", "custom_field_data")
        kwargs.setdefault("required", False)
        # lazy: the field is built when the serializer class is defined, the text is read per request
        kwargs.setdefault("help_text", gettext_lazy("Custom fields by technical name; see /api/v1/custom-fields/."))
        super().__init__(**kwargs)

    def to_representation(self, value: Any) -> dict[str, Any]:
        return dict(value or {})

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        if not isinstance(data, dict):
            raise serializers.ValidationError(_("Send the custom fields as an object: {\"name\": value}."))
        by_name = {d.name: d for d in custom_fields.definitions(self.object_type)}
        errors: dict[str, list[str]] = {}
        unknown = sorted(str(name) for name in data if name not in by_name)
        if unknown:
            raise serializers.ValidationError(
                _("Unknown custom field(s): %(unknown)s. Known fields: %(known)s.")
                % {"unknown": ", ".join(unknown), "known": ", ".join(by_name) or _("none")}
            )
        cleaned: dict[str, Any] = {}
        for name, value in data.items():
            try:
                cleaned[name] = custom_fields.value_clean(by_name[name], value)
            except DjangoValidationError as exc:
                errors[name] = exc.messages
        if errors:
            raise serializers.ValidationError(errors)
        return cleaned


def merged(instance, given: dict[str, Any] | None) -> dict[str, Any]:
    """A PATCH's ``custom_fields`` merged into the stored ones (``None`` removes a value)."""
    data = dict(getattr(instance, "custom_field_data", None) or {})
    for name, value in (given or {}).items():
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value
    return data


@contextmanager
def custom_field_errors():
    """A service's ``cf_<name>`` errors → ``{"custom_fields": {"<name>": [...]}}`` (400)."""
    try:
        yield
    except DjangoValidationError as exc:
        if not hasattr(exc, "error_dict"):
            raise
        keys = exc.message_dict
        if not any(k.startswith("cf_") or k == "custom_fields" for k in keys):
            raise
        answer: dict[str, Any] = {}
        nested: dict[str, list[str]] = {}
        for key, messages in keys.items():
            if key.startswith("cf_"):
                nested[key[3:]] = messages
            elif key == "custom_fields":
                nested.setdefault("non_field_errors", []).extend(messages)
            else:
                answer[key] = messages
        answer["custom_fields"] = nested
        raise serializers.ValidationError(answer) from None


# --- schema ----------------------------------------------------------------------------------

def value_schema(definition: CustomField) -> dict[str, Any]:
    schema: dict[str, Any]
    if definition.type == Type.INTEGER:
        schema = {"type": "integer"}
    elif definition.type == Type.DECIMAL:
        schema = {"type": "string", "format": "decimal", "pattern": r"^-?\d+(\.\d+)?$"}
    elif definition.type == Type.DATE:
        schema = {"type": "string", "format": "date"}
    elif definition.type == Type.BOOLEAN:
        schema = {"type": "boolean"}
    elif definition.type == Type.SELECT:
        schema = {"type": "string", "enum": custom_fields.choice_values(definition)}
    elif definition.type == Type.MULTISELECT:
        schema = {"type": "array", "items": {"type": "string", "enum": custom_fields.choice_values(definition)}}
    elif definition.type == Type.URL:
        schema = {"type": "string", "format": "uri"}
    elif definition.type == Type.EMAIL:
        schema = {"type": "string", "format": "email"}
    else:
        schema = {"type": "string", "maxLength": custom_fields.LONGTEXT_MAX if definition.type == Type.LONGTEXT else custom_fields.TEXT_MAX}
    if definition.type in (Type.INTEGER,) and definition.min_value is not None:
        schema["minimum"] = definition.min_value
    if definition.type in (Type.INTEGER,) and definition.max_value is not None:
        schema["maximum"] = definition.max_value
    schema["nullable"] = True
    schema["title"] = definition.label
    if definition.help_text:
        schema["description"] = definition.help_text
    return schema


class CustomFieldsFieldExtension(OpenApiSerializerFieldExtension):
    """The schema lists the custom fields defined when it is generated, with their types."""

    target_class = "fortycrm.api.custom_fields.CustomFieldsField"

    def map_serializer_field(self, auto_schema, direction):
        from django.db import DatabaseError

        try:
            properties = {d.name: value_schema(d) for d in custom_fields.definitions(self.target.object_type)}
        except DatabaseError:  # no database yet (``manage.py check`` before migrate, or none reachable)
            properties = {}
        return {
            "type": "object",
            "properties": properties,
            "additionalProperties": False,
            "description": str(self.target.help_text or ""),
        }


# --- filters -----------------------------------------------------------------------------------

def custom_field_q(definition: CustomField, lookup: str, text: str) -> Q:
    """The filter for ``cf_<name>[__gte|__lte]=text``; raises ValidationError for a bad value."""
    key = f"custom_field_data__{definition.name}"
    kind = definition.type
    if lookup and kind not in custom_fields.NUMERIC_TYPES:
        raise DjangoValidationError(_("%(label)s: __gte and __lte work only for numbers and dates.") % {"label": definition.label})
    value = custom_fields.value_from_text(definition, text)
    if kind in custom_fields.INDEXED_TYPES:  # choice, multiple choice (all given), yes/no: the value index
        return custom_fields.index_filter(definition, value) if value is not None else Q(pk__in=[])
    if kind == Type.INTEGER:
        expression = Cast(KT(key), BigIntegerField())
    elif kind == Type.DECIMAL:
        expression = Cast(KT(key), DecimalField(max_digits=custom_fields.DECIMAL_MAX_DIGITS, decimal_places=custom_fields.DECIMAL_MAX_PLACES))
        value = custom_fields.Decimal(value)
    else:
        expression = KT(key)
    if lookup == "gte":
        return Q(GreaterThanOrEqual(expression, value))
    if lookup == "lte":
        return Q(LessThanOrEqual(expression, value))
    return Q(Exact(expression, value))


def custom_field_filters(object_type: str, params) -> tuple[Q, list[tuple[str, str]], dict[str, str]]:
    """All ``cf_`` query parameters: (filter, normalized parameters for cache keys, errors by parameter)."""
    if not any(param.startswith("cf_") for param in params):
        return Q(), [], {}  # no query for the definitions on a plain list
    by_name = {d.name: d for d in custom_fields.definitions(object_type)}
    q = Q()
    used: list[tuple[str, str]] = []
    errors: dict[str, str] = {}
    for param in sorted(params):
        if not param.startswith("cf_"):
            continue
        name, _sep, lookup = param[3:].partition("__")
        definition = by_name.get(name)
        if definition is None or lookup not in ("", "gte", "lte"):
            errors[param] = _("Unknown custom field filter “%(param)s”. Known: %(known)s (with __gte/__lte for numbers and dates).") % {
                "param": param, "known": ", ".join(f"cf_{n}" for n in by_name) or _("none"),
            }
            continue
        for text in params.getlist(param) if hasattr(params, "getlist") else [params[param]]:
            try:
                q &= custom_field_q(definition, lookup, str(text))
            except DjangoValidationError as exc:
                errors[param] = " ".join(exc.messages)
                break
            used.append((param, str(text)))
    return q, used, errors


class CustomFieldFilterMixin:
    """A FilterSet part: ``cf_<name>`` parameters (not known to django-filter) become filters."""

    custom_field_object_type = "customer"

    def is_valid(self) -> bool:
        valid = super().is_valid()
        q, used, errors = custom_field_filters(self.custom_field_object_type, self.data or {})
        self.custom_field_q, self.custom_field_params = q, used
        for param, message in errors.items():
            self.form._errors[param] = self.form.error_class([message])
        return valid and not errors

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        q = getattr(self, "custom_field_q", None)
        return queryset.filter(q) if q else queryset


# --- definitions: /api/v1/custom-fields/ --------------------------------------------------------

class ChoiceSerializer(serializers.Serializer):
    value = serializers.CharField(max_length=100)
    label = serializers.CharField(max_length=200, required=False, allow_blank=True)


class CustomFieldSerializer(serializers.ModelSerializer):
    """A custom field definition; the rules of the desk apply (service ``customfield_save``)."""

    choices = ChoiceSerializer(many=True, required=False, max_length=500)
    default = serializers.JSONField(required=False, allow_null=True)
    min_value = serializers.JSONField(required=False, allow_null=True)
    max_value = serializers.JSONField(required=False, allow_null=True)

    class Meta:
        model = CustomField
        fields = [
            "id", "object_type", "name", "label", "label_en", "help_text", "type", "required", "default", "choices",
            "min_value", "max_value", "applies_to", "position", "list_column", "list_filter", "searchable",
        ]

    def get_validators(self) -> list:
        return []  # the service checks the unique name with a clear message

    def _save(self, instance: CustomField, data: dict[str, Any]) -> CustomField:
        for name, value in data.items():
            setattr(instance, name, value)
        try:
            return services.customfield_save(field=instance)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}) from None

    def create(self, validated_data: dict[str, Any]) -> CustomField:
        return self._save(CustomField(), validated_data)

    def update(self, instance: CustomField, validated_data: dict[str, Any]) -> CustomField:
        return self._save(instance, validated_data)

"""Website intake (R-API-4, "Automatisiert Kunden anlegen"): one flat POST → a prospect.

The HTTP side only: the form's fields and checks, the answer's shape and the header name.
The flow itself (prospect, contact, location, duplicates, idempotency) is in
``fortycrm.services.intake``."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from fortycrm.models import IntakeRequest
from fortycrm.models.base import Salutation
from fortycrm.models.customers import CustomerKind
from fortycrm.tagnames import TAG_NAME_MAX_LENGTH, parse_tag_names, tag_name_problem

IDEMPOTENCY_HEADER = "Idempotency-Key"
MAX_IDEMPOTENCY_KEY = IntakeRequest._meta.get_field("key").max_length


@extend_schema_field({"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string", "maxLength": TAG_NAME_MAX_LENGTH}, "maxItems": 20}]})
class TagNamesField(serializers.Field):
    """Tags as a list of names or as one comma separated text (form friendly)."""

    default_error_messages = {"invalid": _("Send the tags as a list of names or as text separated by commas.")}

    def get_value(self, dictionary):
        if hasattr(dictionary, "getlist") and self.field_name in dictionary:
            values = dictionary.getlist(self.field_name)
            return values if len(values) != 1 else values[0]
        return super().get_value(dictionary)

    def to_internal_value(self, data) -> list[str]:
        if isinstance(data, str):
            items = [data]
        elif isinstance(data, list) and all(isinstance(v, str) for v in data):
            items = data
        else:
            self.fail("invalid")
        names: list[str] = []
        for item in items:
            names += parse_tag_names(item)
        if len(names) > 20:
            raise serializers.ValidationError(_("At most 20 tags, please."))
        for name in names:
            problem = tag_name_problem(name)
            if problem:
                raise serializers.ValidationError(problem)
        return names

    def to_representation(self, value):
        return value


def _text(max_length: int, **kwargs) -> serializers.CharField:
    return serializers.CharField(max_length=max_length, required=False, allow_blank=True, **kwargs)


class IntakeSerializer(serializers.Serializer):
    """The flat body of a website form. Everything but the name is optional."""

    kind = serializers.ChoiceField(
        choices=CustomerKind.choices, required=False, help_text=_("company or private; empty → company if company_name is given")
    )
    company_name = _text(200, help_text=_("Full name of the company (company customers)."))
    salutation = serializers.ChoiceField(choices=Salutation.choices, required=False, allow_blank=True)
    title = _text(40)
    first_name = _text(100)
    last_name = _text(100, help_text=_("Last name of the person (the contact)."))
    email = serializers.EmailField(required=False, allow_blank=True, max_length=254)
    phone = _text(40)
    mobile = _text(40)
    street = _text(200)
    postcode = _text(10)
    city = _text(100)
    country = serializers.CharField(max_length=2, required=False, allow_blank=True)
    location_name = _text(200, help_text=_("Name of the location (Objekt); empty → its street."))
    location_street = _text(200)
    location_postcode = _text(10)
    location_city = _text(100)
    location_country = serializers.CharField(max_length=2, required=False, allow_blank=True)
    message = _text(5000, help_text=_("Free text of the enquiry; stored in the customer's notes."))
    tags = TagNamesField(required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        kind = attrs.get("kind") or (CustomerKind.COMPANY if attrs.get("company_name", "").strip() else CustomerKind.PRIVATE)
        attrs["kind"] = kind
        errors: dict[str, list[str]] = {}
        if kind == CustomerKind.COMPANY and not attrs.get("company_name", "").strip():
            errors["company_name"] = [_("A company enquiry needs the company name.")]
        if not attrs.get("last_name", "").strip():
            errors["last_name"] = [_("Please give the last name of the person to contact.")]
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class DuplicateSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.IntegerField(allow_null=True)
    display_name = serializers.CharField()
    status_name = serializers.CharField()
    reason = serializers.ChoiceField(
        choices=[("email", _("same e-mail address")), ("name_postcode", _("same name and postcode"))]
    )


class IntakeResultSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.IntegerField(allow_null=True)
    display_name = serializers.CharField()
    status_name = serializers.CharField()
    possible_duplicates = DuplicateSerializer(many=True)

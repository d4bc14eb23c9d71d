"""Website intake (R-API-4, "Automatisiert Kunden anlegen"): one flat POST → a prospect."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from fortycrm.models import ApiKey, Contact, Customer, IntakeRequest, Location, SiteSettings
from fortycrm.models.base import Salutation
from fortycrm.models.customers import CustomerKind
from fortycrm.selectors import customer_duplicates
from fortycrm.services import contacts, locations
from fortycrm.services.customers import customer_create
from fortycrm.tagnames import TAG_NAME_MAX_LENGTH, parse_tag_names, tag_name_problem

IDEMPOTENCY_HEADER = "Idempotency-Key"
MAX_IDEMPOTENCY_KEY = 200


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
    reason = serializers.ChoiceField(choices=[("email", "email"), ("name_postcode", "name_postcode")])


class IntakeResultSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.IntegerField(allow_null=True)
    display_name = serializers.CharField()
    status_name = serializers.CharField()
    possible_duplicates = DuplicateSerializer(many=True)


def possible_duplicates(customer: Customer) -> list[dict[str, Any]]:
    """Possible duplicates of ``customer`` as ``selectors.customer_duplicates`` defines them."""
    return [
        {"id": other.pk, "number": other.number, "display_name": other.display_name, "status_name": other.status.name, "reason": reason}
        for other, reason in customer_duplicates([customer])[0][:20]
    ]


def intake_create(data: dict[str, Any]) -> dict[str, Any]:
    """Create the prospect with contact and optional location; return the answer's body."""
    site = SiteSettings.load()
    tags = list(site.intake_tags.all()) + list(data.get("tags") or [])
    kind = data["kind"]
    fields: dict[str, Any] = {
        name: data.get(name, "")
        for name in ("email", "phone", "mobile", "street", "postcode", "city")
    }
    if data.get("country"):
        fields["country"] = data["country"].upper()
    if kind == CustomerKind.COMPANY:
        fields["name"] = data["company_name"].strip()
    else:
        fields.update({name: data.get(name, "") for name in ("salutation", "title", "first_name", "last_name")})
    fields["notes"] = data.get("message", "")
    customer = customer_create(kind=kind, status=site.intake_status_id, tags=tags, **fields)
    contact = Contact(
        customer=customer,
        **{name: data.get(name, "") for name in ("salutation", "title", "first_name", "last_name", "email", "phone", "mobile")},
    )
    contacts.contact_save(contact=contact)
    location_fields = {name: data.get(f"location_{name}", "").strip() for name in ("name", "street", "postcode", "city", "country")}
    if any(location_fields.values()):
        location = Location(
            customer=customer,
            name=location_fields["name"] or location_fields["street"] or location_fields["city"] or customer.display_name,
            street=location_fields["street"],
            postcode=location_fields["postcode"],
            city=location_fields["city"],
            country=(location_fields["country"] or fields.get("country") or "DE").upper(),
        )
        locations.location_save(location=location)
    return {
        "id": customer.pk,
        "number": customer.number,
        "display_name": customer.display_name,
        "status_name": customer.status.name,
        "possible_duplicates": possible_duplicates(customer),
    }


def request_fingerprint(data) -> str:
    if hasattr(data, "lists"):
        data = {key: values for key, values in data.lists()}
    text = json.dumps(data, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def intake_idempotent(*, api_key: ApiKey | None, key: str, fingerprint: str, data: dict[str, Any]) -> tuple[int, dict[str, Any], str]:
    """Run the intake once per (API key, Idempotency-Key).

    Returns (status, body, outcome) with outcome "created", "replayed" or "conflict" (the key
    was used before with a different body).

    The unique constraint on IntakeRequest makes concurrent repeats safe: the second
    insert waits for the first transaction and then finds its stored answer.
    """
    with transaction.atomic():
        stored = IntakeRequest.objects.filter(api_key=api_key, key=key).first()
        if stored is None:
            try:
                with transaction.atomic():
                    stored = IntakeRequest.objects.create(api_key=api_key, key=key, request_hash=fingerprint, response_status=0)
            except IntegrityError:
                stored = IntakeRequest.objects.filter(api_key=api_key, key=key).first()
            else:
                body = intake_create(data)
                stored.response_status, stored.response_body = 201, body
                stored.save(update_fields=["response_status", "response_body"])
                return 201, body, "created"
        if stored is None or stored.response_status == 0:  # pragma: no cover - a rolled back twin
            raise IntegrityError("intake idempotency race")
        outcome = "replayed" if stored.request_hash == fingerprint else "conflict"
        return stored.response_status, stored.response_body, outcome

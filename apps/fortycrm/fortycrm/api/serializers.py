"""Serializers: input checks and the JSON shape. Writes go through the services."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, cached_property
from operator import itemgetter
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from fortycrm.api.custom_fields import CustomFieldsField, custom_field_errors, merged
from fortycrm.api.payers import CustomerSettingsSerializer, customer_settings_write, settings_json
from fortycrm.models import (
    Contact,
    Customer,
    CustomerStatus,
    Invoice,
    InvoiceLine,
    Location,
    Meter,
    MeterReading,
    Order,
    Supplier,
    Tag,
)
from fortycrm.models.customers import CustomerKind, customer_display_name
from fortycrm.selectors import account_manager_candidates
from fortycrm.services import billing, contacts, locations, meters, statuses
from fortycrm.services import customers as customer_services
from fortycrm.services import tags as tag_services
from fortycrm.tagnames import TAG_NAME_MAX_LENGTH
from fortycrm.validators import MAX_ID, parse_whole_number

User = get_user_model()
STATUS_NAME_MAX_LENGTH = CustomerStatus._meta.get_field("name").max_length


def iso_datetime(value, tz=None) -> str:
    """Like DRF's DateTimeField output (current time zone, ISO 8601, "Z" for UTC), but cheap."""
    text = value.astimezone(tz or timezone.get_current_timezone()).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def id_field(**kwargs) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=1, max_value=MAX_ID, **kwargs)


@extend_schema_field({"oneOf": [{"type": "integer", "minimum": 1, "maximum": MAX_ID}, {"type": "string", "minLength": 1, "maxLength": STATUS_NAME_MAX_LENGTH}]})
class StatusRefField(serializers.Field):
    """A status by id (``2``) or by name (``"Kunde"``, any case); answers always carry the id."""

    default_error_messages = {"invalid": _("Give the status as its id or its name.")}

    def to_internal_value(self, data: Any) -> int | str:
        if isinstance(data, bool) or not isinstance(data, int | str):
            self.fail("invalid")
        text = str(data).strip()
        number = parse_whole_number(text, maximum=10**30)
        if number is not None:
            return id_field().run_validation(number)
        if not text or len(text) > STATUS_NAME_MAX_LENGTH:
            self.fail("invalid")
        return text  # resolved by the service; an unknown name gets a 400 listing the statuses

    def to_representation(self, value: int) -> int:
        return value


# --- customers ---------------------------------------------------------------------------

#: The customer's fields in the API, in answer order: the one list for the serializer (detail,
#: create, update, OpenAPI schema) and the list's fast ``.values()`` path.
CUSTOMER_FIELDS = (
    "id", "kind", "number", "name", "short_name", "salutation", "title", "first_name", "last_name", "display_name",
    "status", "status_name", "tags", "street", "postcode", "city", "country", "email", "phone", "mobile", "website",
    "vat_id", "leitweg_id", "notes", "start_date", "end_date", "account_manager", "combine_invoices", "logo", "custom_fields", "created_at", "updated_at",
    "settings", "settings_overrides",
) + ("web_form", "consent_text", "consent_version", "consent_at", "consent_page_url", "confirmed_at")  # website form evidence (read only)
CUSTOMER_NOTES_MAX_LENGTH = 10000
DISPLAY_NAME_PARTS = ("kind", "name", "short_name", "title", "first_name", "last_name")


def display_name(row: dict[str, Any]) -> str:
    return customer_display_name(**{name: row[name] for name in DISPLAY_NAME_PARTS})


class CustomerSerializer(serializers.ModelSerializer):
    """A customer (Kunde): company or private. Numbering, status and tag rules of the desk apply.

    Types, lengths, formats and choices come from the model. List and detail answers have
    the same fields, built from one field list.
    """

    display_name = serializers.CharField(read_only=True)
    status = StatusRefField(required=False, help_text=_("Status id or name; empty → the default status for new customers."))
    status_name = serializers.CharField(source="status.name", read_only=True)
    tags = serializers.ListField(child=serializers.CharField(max_length=TAG_NAME_MAX_LENGTH), required=False, max_length=100)
    account_manager = id_field(required=False, allow_null=True, help_text=_("User id of the account manager (a user in a group)."))
    logo = serializers.URLField(read_only=True, allow_null=True, help_text=_("URL of the logo or picture, or null."))
    # evidence of a website form submission (DSGVO Art. 7); null when the customer did not come in through one
    web_form = serializers.CharField(source="web_submission.form_name", read_only=True, allow_null=True, help_text=_("Website form the prospect came in through, or null."))
    consent_text = serializers.CharField(source="web_submission.consent_text", read_only=True, allow_null=True)
    consent_version = serializers.CharField(source="web_submission.consent_version", read_only=True, allow_null=True)
    consent_at = serializers.DateTimeField(source="web_submission.consented_at", read_only=True, allow_null=True)
    consent_page_url = serializers.CharField(source="web_submission.page_url", read_only=True, allow_null=True)
    confirmed_at = serializers.DateTimeField(source="web_submission.confirmed_at", read_only=True, allow_null=True, help_text=_("Double opt-in: when the link was clicked."))
    custom_fields = CustomFieldsField("customer")
    settings = CustomerSettingsSerializer(
        required=False, help_text=_("Effective customer settings; writing a value overrides the default, null returns to it.")
    )
    settings_overrides = serializers.ListField(child=serializers.CharField(), read_only=True, help_text=_("Settings the customer sets itself."))

    class Meta:
        model = Customer
        fields = CUSTOMER_FIELDS
        extra_kwargs = {
            "kind": {"help_text": _("company or private")},
            # the service checks that a number is free (409 naming the holder), not a UniqueValidator
            "number": {
                "min_value": 1, "max_value": MAX_ID, "validators": [],
                "help_text": _("Only for statuses with customer number; empty → the next free number."),
            },
            "notes": {"max_length": CUSTOMER_NOTES_MAX_LENGTH},
        }

    def get_validators(self) -> list:
        return []  # rules spanning fields live in the customer services

    def validate_account_manager(self, value: int | None) -> int | None:
        if value is not None and not account_manager_candidates().filter(pk=value).exists():
            raise serializers.ValidationError(
                _("There is no active user with id %(id)s who can be account manager (users in at least one group).") % {"id": value}
            )
        return value

    def to_representation(self, instance: Customer) -> dict[str, Any]:
        plan = customer_answer_plan()
        row = {source: _instance_value(instance, source) for source in plan.values_fields}
        names = sorted((t.name for t in instance.tags.all()), key=str.casefold)
        from fortycrm.selectors import customer_effective_settings

        return customer_json(row, names, _logo_url_for(self.context.get("request")), effective=customer_effective_settings(instance))

    def _actor(self):
        request = self.context.get("request")
        return request.user if request is not None else None

    def create(self, validated_data: dict[str, Any]) -> Customer:
        kwargs = dict(validated_data)  # account_manager as id: the service sets account_manager_id
        kwargs.setdefault("kind", CustomerKind.COMPANY)
        settings = kwargs.pop("settings", None)
        with transaction.atomic(), custom_field_errors():
            customer = customer_services.customer_create(actor=self._actor(), **kwargs)
            customer_settings_write(customer, settings)
        return customer

    def update(self, instance: Customer, validated_data: dict[str, Any]) -> Customer:
        data = dict(validated_data)
        settings = data.pop("settings", None)
        if "custom_field_data" in data:
            data["custom_field_data"] = merged(instance, data["custom_field_data"])
        with transaction.atomic(), custom_field_errors():
            customer = customer_services.customer_update(customer=instance, actor=self._actor(), **data)
            customer_settings_write(customer, settings)
        return customer


@dataclass(frozen=True)
class CustomerAnswerPlan:
    """How each answer field is read from a ``.values()`` row; derived from ``CustomerSerializer``."""

    values_fields: tuple[str, ...]  # what the list selects
    getters: tuple[tuple[str, str, str], ...]  # (answer field, kind of value, row key)

    @cached_property
    def template(self) -> dict[str, Any]:
        """Every answer field in order (None): copied per answer, then filled."""
        return dict.fromkeys(name for name, _kind, _key in self.getters)

    @cached_property
    def plain(self) -> tuple[tuple[str, ...], Callable[[dict], tuple]]:
        """The answer fields that are the row's values as they are, and one getter for all of them."""
        pairs = [(name, key) for name, kind, key in self.getters if kind == "plain"]
        keys = [key for _name, key in pairs]
        pick = itemgetter(*keys) if len(keys) > 1 else (lambda row: (row[keys[0]],) if keys else ())
        return tuple(name for name, _key in pairs), pick

    @cached_property
    def special(self) -> tuple[tuple[str, str, str], ...]:
        return tuple(getter for getter in self.getters if getter[1] != "plain")


def _instance_value(instance: Customer, source: str) -> Any:
    if source == "logo":
        return instance.logo.name or ""
    obj = instance
    for part in source.split("__"):
        try:
            obj = getattr(obj, part)
        except ObjectDoesNotExist:  # no website form submission
            return None
    return obj


@cache
def customer_answer_plan() -> CustomerAnswerPlan:
    """Map every field of ``CUSTOMER_FIELDS`` to its ``.values()`` source and conversion.

    Foreign keys are read as their id column, dotted sources (``status.name``) as lookups,
    dates and times converted as DRF's fields would; ``display_name``, ``tags`` and ``logo``
    are computed. A field added to the serializer is thus in the list and the detail at once.
    """
    fields = CustomerSerializer().fields
    values: list[str] = []
    getters: list[tuple[str, str, str]] = []

    def select(source: str) -> str:
        if source not in values:
            values.append(source)
        return source

    for name in CUSTOMER_FIELDS:
        field = fields[name]
        if name == "display_name":
            for part in DISPLAY_NAME_PARTS:
                select(part)
            getters.append((name, "display_name", ""))
        elif name in ("tags", "settings", "settings_overrides"):
            getters.append((name, name, ""))
        elif name == "logo":
            getters.append((name, "logo", select("logo")))
        else:
            source = field.source.replace(".", "__")
            try:
                model_field = Customer._meta.get_field(source)
            except FieldDoesNotExist:
                model_field = None
            if model_field is not None and model_field.is_relation:
                source = model_field.attname
            kind = "datetime" if isinstance(field, serializers.DateTimeField) else "date" if isinstance(field, serializers.DateField) else "plain"
            getters.append((name, kind, select(source)))
    return CustomerAnswerPlan(values_fields=tuple(values), getters=tuple(getters))


def customer_json(row: dict[str, Any], tags: list[str], logo_url, tz=None, effective=None, times: dict | None = None) -> dict[str, Any]:
    """The customer's JSON from a ``.values(*customer_answer_plan().values_fields)`` row or an instance's values.

    ``times``: a dict that remembers the text of each date-time across calls (the import's
    customers of one batch share one creation time)."""
    tz = tz or timezone.get_current_timezone()
    plan = customer_answer_plan()
    answer = plan.template.copy()
    names, pick = plan.plain
    answer.update(zip(names, pick(row)))
    for name, kind, key in plan.special:
        if kind == "datetime":
            value = row[key]
            if value is None:
                answer[name] = None
            elif times is None:
                answer[name] = iso_datetime(value, tz)
            else:
                text = times.get(value)
                if text is None:
                    text = times[value] = iso_datetime(value, tz)
                answer[name] = text
        elif kind == "date":
            answer[name] = row[key].isoformat() if row[key] is not None else None
        elif kind == "display_name":
            answer[name] = display_name(row)
        elif kind == "tags":
            answer[name] = tags
        elif kind in ("settings", "settings_overrides"):  # R-PAY-2, from payer_selectors.EffectiveSettings
            answer[name] = settings_json(effective)[name] if effective is not None else None
        else:  # logo
            answer[name] = logo_url(row[key]) if row[key] else None
    return answer


def _logo_url_for(request):
    storage = Customer._meta.get_field("logo").storage

    def logo_url(name: str) -> str:
        url = storage.url(name)
        return request.build_absolute_uri(url) if request is not None else url

    return logo_url


def _tag_pairs(ids: list[int]) -> list[tuple[int, int]]:
    """(customer id, tag id) for the given customers; plain SQL, it runs for every list page."""
    through = Customer.tags.through._meta
    quote = connection.ops.quote_name
    sql = (
        f"SELECT {quote('customer_id')}, {quote('tag_id')} FROM {quote(through.db_table)} "
        f"WHERE {quote('customer_id')} IN ({', '.join(['%s'] * len(ids))})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, ids)
        return list(cursor.fetchall())


def customer_rows(
    rows: list[dict[str, Any]], request=None, tag_names: dict[int, str] | None = None, effective: dict[int, Any] | None = None
) -> list[dict[str, Any]]:
    """JSON for a page of ``.values(*customer_answer_plan().values_fields)`` rows: one more query for all their tags.

    ``tag_names`` (tag id → name, e.g. memoised per data generation) saves the join to tags.
    """
    ids = [row["id"] for row in rows]
    tags: dict[int, list[str]] = {pk: [] for pk in ids}
    if ids:
        through = Customer.tags.through.objects.filter(customer_id__in=ids)
        if tag_names is not None:
            pairs = _tag_pairs(ids)
            missing = {tag_id for _customer_id, tag_id in pairs if tag_id not in tag_names}
            if missing:  # a tag newer than the memo (committed a moment ago)
                tag_names = {**tag_names, **dict(Tag.objects.filter(pk__in=missing).values_list("pk", "name"))}
            for customer_id, tag_id in pairs:
                tags[customer_id].append(tag_names.get(tag_id, ""))
        else:
            for customer_id, name in through.values_list("customer_id", "tag__name"):
                tags[customer_id].append(name)
        for names in tags.values():
            names.sort(key=str.casefold)
    tz = timezone.get_current_timezone()
    logo_url = _logo_url_for(request)
    effective = effective or {}
    return [customer_json(row, tags[row["id"]], logo_url, tz, effective.get(row["id"])) for row in rows]


# --- everything else: ModelSerializers whose create/update call the service -------------


class ServiceModelSerializer(serializers.ModelSerializer):
    # ``save_with(instance)`` is the service that checks the rules and saves. (A comment, not a
    # docstring: the OpenAPI schema would show it as the description of every subclass.)

    def save_with(self, instance):  # pragma: no cover - overridden
        raise NotImplementedError

    @transaction.atomic
    def create(self, validated_data: dict[str, Any]):
        instance = self.Meta.model(**validated_data)
        with custom_field_errors():
            return self.save_with(instance)

    @transaction.atomic
    def update(self, instance, validated_data: dict[str, Any]):
        if "custom_field_data" in validated_data:  # a PATCH changes only the custom fields it names
            validated_data["custom_field_data"] = merged(instance, validated_data["custom_field_data"])
        for name, value in validated_data.items():
            setattr(instance, name, value)
        with custom_field_errors():
            return self.save_with(instance)


class StatusSerializer(ServiceModelSerializer):
    class Meta:
        model = CustomerStatus
        fields = ["id", "name", "color", "position", "with_number", "is_default", "is_conversion_target"]

    def save_with(self, instance):
        return statuses.status_save(status=instance)


class TagSerializer(ServiceModelSerializer):
    class Meta:
        model = Tag
        fields = ["id", "name", "color"]

    def save_with(self, instance):
        return tag_services.tag_save(tag=instance)


class ContactSerializer(ServiceModelSerializer):
    custom_fields = CustomFieldsField("contact")

    class Meta:
        model = Contact
        fields = [
            "id", "customer", "location", "salutation", "title", "first_name", "last_name", "role", "phone", "mobile",
            "email", "notes", "priority", "birthday", "custom_fields", "created_at", "updated_at",
        ]
        extra_kwargs = {"priority": {"max_value": 32767}}

    def save_with(self, instance):
        return contacts.contact_save(contact=instance)


class LocationSerializer(ServiceModelSerializer):
    custom_fields = CustomFieldsField("location")

    class Meta:
        model = Location
        fields = [
            "id", "customer", "name", "street", "postcode", "city", "country", "access_notes", "site_notes",
            "bill_separately", "billing_name", "billing_street", "billing_postcode", "billing_city", "custom_fields", "created_at", "updated_at",
        ]

    def save_with(self, instance):
        return locations.location_save(location=instance)


class SupplierSerializer(ServiceModelSerializer):
    class Meta:
        model = Supplier
        fields = ["id", "name", "trade", "phone", "emergency_phone", "email", "street", "postcode", "city", "notes", "created_at", "updated_at"]

    def save_with(self, instance):
        return locations.supplier_save(supplier=instance)


class MeterSerializer(ServiceModelSerializer):
    class Meta:
        model = Meter
        fields = ["id", "location", "kind", "number", "unit", "comment", "installed_on", "removed_on", "created_at", "updated_at"]

    def save_with(self, instance):
        return meters.meter_save(meter=instance)


class ReadingSerializer(ServiceModelSerializer):
    class Meta:
        model = MeterReading
        fields = ["id", "meter", "read_at", "value", "comment", "photo", "is_exchange", "recorded_by", "created_at", "updated_at"]
        read_only_fields = ["photo", "recorded_by"]

    def save_with(self, instance):
        request = self.context.get("request")
        user = request.user if request is not None and request.user.is_authenticated else None
        return meters.reading_record(reading=instance, user=user)


class OrderSerializer(ServiceModelSerializer):
    class Meta:
        model = Order
        fields = [
            "id", "customer", "location", "title", "recurrence", "price", "service_kind", "hours", "vat_rate", "vat_exemption",
            "start", "end", "created_at", "updated_at",
        ]

    def save_with(self, instance):
        if instance.pk:
            return billing.order_update(order=instance)
        return billing.order_create(order=instance)


class InvoiceLineSerializer(serializers.ModelSerializer):
    amount = serializers.DecimalField(max_digits=22, decimal_places=4, read_only=True)

    class Meta:
        model = InvoiceLine
        fields = [
            "id", "order", "description", "quantity", "unit_price", "vat_rate", "vat_exemption", "period_start", "period_end", "amount",
            "charged_to",
        ]
        read_only_fields = ["charged_to"]


class InvoiceSerializer(ServiceModelSerializer):
    lines = InvoiceLineSerializer(
        many=True, required=False, max_length=billing.MAX_INVOICE_LINES,
        error_messages={"max_length": _("An invoice can have at most {max_length} lines. Split it into several invoices.")},
        help_text=_("Invoice lines; only when creating the invoice."),
    )

    class Meta:
        model = Invoice
        fields = [
            "id", "number", "customer", "location", "date", "is_draft", "issued_at", "due_date", "period_start", "period_end",
            "total", "vat_total", "gross_total", "cancels", "cost_bearer", "insurance_number", "lines", "created_at", "updated_at",
        ]
        read_only_fields = ["number", "total", "vat_total", "gross_total", "issued_at", "due_date", "cancels", "cost_bearer", "insurance_number"]

    @transaction.atomic
    def create(self, validated_data: dict[str, Any]) -> Invoice:
        lines = validated_data.pop("lines", [])
        return billing.invoice_create(invoice=Invoice(**validated_data), lines=lines)

    @transaction.atomic
    def update(self, instance: Invoice, validated_data: dict[str, Any]) -> Invoice:
        if "lines" in validated_data:
            raise serializers.ValidationError({"lines": [_("Invoice lines can only be sent when the invoice is created.")]})
        for name, value in validated_data.items():
            setattr(instance, name, value)
        return billing.invoice_update(invoice=instance)

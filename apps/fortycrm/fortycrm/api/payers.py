"""API of R-PAY: cost bearers, their assignments (with the budget) and customer settings.

- ``/api/v1/cost-bearers/``: id, name, kind, ik, street, postcode, city, country, email,
  phone, notes (plus contact).
- ``/api/v1/customer-cost-bearers/?customer=``: id, customer, cost_bearer, insurance_number,
  share_percent, monthly_budget, valid_from, valid_until, priority, notes (plus carry_over);
  ``GET …/<id>/budget/?on=YYYY-MM-DD`` → accrued, used, remaining, expiring.
- ``/api/v1/service-prices/?customer=``: the price list (id, customer – null for the
  defaults –, service_kind, unit ``hour``|``flat``, price).
- customers carry ``settings`` (the effective values) and ``settings_overrides`` (the names
  the customer sets itself); writing a value in ``settings`` overrides it, ``null`` returns
  to the default.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from fortycrm.models import CostBearer, CustomerCostBearer, Letterhead, ServicePrice
from fortycrm.models.payers import Delivery
from fortycrm.payer_selectors import cost_bearer_budget
from fortycrm.ranges import SMALL_MAX
from fortycrm.services import payers
from fortycrm.validators import color_validator

COST_BEARER_FIELDS = ["id", "name", "kind", "ik", "street", "postcode", "city", "country", "contact", "email", "phone", "notes"]
ASSIGNMENT_FIELDS = [
    "id", "customer", "cost_bearer", "insurance_number", "share_percent", "monthly_budget", "carry_over",
    "valid_from", "valid_until", "priority", "notes",
]


class _ServiceSerializer(serializers.ModelSerializer):
    def save_with(self, instance):  # pragma: no cover - overridden
        raise NotImplementedError

    def get_validators(self) -> list:
        return []  # rules spanning rows live in the services

    def create(self, validated_data: dict[str, Any]):
        return self.save_with(self.Meta.model(**validated_data))

    def update(self, instance, validated_data: dict[str, Any]):
        for name, value in validated_data.items():
            setattr(instance, name, value)
        return self.save_with(instance)


class CostBearerSerializer(_ServiceSerializer):
    class Meta:
        model = CostBearer
        fields = COST_BEARER_FIELDS

    def save_with(self, instance):
        return payers.cost_bearer_save(cost_bearer=instance)


class CustomerCostBearerSerializer(_ServiceSerializer):
    class Meta:
        model = CustomerCostBearer
        fields = ASSIGNMENT_FIELDS
        extra_kwargs = {
            "share_percent": {"min_value": None, "max_value": None, "validators": []},  # the model's clean() names the rule
            "monthly_budget": {"min_value": None},
        }

    def save_with(self, instance):
        return payers.assignment_save(link=instance)


class ServicePriceSerializer(_ServiceSerializer):
    """A price list entry: ``customer`` null is the default for all customers."""

    class Meta:
        model = ServicePrice
        fields = ["id", "customer", "service_kind", "unit", "price"]
        extra_kwargs = {"price": {"min_value": None}}  # the model names the rule

    def save_with(self, instance):
        return payers.service_price_save(price=instance)


class ServicePriceFilter(django_filters.FilterSet):
    default = django_filters.BooleanFilter(field_name="customer", lookup_expr="isnull", label="Only the defaults (true) or only customers' own prices (false).")

    class Meta:
        model = ServicePrice
        fields = ["customer", "service_kind", "default"]


class CostBearerFilter(django_filters.FilterSet):
    name = django_filters.CharFilter(lookup_expr="icontains")

    class Meta:
        model = CostBearer
        fields = ["name", "kind", "ik"]


class CustomerCostBearerFilter(django_filters.FilterSet):
    class Meta:
        model = CustomerCostBearer
        fields = ["customer", "cost_bearer"]


BUDGET_ANSWER = inline_serializer(
    "CostBearerBudget",
    {
        "accrued": serializers.DecimalField(max_digits=12, decimal_places=2),
        "used": serializers.DecimalField(max_digits=12, decimal_places=2),
        "remaining": serializers.DecimalField(max_digits=12, decimal_places=2),
        "expiring": inline_serializer(
            "CostBearerBudgetExpiring", {"amount": serializers.DecimalField(max_digits=12, decimal_places=2), "on": serializers.DateField()}, many=True
        ),
    },
)


def parse_on(value: str | None) -> dt.date:
    if not value:
        return timezone.localdate()
    try:
        day = parse_date(value.strip())
    except ValueError:
        day = None
    if day is None:
        raise serializers.ValidationError({"on": [_("“%(value)s” is not a date; send it as YYYY-MM-DD, e.g. 2025-06-30.") % {"value": value}]})
    return day


class BudgetMixin:
    @extend_schema(
        parameters=[OpenApiParameter("on", OpenApiTypes.DATE, description="Day of the figures (default: today).")],
        responses={200: BUDGET_ANSWER},
    )
    @action(detail=True, methods=["get"])
    def budget(self, request, pk=None):
        """Accrued, used and remaining budget of the assignment on ``on``, and what expires when."""
        link = self.get_object()
        return Response(cost_bearer_budget(link, on=parse_on(request.query_params.get("on"))).as_api())


# --- customer settings in the customer's JSON ----------------------------------------------
class CustomerSettingsSerializer(serializers.Serializer):
    """Writing: the settings to override (a value) or to return to the default (null)."""

    payment_days = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=SMALL_MAX)
    discount_percent = serializers.DecimalField(required=False, allow_null=True, max_digits=5, decimal_places=2, min_value=0, max_value=100)
    discount_days = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=SMALL_MAX)
    letterhead = serializers.PrimaryKeyRelatedField(required=False, allow_null=True, queryset=Letterhead.objects.all())
    delivery = serializers.ChoiceField(required=False, allow_null=True, choices=Delivery.choices)
    invoice_email = serializers.EmailField(required=False, allow_null=True, allow_blank=True)
    calendar_color = serializers.CharField(required=False, allow_null=True, allow_blank=True, max_length=7, validators=[color_validator])
    hourly_rate = serializers.DecimalField(required=False, allow_null=True, max_digits=10, decimal_places=2, min_value=0)

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError(
                    {unknown[0]: [_("“%(name)s” is no customer setting; known are: %(names)s.") % {"name": unknown[0], "names": ", ".join(self.fields)}]}
                )
        return super().to_internal_value(data)


def customer_settings_write(customer, values: dict[str, Any] | None) -> None:
    """Apply a ``settings`` object of a customer write (inside its transaction)."""
    if not values:
        return
    try:
        payers.customer_settings_save(customer=customer, values=values)
    except DjangoValidationError as exc:
        raise serializers.ValidationError({"settings": exc.message_dict if hasattr(exc, "error_dict") else exc.messages})


def settings_json(effective) -> dict[str, Any]:
    return {"settings": effective.as_api(), "settings_overrides": effective.overrides}

"""API of webhooks (``/api/v1/webhooks/``, write-scope keys) and the change feed (``/api/v1/events/``)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from fortycrm import events, webhooks
from fortycrm.api.permissions import ScopeOrModelPermission
from fortycrm.models import ApiKey, Event, WebhookSubscription
from fortycrm.validators import MAX_ID, parse_whole_number

FEED_PAGE = 100
FEED_MAX_PAGE = 1000


class WriteScopeOrModelPermission(ScopeOrModelPermission):
    """Webhooks: only API keys with scope "write" (reading too: the list shows target URLs)."""

    def scope_allows(self, api_key: ApiKey, request, view) -> bool:
        if api_key.scope == ApiKey.Scope.WRITE:
            return True
        self.message = _("Webhooks can only be managed with an API key with scope “write”.")
        return False


class WebhookSerializer(serializers.ModelSerializer):
    events = serializers.ListField(
        child=serializers.CharField(max_length=50), allow_empty=True, max_length=100,
        help_text=_("Event names, e.g. customer.created, customer.updated."),
    )
    url = serializers.CharField(max_length=webhooks.MAX_URL_LENGTH, help_text=_("https URL that receives the events."))

    class Meta:
        model = WebhookSubscription
        fields = ["id", "url", "events", "is_active", "description", "batch_size"]
        extra_kwargs = {"batch_size": {"required": False, "help_text": _("Events per call (1-500). Above 1 the events come in messages of type “batch”; shown only when above 1.")}}

    def validate_url(self, value: str) -> str:
        problem = webhooks.url_problem(value.strip())
        if problem:
            raise serializers.ValidationError(problem)
        return value.strip()

    def validate_events(self, value: list[str]) -> list[str]:
        problem = webhooks.events_problem(value)
        if problem:
            raise serializers.ValidationError(problem)
        return value

    def _save(self, instance: WebhookSubscription, validated_data: dict[str, Any]) -> WebhookSubscription:
        for name, value in validated_data.items():
            setattr(instance, name, value)
        try:
            secret = webhooks.subscription_save(subscription=instance)
        except DjangoValidationError as exc:
            raise ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages) from None
        instance._new_secret = secret
        return instance

    def create(self, validated_data: dict[str, Any]) -> WebhookSubscription:
        return self._save(WebhookSubscription(), validated_data)

    def update(self, instance: WebhookSubscription, validated_data: dict[str, Any]) -> WebhookSubscription:
        return self._save(instance, validated_data)

    def to_representation(self, instance: WebhookSubscription) -> dict[str, Any]:
        data = super().to_representation(instance)
        if data.get("batch_size") == 1:  # the contract's fields only, unless the receiver opted in to batches
            data.pop("batch_size")
        secret = getattr(instance, "_new_secret", None)
        if secret:  # the create answer alone carries the secret
            data["secret"] = secret
        return data


@extend_schema(description="Webhook subscriptions. The create answer alone carries `secret` (whsec_…); store it, it is not shown again.")
class WebhookViewSet(viewsets.ModelViewSet):
    serializer_class = WebhookSerializer
    queryset = WebhookSubscription.objects.all().order_by("pk")
    permission_classes = [WriteScopeOrModelPermission]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def perform_destroy(self, instance) -> None:
        with transaction.atomic():
            instance.delete()


class EventSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    type = serializers.CharField()
    timestamp = serializers.DateTimeField(source="created_at")
    data = serializers.JSONField()


class EventPageSerializer(serializers.Serializer):
    results = EventSerializer(many=True)
    after = serializers.IntegerField(help_text=_("Cursor: pass it as ?after= to read on."))
    has_more = serializers.BooleanField()
    next = serializers.URLField()


def feed_delay() -> float:
    """Seconds an event must be old to show in the feed (setting ``FORTYCRM_EVENT_FEED_DELAY``,
    default 2): most transactions that took a lower event id commit within it."""
    return float(getattr(settings, "FORTYCRM_EVENT_FEED_DELAY", 2))


def feed_gap_wait() -> float:
    """Seconds the feed waits at a gap in the event ids (setting ``FORTYCRM_EVENT_GAP_WAIT``,
    default 300). A gap is an event of a transaction still open (it will appear) or rolled
    back (it never will); the feed stops before it until the next event is that old, so a
    reader's cursor never passes an event that is still to come."""
    return float(getattr(settings, "FORTYCRM_EVENT_GAP_WAIT", 300))


def feed_horizon(after: int, now) -> int | None:
    """The highest event id a reader may see after ``after``: below the first gap in the ids
    that is younger than ``feed_gap_wait`` (or the last id checked); None: no limit."""
    newest_allowed = now - timedelta(seconds=feed_gap_wait())
    expected = after + 1 if after else None  # a reader starting from 0 begins at the first event kept
    scanned = 0
    for pk, created_at in Event.objects.filter(pk__gt=after).order_by("pk").values_list("pk", "created_at")[:FEED_SCAN]:
        if expected is not None and pk != expected and created_at > newest_allowed:
            return expected - 1
        expected, scanned = pk + 1, scanned + 1
    return expected - 1 if scanned == FEED_SCAN else None


FEED_SCAN = 5000
"""Event ids checked for gaps per feed page."""


class EventFeedView(APIView):
    """The change feed: events in order after the cursor ``after`` (an event id), kept for 30 days."""

    permission_classes = [ScopeOrModelPermission]
    queryset = Event.objects.all()

    @extend_schema(
        parameters=[
            OpenApiParameter("after", OpenApiTypes.INT, description="Event id of the last event already read (0 or absent: from the start)."),
            OpenApiParameter("limit", OpenApiTypes.INT, description=f"Events per page, at most {FEED_MAX_PAGE} (default {FEED_PAGE})."),
            OpenApiParameter("type", OpenApiTypes.STR, description="Only events of these types (comma separated)."),
        ],
        responses={200: EventPageSerializer},
    )
    def get(self, request):
        after = self._number(request, "after", 0, MAX_ID)
        limit = self._number(request, "limit", FEED_PAGE, FEED_MAX_PAGE, minimum=1)
        now = timezone.now()
        qs = Event.objects.filter(pk__gt=after).exclude(type=events.TEST_EVENT).order_by("pk")
        delay = feed_delay()
        if delay:
            qs = qs.filter(created_at__lte=now - timedelta(seconds=delay))
        horizon = feed_horizon(after, now)
        if horizon is not None:
            qs = qs.filter(pk__lte=horizon)
        types = [t.strip() for t in request.query_params.get("type", "").split(",") if t.strip()]
        if types:
            unknown = [t for t in types if t not in events.EVENT_TYPES]
            if unknown:
                raise ValidationError({"type": [_("Unknown event “%(name)s”. Known events: %(names)s.") % {"name": unknown[0], "names": ", ".join(events.EVENT_TYPES)}]})
            qs = qs.filter(type__in=types)
        rows = list(qs.values("id", "type", "created_at", "data")[: limit + 1])
        has_more = len(rows) > limit
        rows = rows[:limit]
        cursor = rows[-1]["id"] if rows else after
        results = [EventSerializer(row).data for row in rows]
        query = request.query_params.copy()
        query["after"] = str(cursor)
        return Response(
            {"results": results, "after": cursor, "has_more": has_more, "next": request.build_absolute_uri(f"{request.path}?{query.urlencode()}")}
        )

    @staticmethod
    def _number(request, name: str, default: int, maximum: int, minimum: int = 0) -> int:
        raw = request.query_params.get(name)
        if raw in (None, ""):
            return default
        value = parse_whole_number(raw)
        if value is None or not minimum <= value <= maximum:
            raise ValidationError({name: [_("Give a whole number from %(min)d to %(max)d.") % {"min": minimum, "max": maximum}]})
        return value

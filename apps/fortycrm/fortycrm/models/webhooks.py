"""The event outbox and webhook subscriptions (issue 14).

``Event`` rows are written by ``fortycrm.events.event_record`` inside the transaction of the
change they describe; ``WebhookDelivery`` rows (one per event and matching subscription) are
written in the same transaction, so a rolled-back change sends nothing and a committed one is
never lost. Delivery runs later (RQ job or ``manage.py fortycrm_deliver_webhooks``).
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from fortycrm.ranges import big_integer, positive_integer, positive_small


class Event(models.Model):
    """One change of one record (or one finished import), as the change feed and webhooks show it."""

    id = models.BigAutoField(primary_key=True)
    type = models.CharField(_("event"), max_length=50, db_index=True)
    object_id = models.BigIntegerField(_("record id"), null=True, blank=True, validators=big_integer())
    data = models.JSONField(_("data"), default=dict)
    created_at = models.DateTimeField(_("created at"), db_index=True)

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.type} #{self.pk}"


MAX_BATCH = 500
"""Most events in one batched call."""


class WebhookSubscription(models.Model):
    url = models.URLField(_("target URL"), max_length=500)
    events = models.JSONField(_("events"), default=list)
    is_active = models.BooleanField(_("active"), default=True)
    description = models.CharField(_("description"), max_length=200, blank=True)
    filter_status = models.ForeignKey(
        "fortycrm.CustomerStatus", verbose_name=_("only customers with status"), on_delete=models.SET_NULL,
        null=True, blank=True, related_name="+",
    )
    filter_tag = models.ForeignKey(
        "fortycrm.Tag", verbose_name=_("only customers with tag"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    batch_size = models.PositiveSmallIntegerField(
        _("events per call"), default=1, validators=[MinValueValidator(1), MaxValueValidator(MAX_BATCH)],
        help_text=_("1: one call per event. More: up to this many events in one call (type “batch”), e.g. for imports."),
    )
    secret = models.CharField(_("secret"), max_length=200, editable=False)
    previous_secret = models.CharField(max_length=200, blank=True, editable=False)
    previous_secret_until = models.DateTimeField(null=True, blank=True, editable=False)
    consecutive_failures = models.PositiveIntegerField(_("failures in a row"), default=0, editable=False, validators=positive_integer())
    paused_at = models.DateTimeField(_("paused at"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("webhook")
        verbose_name_plural = _("webhooks")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.description or self.url


class DeliveryState(models.TextChoices):
    PENDING = "pending", _("pending")
    SUCCEEDED = "succeeded", _("delivered")
    FAILED = "failed", _("failed")


class WebhookDelivery(models.Model):
    """One event to one subscription; retried with backoff until delivered or given up."""

    State = DeliveryState

    id = models.BigAutoField(primary_key=True)
    subscription = models.ForeignKey(WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("webhook"))
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("event"))
    record = models.CharField(_("record"), max_length=60, blank=True)  # "customer:12": order is kept per record
    state = models.CharField(_("state"), max_length=10, choices=DeliveryState.choices, default=DeliveryState.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0, validators=positive_small())
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    response_code = models.PositiveSmallIntegerField(_("answer code"), null=True, blank=True, validators=positive_small())
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), null=True, blank=True, validators=positive_integer())
    error = models.CharField(_("error"), max_length=300, blank=True)
    is_test = models.BooleanField(_("test"), default=False)
    batch = models.CharField(_("batch"), max_length=40, blank=True)  # message id of the batched call it travels in

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="hook_delivery_due"),
            models.Index(fields=["subscription", "record", "state"], name="hook_delivery_record"),
        ]

    def __str__(self) -> str:
        return f"{self.event_id} → {self.subscription_id}"

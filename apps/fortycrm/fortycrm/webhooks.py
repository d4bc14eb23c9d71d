"""Webhook subscriptions and their delivery, signed as Standard Webhooks 1.0 specifies.

- Secrets are ``whsec_<base64 of 32 random bytes>``; the HMAC-SHA256 key is the decoded part.
  A rotation keeps the old secret for a day and signs with both (space-separated).
- ``deliver_due`` sends what is due, oldest first, one record's events in order (a later
  event of a record waits while an earlier one is still pending), with retries on network
  errors and non-2xx answers after ``RETRY_DELAYS`` (over 27 hours); then the delivery is
  failed, and ``PAUSE_AFTER`` failed deliveries in a row pause the subscription.
- Targets must not resolve to private, loopback or link-local addresses unless the setting
  ``WEBHOOK_ALLOW_PRIVATE_TARGETS`` (environment variable of the same name) is on; the
  connection goes to the address that was checked; redirects are not followed.
- A subscription with ``batch_size`` > 1 gets up to that many events per call, as one
  message of type ``batch`` (``data.events``: the single messages, in order); a failed batch is
  retried unchanged under the same message id. Imports then cost a few calls, not one per row.
- Secrets are never logged.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import ipaddress
import json
import logging
import secrets
import socket
import ssl
import time
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from fortycrm import events
from fortycrm.models import Event, WebhookDelivery, WebhookSubscription

logger = logging.getLogger(__name__)

TIMEOUT = 10
RETRY_DELAYS = [30, 120, 600, 1800, 3600, 7200, 14400, 28800, 43200]  # seconds; 27.7 h in all
"""Wait before attempt 2, 3, …; after the last the delivery is failed."""
PAUSE_AFTER = 5
"""Failed deliveries in a row after which a subscription is paused (setting ``FORTYCRM_WEBHOOK_PAUSE_AFTER``)."""
LEASE = 60
"""Seconds a worker holds a delivery it is sending (several workers never send one twice at once)."""
ROTATION_OVERLAP = timedelta(hours=24)
MAX_URL_LENGTH = 500


class UnsafeTarget(Exception):
    pass


def private_targets_allowed() -> bool:
    return bool(getattr(settings, "WEBHOOK_ALLOW_PRIVATE_TARGETS", False))


def pause_after() -> int:
    return int(getattr(settings, "FORTYCRM_WEBHOOK_PAUSE_AFTER", PAUSE_AFTER))


# --- secrets and signatures -------------------------------------------------------------


def secret_new() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def signature(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{msg_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def signatures(subscription: WebhookSubscription, msg_id: str, timestamp: int, body: bytes, now=None) -> str:
    now = now or timezone.now()
    values = [signature(subscription.secret, msg_id, timestamp, body)]
    if subscription.previous_secret and subscription.previous_secret_until and subscription.previous_secret_until > now:
        values.append(signature(subscription.previous_secret, msg_id, timestamp, body))
    return " ".join(values)


# --- target checks (SSRF) ---------------------------------------------------------------


def _unsafe(ip: str) -> bool:
    addr = ipaddress.ip_address(ip.split("%", 1)[0])
    if addr.version == 6 and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped
    return not addr.is_global or addr.is_multicast


def resolve_target(host: str, port: int) -> str:
    """The address to connect to; UnsafeTarget when the host is private and that is not allowed."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnsafeTarget(_("The host name “%(host)s” cannot be resolved.") % {"host": host}) from exc
    addresses = [info[4][0] for info in infos]
    if not private_targets_allowed():
        bad = [a for a in addresses if _unsafe(a)]
        if bad:
            raise UnsafeTarget(
                _("The address %(address)s of “%(host)s” is private, loopback or link-local; webhooks may not reach it.")
                % {"address": bad[0], "host": host}
            )
    return addresses[0]


def url_problem(url: str, *, resolve: bool = True) -> str | None:
    """Why ``url`` cannot be a webhook target, or None."""
    if len(url) > MAX_URL_LENGTH:
        return _("The URL is longer than %(max)d characters.") % {"max": MAX_URL_LENGTH}
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return _("“%(url)s” is not a valid URL.") % {"url": url}
    allowed = {"https", "http"} if private_targets_allowed() else {"https"}
    if parts.scheme not in allowed:
        if parts.scheme == "http":
            return _("The target URL must use https.")
        return _("The target URL must start with https:// (it is “%(url)s”).") % {"url": url}
    if not parts.hostname:
        return _("“%(url)s” has no host name.") % {"url": url}
    if parts.username or parts.password:
        return _("The target URL must not contain a user name or password.")
    if resolve:
        try:
            resolve_target(parts.hostname, port or (443 if parts.scheme == "https" else 80))
        except UnsafeTarget as exc:
            return str(exc)
    return None


def events_problem(names: Any) -> str | None:
    if not isinstance(names, list | tuple) or not names:
        return _("Choose at least one event.")
    unknown = [str(n) for n in names if n not in events.EVENT_TYPES]
    if unknown:
        return _("Unknown event “%(name)s”. Known events: %(names)s.") % {"name": unknown[0], "names": ", ".join(events.EVENT_TYPES)}
    return None


# --- subscriptions ----------------------------------------------------------------------


def subscription_check(subscription: WebhookSubscription) -> None:
    errors = {}
    problem = url_problem(subscription.url or "")
    if problem:
        errors["url"] = problem
    problem = events_problem(subscription.events)
    if problem:
        errors["events"] = problem
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def subscription_save(*, subscription: WebhookSubscription) -> str | None:
    """Create or change a subscription; returns the new secret on creation (shown once)."""
    if subscription.events:
        subscription.events = list(dict.fromkeys(subscription.events))
    subscription_check(subscription)
    secret = None
    if subscription.pk is None:
        secret = subscription.secret = secret_new()
    elif subscription.is_active and subscription.paused_at:  # switched on again → resume
        subscription.paused_at = None
        subscription.consecutive_failures = 0
    subscription.full_clean()
    subscription.save()
    return secret


@transaction.atomic
def subscription_rotate_secret(*, subscription: WebhookSubscription) -> str:
    """A new secret; the old one keeps signing for 24 hours beside it."""
    subscription.previous_secret = subscription.secret
    subscription.previous_secret_until = timezone.now() + ROTATION_OVERLAP
    subscription.secret = secret_new()
    subscription.save(update_fields=["secret", "previous_secret", "previous_secret_until"])
    return subscription.secret


@transaction.atomic
def subscription_resume(*, subscription: WebhookSubscription) -> None:
    subscription.paused_at = None
    subscription.consecutive_failures = 0
    subscription.is_active = True
    subscription.save(update_fields=["paused_at", "consecutive_failures", "is_active"])
    events.deliver_after_commit()


@transaction.atomic
def delivery_send_again(*, delivery: WebhookDelivery) -> None:
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        state=WebhookDelivery.State.PENDING, next_attempt_at=timezone.now(), attempts=0, batch=""
    )
    events.deliver_after_commit()


@transaction.atomic
def send_test_event(*, subscription: WebhookSubscription) -> WebhookDelivery:
    """A ``webhook.test`` event to this subscription only (not in the change feed)."""
    event = events.events_record_many(events.TEST_EVENT, [(None, {"message": "fortycrm test event", "webhook": subscription.pk})])[0]
    delivery = WebhookDelivery.objects.create(subscription=subscription, event=event, is_test=True, next_attempt_at=timezone.now())
    events.deliver_after_commit()
    return delivery


# --- delivery ---------------------------------------------------------------------------


def event_body(event: Event) -> bytes:
    payload = {"id": f"evt_{event.pk}", "type": event.type, "timestamp": event.created_at.isoformat().replace("+00:00", "Z"), "data": event.data}
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def post(url: str, body: bytes, headers: dict[str, str]) -> int:
    """POST to a checked address; the answer code (redirects are answers, not followed)."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    if parts.scheme not in ("https", "http") or (parts.scheme == "http" and not private_targets_allowed()):
        raise UnsafeTarget(_("The target URL must use https."))
    address = resolve_target(parts.hostname or "", port)
    cls = _PinnedHTTPS if parts.scheme == "https" else _PinnedHTTP
    connection = cls(parts.hostname, port, address, TIMEOUT)
    try:
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        response.read(65536)
        return response.status
    finally:
        connection.close()


def batch_body(msg_id: str, deliveries: list[WebhookDelivery]) -> bytes:
    """One call carrying several events (subscriptions with ``batch_size`` > 1), in order;
    the same body on every retry."""
    first = deliveries[0].event
    payload = {
        "id": msg_id, "type": "batch", "timestamp": first.created_at.isoformat().replace("+00:00", "Z"),
        "data": {"events": [json.loads(event_body(d.event)) for d in deliveries]},
    }
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


def _post_signed(subscription: WebhookSubscription, msg_id: str, body: bytes, now) -> tuple[int | None, str, int]:
    """POST one signed message; (answer code, error text or "", duration in ms)."""
    timestamp = int(now.timestamp())
    headers = {
        "content-type": "application/json",
        "user-agent": "fortycrm-webhooks/1",
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signatures(subscription, msg_id, timestamp, body, now),
    }
    started = time.monotonic()
    code, error = None, ""
    try:
        code = post(subscription.url, body, headers)
        if not 200 <= code < 300:
            error = _("The receiver answered %(code)s.") % {"code": code}
    except UnsafeTarget as exc:
        error = str(exc)
    except (OSError, http.client.HTTPException) as exc:
        error = (_("Network error: %(error)s") % {"error": f"{type(exc).__name__}: {exc}"})[:300]
    return code, error, int((time.monotonic() - started) * 1000)


def _attempt(deliveries: list[WebhookDelivery], now, *, msg_id: str | None = None) -> None:
    """Send one delivery (or one batch of deliveries of the same subscription) and record the outcome."""
    first = deliveries[0]
    subscription = first.subscription
    if msg_id is None:
        msg_id, body = f"evt_{first.event_id}", event_body(first.event)
    else:
        body = batch_body(msg_id, deliveries)
    code, error, duration = _post_signed(subscription, msg_id, body, now)
    attempts = max(d.attempts for d in deliveries) + 1
    update: dict[str, Any] = {"attempts": attempts, "last_attempt_at": now, "response_code": code, "duration_ms": duration, "error": error}
    if not error:
        update.update(state=WebhookDelivery.State.SUCCEEDED, next_attempt_at=None)
    elif attempts > len(RETRY_DELAYS) or first.is_test:
        update.update(state=WebhookDelivery.State.FAILED, next_attempt_at=None)
    else:
        update.update(next_attempt_at=now + timedelta(seconds=RETRY_DELAYS[attempts - 1]))
    with transaction.atomic():
        WebhookDelivery.objects.filter(pk__in=[d.pk for d in deliveries]).update(**update)
        if first.is_test:
            return
        subs = WebhookSubscription.objects.filter(pk=subscription.pk)
        if not error:
            subs.filter(consecutive_failures__gt=0).update(consecutive_failures=0)
        elif update.get("state") == WebhookDelivery.State.FAILED:
            subs.update(consecutive_failures=F("consecutive_failures") + 1)
            subs.filter(consecutive_failures__gte=pause_after(), paused_at__isnull=True).update(paused_at=now)
    if error:
        logger.info("webhook message %s to subscription %s: %s", msg_id, subscription.pk, error)


def _claim(delivery: WebhookDelivery, now) -> bool:
    """Take the delivery for LEASE seconds unless another worker took it meanwhile."""
    return bool(
        WebhookDelivery.objects.filter(pk=delivery.pk, state=WebhookDelivery.State.PENDING, next_attempt_at=delivery.next_attempt_at).update(
            next_attempt_at=now + timedelta(seconds=LEASE)
        )
    )


def _waits_for_earlier(delivery: WebhookDelivery) -> bool:
    if not delivery.record:
        return False
    return WebhookDelivery.objects.filter(
        subscription_id=delivery.subscription_id, record=delivery.record, state=WebhookDelivery.State.PENDING, pk__lt=delivery.pk
    ).exists()


def deliver_due(*, now=None, limit: int = 1000) -> dict[str, int]:
    """Send every due delivery once (oldest first); returns counts by outcome (deliveries)."""
    counts = {"sent": 0, "failed": 0, "waiting": 0}
    now = now or timezone.now()
    due = (
        WebhookDelivery.objects.select_related("subscription", "event")
        .filter(state=WebhookDelivery.State.PENDING, next_attempt_at__lte=now, subscription__paused_at__isnull=True)
        .filter(subscription__is_active=True)
        .order_by("id")[:limit]
    )
    batched: dict[int, list[WebhookDelivery]] = {}
    for delivery in list(due):
        if delivery.subscription.batch_size > 1 and not delivery.is_test:
            batched.setdefault(delivery.subscription_id, []).append(delivery)
            continue
        if _waits_for_earlier(delivery):
            counts["waiting"] += 1
            continue
        if not _claim(delivery, now):
            continue
        _attempt([delivery], now)
        _count([delivery.pk], counts)
    for items in batched.values():
        _deliver_batches(items, now, counts)
    return counts


def _count(ids: list[int], counts: dict[str, int]) -> None:
    states = WebhookDelivery.objects.filter(pk__in=ids).values_list("state", flat=True)
    for state in states:
        counts["sent" if state == WebhookDelivery.State.SUCCEEDED else "failed"] += 1


def _deliver_batches(items: list[WebhookDelivery], now, counts: dict[str, int]) -> None:
    """The due deliveries of one subscription with ``batch_size`` > 1: a batch that failed
    before goes again as it was (same message id); the others go in new batches, in order,
    except records with an earlier delivery still waiting elsewhere."""
    subscription = items[0].subscription
    pending = WebhookDelivery.objects.select_related("subscription", "event").filter(state=WebhookDelivery.State.PENDING)
    for key in dict.fromkeys(d.batch for d in items if d.batch):
        claimed = pending.filter(batch=key, next_attempt_at__lte=now).update(next_attempt_at=now + timedelta(seconds=LEASE))
        if claimed:
            deliveries = list(pending.filter(batch=key).order_by("id"))
            _attempt(deliveries, now, msg_id=key)
            _count([d.pk for d in deliveries], counts)
    fresh = [d for d in items if not d.batch]
    if not fresh:
        return
    ids = [d.pk for d in fresh]
    earliest: dict[str, int] = {}
    for record, pk in (
        WebhookDelivery.objects.filter(subscription_id=subscription.pk, state=WebhookDelivery.State.PENDING, pk__lt=max(ids))
        .exclude(record="").exclude(pk__in=ids).filter(record__in={d.record for d in fresh if d.record})
        .values_list("record", "pk")
    ):
        earliest[record] = min(pk, earliest.get(record, pk))
    ready = [d for d in fresh if not (d.record and earliest.get(d.record, d.pk) < d.pk)]
    counts["waiting"] += len(fresh) - len(ready)
    size = subscription.batch_size
    for start in range(0, len(ready), size):
        chunk = ready[start : start + size]
        key = f"batch_{chunk[0].pk}_{int(now.timestamp())}"  # unique, also when sent again later
        pending.filter(pk__in=[d.pk for d in chunk], batch="", next_attempt_at__lte=now).update(
            batch=key, next_attempt_at=now + timedelta(seconds=LEASE)
        )
        deliveries = list(pending.filter(batch=key).order_by("id"))  # another worker may have taken some
        if deliveries:
            _attempt(deliveries, now, msg_id=key)
            _count([d.pk for d in deliveries], counts)


def deliver_all(*, now=None, rounds: int = 100) -> dict[str, int]:
    """``deliver_due`` until nothing due is left that can go now (the command and the RQ job)."""
    total = {"sent": 0, "failed": 0, "waiting": 0}
    for _round in range(rounds):
        counts = deliver_due(now=now)
        for key, value in counts.items():
            total[key] += value
        if counts["sent"] + counts["failed"] == 0 or sum(counts.values()) < 1000:
            break
    return total


def deliver_job() -> None:
    """The RQ job queued after a commit that wrote deliveries."""
    deliver_all()


def events_purge(*, now=None) -> int:
    """Delete events older than the retention (setting ``FORTYCRM_EVENT_RETENTION_DAYS``, 30) with no pending delivery."""
    now = now or timezone.now()
    days = int(getattr(settings, "FORTYCRM_EVENT_RETENTION_DAYS", 30))
    old = Event.objects.filter(created_at__lt=now - timedelta(days=days)).exclude(deliveries__state=WebhookDelivery.State.PENDING)
    ids = list(old.values_list("pk", flat=True)[:10000])
    deleted, _rows = Event.objects.filter(pk__in=ids).delete()
    return deleted

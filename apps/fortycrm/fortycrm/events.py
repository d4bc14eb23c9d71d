"""The event outbox: one call records what changed, inside the caller's transaction.

``event_record("customer.created", customer)`` writes an ``Event`` row with the record as the
API shows it and, for every active webhook subscription that wants the event, a
``WebhookDelivery`` row, in the same transaction as the change: a rollback drops both, a
commit can never lose them. After the commit an RQ job delivers them when Redis is
configured; ``manage.py fortycrm_deliver_webhooks`` does it otherwise (and sweeps up
anything missed, e.g. while Redis was down).

Other features add their own events with ``event_type_register("invoice.issued")`` and one
``event_record(...)`` call in their service.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from functools import partial
from typing import Any

import orjson
from django.db import connections, router, transaction
from django.db.backends.base.operations import BaseDatabaseOperations
from django.utils import timezone

from fortycrm.models import Event, WebhookDelivery, WebhookSubscription

logger = logging.getLogger(__name__)

EVENT_TYPES: list[str] = [
    "customer.created",
    "customer.updated",
    "customer.deleted",
    "customer.status_changed",
    "contact.created",
    "contact.updated",
    "contact.deleted",
    "location.created",
    "location.updated",
    "location.deleted",
    "meter_reading.created",
    "import.finished",
    "invoice.issued",  # services.billing.invoice_issue
    "intake.received",  # services.webforms.webform_submit (a website form landed as a prospect)
]
TEST_EVENT = "webhook.test"
IGNORED_FIELDS = {"created_at", "updated_at", "display_name", "status_name"}


def event_type_register(name: str) -> None:
    """Make an event name known (subscribable, valid in the API); for features added later."""
    if name not in EVENT_TYPES:
        EVENT_TYPES.append(name)


# --- the record as the API shows it ---------------------------------------------------


def resource_data(obj: Any) -> dict[str, Any]:
    """The JSON of ``obj`` as the API returns it (customers, contacts, locations, readings)."""
    from fortycrm.api import serializers
    from fortycrm.models import Contact, Customer, Invoice, Location, MeterReading

    if isinstance(obj, Invoice):
        return dict(serializers.InvoiceSerializer(obj).data)
    if isinstance(obj, Customer):
        return serializers.CustomerSerializer(obj).data
    for model, serializer in (
        (Contact, serializers.ContactSerializer),
        (Location, serializers.LocationSerializer),
        (MeterReading, serializers.ReadingSerializer),
    ):
        if isinstance(obj, model):
            return dict(serializer(obj).data)
    return {"id": getattr(obj, "pk", None)}


def snapshot(obj: Any) -> dict[str, Any] | None:
    """The record's stored state before a change (None for a new record): compare with ``event_saved``."""
    if obj.pk is None or obj._state.adding:
        return None
    stored = type(obj)._default_manager.filter(pk=obj.pk).first()
    return dict(resource_data(stored)) if stored is not None else None


def changed_fields(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    return sorted(k for k in after if k not in IGNORED_FIELDS and before.get(k) != after.get(k))


def event_saved(kind: str, obj: Any, before: dict[str, Any] | None) -> Event | None:
    """``<kind>.created`` for a new record, ``<kind>.updated`` with the changed field names
    (nothing when nothing changed); for customers also ``customer.status_changed``."""
    after = dict(resource_data(obj))
    if before is None:
        return event_record(f"{kind}.created", obj, data=after)
    changes = changed_fields(before, after)
    if not changes:
        return None
    event = event_record(f"{kind}.updated", obj, changes=changes, data=after)
    if kind == "customer" and before.get("status") != after.get("status"):
        event_status_changed(obj, old_status=before.get("status"), data=after)
    return event


def event_status_changed(customer: Any, *, old_status: int | None, data: dict[str, Any] | None = None) -> Event:
    from fortycrm.models import CustomerStatus

    data = dict(data or resource_data(customer))
    names = dict(CustomerStatus.objects.filter(pk__in=[old_status, data.get("status")]).values_list("pk", "name"))
    data["old_status"] = {"id": old_status, "name": names.get(old_status)} if old_status else None
    data["new_status"] = {"id": data.get("status"), "name": names.get(data.get("status"))}
    return event_record("customer.status_changed", customer, data=data)


# --- writing events and deliveries ------------------------------------------------------


def _wanted_by(subscriptions: list[dict], event_type: str, data: dict[str, Any]) -> list[int]:
    ids = []
    for sub in subscriptions:
        if event_type not in (sub["events"] or []):
            continue
        if event_type.startswith("customer."):
            if sub["filter_status_id"] and data.get("status") != sub["filter_status_id"]:
                continue
            if sub["filter_tag__name"] and sub["filter_tag__name"] not in (data.get("tags") or []):
                continue
        ids.append(sub["id"])
    return ids


def active_subscriptions() -> list[dict]:
    """The active webhook subscriptions, as ``events_record_many`` matches events against them."""
    return list(WebhookSubscription.objects.filter(is_active=True).values("id", "events", "filter_status_id", "filter_tag__name"))


def event_record(type: str, obj: Any = None, *, changes: Iterable[str] | None = None, data: dict[str, Any] | None = None) -> Event:
    """Record one event of ``obj`` in the current transaction (see the module text).

    ``data`` defaults to the record as the API shows it; ``changes`` (field names) is added
    as ``changed_fields``. Call it after the change is saved (deletes: before).
    """
    data = dict(data) if data is not None else dict(resource_data(obj)) if obj is not None else {}
    if changes is not None:
        data["changed_fields"] = list(changes)
    return events_record_many(type, [(obj, data)])[0]


def events_record_many(type: str, items: list[tuple[Any, dict[str, Any]]], *, instances: bool = True, subscriptions: list[dict] | None = None) -> list[Event]:
    """Record one event per (record, data) pair with bulk inserts (the import's path).

    ``instances=False`` (the import): the rows are written straight from the pairs, without an
    ``Event`` object per row, and nothing is returned. ``subscriptions``: the active webhook
    subscriptions (``active_subscriptions()``) when the caller has read them in this transaction.
    """
    if type not in EVENT_TYPES and type != TEST_EVENT:
        raise ValueError(f"unknown event type {type!r}; register it with event_type_register")
    now = timezone.now()
    connection = connections[router.db_for_write(Event)]
    # instances=False (the import): no savepoint of its own inside the import's transaction (a
    # savepoint waits for the import's write pipe); an error rolls the whole import back anyway
    with transaction.atomic(using=connection.alias, savepoint=instances):
        rows = _event_rows(type, items, now, connection)
        if subscriptions is None:
            subscriptions = active_subscriptions() if type != TEST_EVENT else []
        wanted = [_wanted_by(subscriptions, type, data) for _obj, data in items] if subscriptions else []
        ids = None
        if rows is not None and connection.features.can_return_rows_from_bulk_insert:
            from fortycrm.bulk_sql import insert_columns, insert_rows

            # the ids only for Event objects or deliveries (else the statements need not be waited for)
            ids = insert_rows(Event, insert_columns(Event), rows, returning=instances or any(wanted))
        events: list[Event] = []
        if ids is None or instances:
            events = [Event(type=type, object_id=getattr(obj, "pk", None), data=data, created_at=now) for obj, data in items]
            if ids is None:  # the new ids are needed for the deliveries
                for event in events:
                    event.save(force_insert=True)
                ids = [event.pk for event in events]
            else:
                for event, pk in zip(events, ids, strict=True):
                    event.pk = pk
                    event._state.adding = False
                    event._state.db = connection.alias
        if any(wanted):
            record_key = _record_key(type)
            deliveries = [
                WebhookDelivery(subscription_id=sub_id, event_id=pk, record=f"{record_key}:{getattr(obj, 'pk', None)}", next_attempt_at=now)
                for pk, (obj, _data), sub_ids in zip(ids, items, wanted, strict=True)
                for sub_id in sub_ids
            ]
            WebhookDelivery.objects.bulk_create(deliveries, batch_size=1000)
            deliver_after_commit()
    return events


_EVENT_COLUMNS = ["type", "object_id", "data", "created_at"]


def _event_rows(type: str, items: list[tuple[Any, dict[str, Any]]], now, connection) -> list[list[Any]] | None:
    """The events' rows for a multi-row INSERT (``bulk_sql``), the values prepared as
    ``Event``'s fields prepare them. None: the model has other columns than this knows, let the
    caller save the model objects."""
    from fortycrm.bulk_sql import insert_columns

    if [c.attname for c in insert_columns(Event)] != _EVENT_COLUMNS:
        return None
    data_field = Event._meta.get_field("data")
    created_at = Event._meta.get_field("created_at").get_db_prep_save(now, connection)
    if connection.ops.__class__.adapt_json_value is not BaseDatabaseOperations.adapt_json_value:  # ("type" is the event type here)
        dumps = partial(connection.ops.adapt_json_value, encoder=data_field.encoder)
    elif data_field.encoder is None:
        dumps = _json_text
    else:
        dumps = data_field.encoder().encode  # json.dumps(value, cls=encoder), the encoder built once
    return [
        [type, getattr(obj, "pk", None), data_field.get_db_prep_save(data, connection) if data is None else dumps(data), created_at]
        for obj, data in items
    ]


def _json_text(data: Any) -> str:
    """The JSON text of an event's data for the import's bulk INSERT, by orjson (a tenth of
    ``json.dumps``' time for a customer): the same document ``json.dumps`` gives, written
    without spaces after separators and with letters such as "ü" as they are instead of
    ``\\u`` escapes. A value orjson refuses goes through ``json.dumps`` (and its error)."""
    try:
        return orjson.dumps(data).decode()
    except orjson.JSONEncodeError:  # also a key that is not a text (json.dumps writes it as one)
        return json.dumps(data)


def _record_key(type: str) -> str:
    kind = type.split(".", 1)[0]
    return "customer" if kind == "customer" else kind


# --- after the commit -------------------------------------------------------------------


def _kick() -> None:
    from fortycrm import jobs

    if not jobs.jobs_async():
        return  # no Redis: the management command (cron) delivers
    try:
        import django_rq

        from fortycrm.webhooks import deliver_job

        django_rq.get_queue("default").enqueue(deliver_job, job_timeout=3600)
    except Exception as exc:  # Redis down: nothing is lost, the command or the next job delivers
        logger.warning("webhook delivery not queued (%s); run manage.py fortycrm_deliver_webhooks", type(exc).__name__)


def deliver_after_commit() -> None:
    """Queue one delivery job when the current transaction commits (once per transaction)."""
    connection = connections[router.db_for_write(Event)]
    if connection.in_atomic_block and any(func is _kick for _sids, func, _robust in connection.run_on_commit):
        return
    transaction.on_commit(_kick)


# --- the import -------------------------------------------------------------------------


def _settings_answers(customers: list[Any], own_settings: list[int], defaults: Any = None):
    """Per customer the API's ``settings`` and ``settings_overrides`` (R-PAY-2): the defaults
    (with the customer's e-mail as invoice e-mail), built once, for customers without own
    settings; ``customer_effective_settings_many`` for ``own_settings`` (ids). ``defaults``:
    the site's ``CustomerDefaults`` when the caller has read them."""
    from fortycrm.api.payers import settings_json
    from fortycrm.models import Customer
    from fortycrm.payer_selectors import customer_defaults, customer_effective_settings, customer_effective_settings_many

    defaults = defaults or customer_defaults()
    own_ids = set(own_settings)
    own = customer_effective_settings_many([(c.pk, c.email) for c in customers if c.pk in own_ids], defaults=defaults) if own_ids else {}
    shared = settings_json(customer_effective_settings(Customer(), defaults=defaults))["settings"]  # the same for all but the invoice e-mail
    for customer in customers:
        mine = own.get(customer.pk)
        if mine is None:
            yield {**shared, "invoice_email": customer.email or ""}, []
        else:
            answer = settings_json(mine)
            yield answer["settings"], answer["settings_overrides"]


def events_for_customers(
    customers: list[Any], tags_per_customer: list[list[Any]], *, own_settings: list[int] = (), defaults: Any = None, subscriptions: list[dict] | None = None
) -> None:
    """``customer.created`` for customers the import inserted in bulk: one event per record,
    built from the objects in memory (no query per row, none at all for customers without own
    settings when ``defaults``, the site's ``CustomerDefaults``, are given), written with bulk inserts.

    ``own_settings``: the ids of the customers with own settings (saved before this call);
    ``subscriptions``: ``active_subscriptions()``, read earlier in the transaction."""
    from fortycrm.api.serializers import _instance_value, _logo_url_for, customer_answer_plan, customer_json

    plan = customer_answer_plan()
    with_settings = any(kind == "settings" for _name, kind, _key in plan.getters)
    logo_url = _logo_url_for(None)
    tz = timezone.get_current_timezone()  # once: reading it per row costs more than the row's JSON
    items = []
    if not customers:
        return
    # just inserted: nothing points at them yet (no website submission…), so a value read
    # through a reverse one-to-one relation is None without asking the database per row
    reverse = {rel.get_accessor_name() for rel in customers[0]._meta.related_objects if rel.one_to_one}
    direct = [s for s in plan.values_fields if s != "logo" and "__" not in s]
    empty = [s for s in plan.values_fields if s not in direct and s.split("__", 1)[0] in reverse]
    others = [s for s in plan.values_fields if s not in direct and s not in empty]  # status__name, logo
    # a value of a related record (status__name): from the record the import set (the instance's
    # cache); the rest (logo, longer paths) through the model
    related = [(source, *source.split("__")) for source in others if source.count("__") == 1]
    read = [source for source in others if source.count("__") != 1]
    casefold = str.casefold
    times: dict = {}
    settings = _settings_answers(customers, list(own_settings), defaults) if with_settings else None
    for customer, tags in zip(customers, tags_per_customer, strict=True):
        values = customer.__dict__
        row = values.copy()  # the direct values are the instance's own (one copy in C instead of a pick per field)
        cached = customer._state.fields_cache
        for source, relation, name in related:
            obj = cached.get(relation)
            row[source] = getattr(obj, name) if obj is not None else _instance_value(customer, source)
        for source in read:
            row[source] = None if source == "logo" and not values.get("logo") else _instance_value(customer, source)
        for source in empty:
            row[source] = None
        names = sorted([t.name for t in tags], key=casefold)
        try:
            data = customer_json(row, names, logo_url, tz, times=times)
        except KeyError:  # a value not loaded: read through the model
            row.update({source: getattr(customer, source) for source in direct if source not in values})
            data = customer_json(row, names, logo_url, tz, times=times)
        if settings is not None:
            data["settings"], data["settings_overrides"] = next(settings)
        items.append((customer, data))
    events_record_many("customer.created", items, instances=False, subscriptions=subscriptions)


def event_import_finished(log: Any) -> Event:
    """``import.finished`` for a committed import (previews and failed imports send nothing)."""
    data = {
        "id": log.pk, "template": log.template, "mode": log.mode, "file_name": log.file_name,
        "created": log.created_count, "updated": log.updated_count, "rows": log.processed_rows,
    }
    return event_record("import.finished", log, data=data)

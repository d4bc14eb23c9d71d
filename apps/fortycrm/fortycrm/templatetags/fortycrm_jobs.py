"""Template filters for django-rq's job dashboard in the desk's language (issue 12, item 1).

The library's pages (overridden in ``templates/django_rq/``) show RQ's own values: job and
worker states ("queued", "busy"), result types ("SUCCESSFUL"), the action a confirmation
page asks for ("delete") and times in a fixed ``Y-m-d H:i:s``. These filters turn them into
the desk's language and its date format; anything unknown is shown as it is.
"""

from __future__ import annotations

import datetime
import re

from django import template
from django.utils import formats, timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import pgettext, pgettext_lazy

register = template.Library()

JOB_STATES = {
    "created": pgettext_lazy("job state", "created"),
    "queued": pgettext_lazy("job state", "queued"),
    "finished": pgettext_lazy("job state", "finished"),
    "failed": pgettext_lazy("job state", "failed"),
    "started": pgettext_lazy("job state", "started"),
    "deferred": pgettext_lazy("job state", "deferred"),
    "scheduled": pgettext_lazy("job state", "scheduled"),
    "stopped": pgettext_lazy("job state", "stopped"),
    "canceled": pgettext_lazy("job state", "canceled"),
    "rate_limited": pgettext_lazy("job state", "rate limited"),
    "ready_to_enqueue": pgettext_lazy("job state", "ready to enqueue"),
    "unknown": pgettext_lazy("job state", "unknown"),
}
WORKER_STATES = {
    "started": pgettext_lazy("worker state", "started"),
    "suspended": pgettext_lazy("worker state", "suspended"),
    "busy": pgettext_lazy("worker state", "busy"),
    "idle": pgettext_lazy("worker state", "idle"),
}
RESULT_TYPES = {
    "SUCCESSFUL": pgettext_lazy("job result", "successful"),
    "FAILED": pgettext_lazy("job result", "failed"),
    "STOPPED": pgettext_lazy("job result", "stopped"),
    "RETRIED": pgettext_lazy("job result", "retried"),
    "MAX_RETRIES_EXCEEDED": pgettext_lazy("job result", "retries used up"),
}
# the actions of the job lists (the value of the form's "action")
ACTIONS = {
    "delete": pgettext_lazy("job action", "Delete"),
    "requeue": pgettext_lazy("job action", "Requeue"),
    "stop": pgettext_lazy("job action", "Stop"),
}

# the title of a job list, by the ``job_status`` the library's view passes
LIST_TITLES = {
    "Queued": pgettext_lazy("jobs", "Queued jobs in %(queue)s"),
    "Started": pgettext_lazy("jobs", "Running jobs in %(queue)s"),
    "Deferred": pgettext_lazy("jobs", "Deferred jobs in %(queue)s"),
    "Finished": pgettext_lazy("jobs", "Finished jobs in %(queue)s"),
    "Failed": pgettext_lazy("jobs", "Failed jobs in %(queue)s"),
    "Scheduled": pgettext_lazy("jobs", "Scheduled jobs in %(queue)s"),
}


def _value(value) -> str:
    return str(getattr(value, "value", value) if value is not None else "")


@register.filter
def job_state_label(status) -> str:
    """A job's state ("queued", a ``JobStatus`` or "unknown") in the desk's language."""
    return str(JOB_STATES.get(_value(status), _value(status)))


@register.filter
def worker_state_label(state) -> str:
    """A worker's state ("busy", "idle", …) in the desk's language."""
    return str(WORKER_STATES.get(_value(state), _value(state)))


@register.filter
def result_type_label(name) -> str:
    """The type of a job's result ("SUCCESSFUL", …) in the desk's language."""
    return str(RESULT_TYPES.get(_value(name), _value(name)))


@register.filter
def job_action_label(action) -> str:
    """The name of a list action ("delete", "requeue", "stop") in the desk's language."""
    return str(ACTIONS.get(_value(action), _value(action)))


@register.filter
def job_list_title(job_status, queue_name) -> str:
    """"Queued jobs in default" for the library's ``job_status`` "Queued" and the queue's name."""
    title = LIST_TITLES.get(_value(job_status))
    if title is None:
        return pgettext("jobs", "Jobs in %(queue)s") % {"queue": queue_name}
    return str(title) % {"queue": queue_name}


@register.filter
def job_schedule_label(schedule) -> str:
    """A schedule as django-rq writes it: "Every 60 seconds" and "Cron: …" (cron jobs),
    "interval: 60 repeat: 3", "cron: '…'" and "unknown" (rq-scheduler)."""
    text = _value(schedule)
    if text == "unknown":
        return pgettext("job state", "unknown")
    if match := re.fullmatch(r"Every (\d+) seconds", text):
        return pgettext("job schedule", "every %(seconds)s seconds") % {"seconds": match[1]}
    if text.startswith("interval: "):
        interval, _sep, repeat = text[len("interval: "):].partition(" repeat: ")
        label = pgettext("job schedule", "every %(seconds)s seconds") % {"seconds": interval}
        if repeat:
            label += ", " + pgettext("job schedule", "%(times)s repetitions") % {"times": repeat}
        return label
    if text.lower().startswith("cron: "):
        return pgettext("job schedule", "cron: %(expression)s") % {"expression": text[len("cron: "):]}
    return text


@register.filter
def job_time(timestamp) -> SafeString:
    """A time of RQ (naive means UTC) in the site's time zone and the desk's date format, with
    the exact UTC time (to the second) as tooltip. Empty: a dash. Replaces the library's
    ``timestamp_tooltip``, which always writes ``Y-m-d H:i:s``."""
    if not timestamp:
        return mark_safe("—")
    if isinstance(timestamp, (int, float)):
        timestamp = datetime.datetime.fromtimestamp(timestamp, tz=datetime.UTC)
    if timezone.is_naive(timestamp):
        utc = timestamp.replace(tzinfo=datetime.UTC)
    else:
        utc = timestamp.astimezone(datetime.UTC)
    local = timezone.localtime(utc)
    shown = formats.date_format(local, "SHORT_DATETIME_FORMAT")
    exact = f"{formats.date_format(utc, 'SHORT_DATE_FORMAT')} {utc:%H:%M:%S}"
    return mark_safe(
        f'<time datetime="{escape(utc.isoformat())}" title="UTC: {escape(exact)}">{escape(shown)}</time>'
    )

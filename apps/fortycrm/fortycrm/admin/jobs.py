"""django-rq's job dashboard in the desk: for Administration only (issue 12, item 4).

The library lets every desk user in (it only asks for the admin sign-in); here each of its
pages first checks ``all_applications_shown`` (superuser or Administration). Its pages are
in the desk's language (``templates/django_rq/``, issue 12 item 1), and so are the messages
its views leave after an action (``_translated_messages``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import wraps

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.urls import URLPattern
from django.utils.translation import npgettext, pgettext
from django_rq import admin as library_admin  # registers the library's dashboard now …
from django_rq.models import Dashboard

from fortycrm.desk_navigation import all_applications_shown

API_PAGES = {"django_rq_home_json", "django_rq_metrics"}


def _n(match: re.Match) -> dict[str, int]:
    return {"count": int(match[1])}


# The English messages of django-rq 4.2.0's views (views.py), most specific first.
LIBRARY_MESSAGES: list[tuple[re.Pattern, Callable[[re.Match], str]]] = [
    (re.compile(r"You have successfully deleted (\d+) jobs!"),
     lambda m: npgettext("jobs", "%(count)d job was deleted.", "%(count)d jobs were deleted.", int(m[1])) % _n(m)),
    (re.compile(r"You have successfully requeued (\d+) jobs?!"),
     lambda m: npgettext("jobs", "%(count)d job was requeued.", "%(count)d jobs were requeued.", int(m[1])) % _n(m)),
    (re.compile(r"You have successfully stopped (\d+) jobs!"),
     lambda m: npgettext("jobs", "%(count)d job was stopped.", "%(count)d jobs were stopped.", int(m[1])) % _n(m)),
    (re.compile(r"(\d+) jobs failed to stop!"),
     lambda m: npgettext("jobs", "%(count)d job could not be stopped.", "%(count)d jobs could not be stopped.", int(m[1])) % _n(m)),
    (re.compile(r"You have successfully cleared the queue (.+)"),
     lambda m: pgettext("jobs", "The queue %(queue)s was emptied.") % {"queue": m[1]}),
    (re.compile(r"You have successfully deleted (.+)"),
     lambda m: pgettext("jobs", "The job %(job)s was deleted.") % {"job": m[1]}),
    (re.compile(r"You have successfully requeued (.+)"),
     lambda m: pgettext("jobs", "The job %(job)s was requeued.") % {"job": m[1]}),
    (re.compile(r"You have successfully enqueued (.+)"),
     lambda m: pgettext("jobs", "The job %(job)s was enqueued.") % {"job": m[1]}),
    (re.compile(r"You have successfully stopped (.+)"),
     lambda m: pgettext("jobs", "The job %(job)s was stopped.") % {"job": m[1]}),
    (re.compile(r"Failed to stop (.+)"),
     lambda m: pgettext("jobs", "The job %(job)s could not be stopped.") % {"job": m[1]}),
]


def _translated_messages(request) -> None:
    """The messages the library's view just added, in the desk's language (unknown ones stay)."""
    storage = getattr(request, "_messages", None)
    for message in getattr(storage, "_queued_messages", ()):
        text = str(message.message)
        for pattern, translated in LIBRARY_MESSAGES:
            if match := pattern.fullmatch(text):
                message.message = translated(match)
                break


def _administration_only(view):
    @wraps(view)
    def checked(request, *args, **kwargs):
        if not all_applications_shown(request):
            raise PermissionDenied
        response = view(request, *args, **kwargs)
        _translated_messages(request)
        return response

    return checked


class JobDashboardAdmin(library_admin.QueueAdmin):
    def has_module_permission(self, request):
        return all_applications_shown(request)

    def has_view_permission(self, request, obj=None):
        return all_applications_shown(request)

    def changelist_view(self, request, extra_context=None):
        if not all_applications_shown(request):
            raise PermissionDenied
        return super().changelist_view(request, extra_context)

    def get_urls(self):
        # the JSON statistics and Prometheus metrics keep the library's own check (API token or staff)
        return [
            URLPattern(p.pattern, _administration_only(p.callback), p.default_args, p.name)
            if isinstance(p, URLPattern) and p.name not in API_PAGES else p
            for p in super().get_urls()
        ]


# … so that it can be replaced here whatever the order of INSTALLED_APPS
if admin.site.is_registered(Dashboard):
    admin.site.unregister(Dashboard)
    admin.site.register(Dashboard, JobDashboardAdmin)

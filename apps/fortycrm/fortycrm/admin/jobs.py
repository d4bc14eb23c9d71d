"""django-rq's job dashboard in the desk: for Administration only (issue 12, item 4).

The library lets every desk user in (it only asks for the admin sign-in); here each of its
pages first checks ``all_applications_shown`` (superuser or Administration). Its start page
is German (``templates/django_rq/stats.html``).
"""

from __future__ import annotations

from functools import wraps

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.urls import URLPattern
from django_rq import admin as library_admin  # registers the library's dashboard now …
from django_rq.models import Dashboard

from fortycrm.desk_navigation import all_applications_shown

API_PAGES = {"django_rq_home_json", "django_rq_metrics"}


def _administration_only(view):
    @wraps(view)
    def checked(request, *args, **kwargs):
        if not all_applications_shown(request):
            raise PermissionDenied
        return view(request, *args, **kwargs)

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

"""Login lockout for the desk (django-axes; issue 8, item 5)."""

from __future__ import annotations

from axes.backends import AxesStandaloneBackend


class LockoutBackend(AxesStandaloneBackend):
    """django-axes' lockout check in front of Django's ModelBackend.

    Every login form of the site (the desk login, DRF's login view) passes the request and is
    checked. A call of ``authenticate()`` without a request (``Client.login()`` in tests, a
    shell) has no client to lock out and is left to the next backend instead of failing.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def lockout_response(request, original_response=None, credentials=None):
    """The desk's login page frame with the German (or English) lockout message, status 429."""
    from django.conf import settings
    from django.contrib import admin
    from django.shortcuts import render

    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    context = {**admin.site.each_context(request), "cooloff_minutes": minutes}
    response = render(request, "fortycrm/login_locked.html", context, status=429)
    response["Retry-After"] = str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    return response

"""Rate limit of the intake endpoint: per API key and minute (SiteSettings), in the Django cache.

The cache is Redis when ``REDIS_URL`` is set (shared by all workers) and local memory
otherwise (then the limit holds per process).
"""

from __future__ import annotations

import time

from django.core.cache import cache
from rest_framework.throttling import BaseThrottle

from fortycrm.models import ApiKey, SiteSettings

WINDOW_SECONDS = 60


class IntakeRateThrottle(BaseThrottle):
    """Fixed one-minute windows; ``SiteSettings.api_rate_limit_per_minute`` requests each (0 = no limit)."""

    def __init__(self):
        self._wait = 0.0

    @staticmethod
    def ident_for(request) -> str:
        if isinstance(request.auth, ApiKey):
            return f"key:{request.auth.pk}"
        if request.user and request.user.is_authenticated:
            return f"user:{request.user.pk}"
        return f"ip:{request.META.get('REMOTE_ADDR', '')}"

    def allow_request(self, request, view) -> bool:
        limit = SiteSettings.load().api_rate_limit_per_minute
        if not limit:
            return True
        now = time.time()
        window = int(now // WINDOW_SECONDS)
        key = f"fortycrm:api:intake-rate:{self.ident_for(request)}:{window}"
        cache.add(key, 0, WINDOW_SECONDS + 10)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, WINDOW_SECONDS + 10)
            count = 1
        self._wait = WINDOW_SECONDS - (now % WINDOW_SECONDS)
        return count <= limit

    def wait(self) -> float:
        return max(1.0, self._wait)

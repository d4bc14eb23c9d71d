"""Rate limits of API v1, counted by ``fortycrm.ratelimit`` (sliding window, shared by all workers).

* Intake: ``SiteSettings.api_rate_limit_per_minute`` requests per API key (or desk user or
  address) within any 60 seconds; 0 = no limit. Refused requests do not count.
* Failed API key authentication: ``FORTYCRM_API_KEY_FAILURES_PER_MINUTE`` (default 30)
  failures per client address within any 60 seconds; then every further failing attempt
  answers 429 with ``Retry-After`` instead of 401. Requests with a valid key never touch
  the counter (no extra query, no lockout of a website by a guesser behind the same proxy).
"""

from __future__ import annotations

from django.conf import settings
from rest_framework.throttling import BaseThrottle

from fortycrm import ratelimit
from fortycrm.models import ApiKey, SiteSettings

WINDOW_SECONDS = 60
API_KEY_FAILURES_PER_MINUTE = 30


def client_address(request) -> str:
    """The client's address; ``X-Forwarded-For`` only as far as ``NUM_PROXIES`` trusts it."""
    return BaseThrottle().get_ident(request) or ""


def api_key_failure_limit() -> int:
    return int(getattr(settings, "FORTYCRM_API_KEY_FAILURES_PER_MINUTE", API_KEY_FAILURES_PER_MINUTE))


def api_key_failure(request) -> ratelimit.Decision:
    """Count a failed API key authentication of this address."""
    return ratelimit.hit("api-key-failure", client_address(request), limit=api_key_failure_limit(), window=WINDOW_SECONDS)


class IntakeRateThrottle(BaseThrottle):
    """``SiteSettings.api_rate_limit_per_minute`` requests within any 60 seconds (0 = no limit)."""

    def __init__(self):
        self._wait = 0

    @staticmethod
    def ident_for(request) -> str:
        if isinstance(request.auth, ApiKey):
            return f"key:{request.auth.pk}"
        if request.user and request.user.is_authenticated:
            return f"user:{request.user.pk}"
        return f"ip:{client_address(request)}"

    def allow_request(self, request, view) -> bool:
        limit = SiteSettings.load().api_rate_limit_per_minute
        if not limit:
            return True
        decision = ratelimit.hit("intake", self.ident_for(request), limit=limit, window=WINDOW_SECONDS, count_refused=False)
        self._wait = decision.retry_after
        return decision.allowed

    def wait(self) -> float:
        return max(1, self._wait)

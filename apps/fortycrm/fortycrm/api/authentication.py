"""Authentication for API v1: ``Authorization: Api-Key <key>`` and the desk session."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.models import AnonymousUser
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from fortycrm.models import ApiKey

KEYWORD = "Api-Key"
LAST_USED_PRECISION = timedelta(minutes=1)


class ApiKeyActor(AnonymousUser):
    """``request.user`` for a program calling with an API key.

    It is not a desk user: it has no model permissions (the key's scope decides, see
    permissions.ScopeOrModelPermission) and history records stay without a user.
    """

    def __init__(self, api_key: ApiKey):
        super().__init__()
        self.api_key = api_key

    def __str__(self) -> str:
        return f"API key {self.api_key.name}"


def key_from_header(request) -> str | None:
    header = authentication.get_authorization_header(request)
    if not header:
        return None
    try:
        header = header.decode("latin-1")
    except UnicodeDecodeError:
        return None
    keyword, _sep, key = header.partition(" ")
    if keyword.lower() != KEYWORD.lower():
        return None
    return key.strip()


def touch_last_used(api_key: ApiKey) -> None:
    """Record when a key was used, at most once a minute per key (one cheap UPDATE)."""
    now = timezone.now()
    if api_key.last_used_at is None or now - api_key.last_used_at >= LAST_USED_PRECISION:
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        api_key.last_used_at = now


def refuse(request, message) -> exceptions.APIException:
    """401 for a failed key; 429 with ``Retry-After`` once the address failed too often (guessing)."""
    from fortycrm.api.throttling import api_key_failure

    decision = api_key_failure(request)
    if decision.allowed:
        return exceptions.AuthenticationFailed(message)
    return exceptions.Throttled(
        wait=decision.retry_after,
        detail=str(_("Too many failed API key attempts from your address. Check the key your program sends.")),
    )


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """``Authorization: Api-Key <prefix>.<secret>``; revoked or expired keys are refused (401).

    Failed attempts are counted per client address (fortycrm.api.throttling); past the
    limit they answer 429. A valid key costs no extra query.
    """

    def authenticate(self, request):
        key = key_from_header(request)
        if key is None:
            return None
        if not key or "." not in key or len(key) > 200:
            raise refuse(request, _("Invalid API key. Send it as “Authorization: Api-Key <key>”."))
        try:
            api_key = ApiKey.objects.get_from_key(key)
        except ApiKey.DoesNotExist:
            raise refuse(request, _("Unknown or revoked API key.")) from None
        if api_key.has_expired:
            raise refuse(request, _("This API key has expired."))
        touch_last_used(api_key)
        return ApiKeyActor(api_key), api_key

    def authenticate_header(self, request) -> str:
        # makes DRF answer 401 (not 403) when credentials are missing
        return KEYWORD


class DeskSessionAuthentication(authentication.SessionAuthentication):
    """The desk's session (with CSRF check for writes), for staff users only."""

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is None:
            return None
        user, auth = result
        if not user.is_staff:
            return None
        return user, auth

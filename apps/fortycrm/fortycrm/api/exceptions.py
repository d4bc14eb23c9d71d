"""One error shape for the API (R-API-5): never a 500 on bad input.

* Django ``ValidationError`` from the services → 400 ``{"field": ["message"]}``; a taken
  customer number (code ``number_taken``) → 409 with the same shape.
* ``PermissionDenied`` → 403, unknown records → 404, values the database cannot hold → 400,
  a conflict with a unique constraint → 409; everything else as Django REST Framework does.
* A form body over Django's ``DATA_UPLOAD_MAX_MEMORY_SIZE`` → 413 (JSON bodies: api.parsers).
* Redis (cache or job queue) not reachable → 503 with ``Retry-After``: the cache itself
  degrades (settings: ``IGNORE_EXCEPTIONS``), so this is only what cannot work without it.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ObjectDoesNotExist, RequestDataTooBig, TooManyFieldsSent
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.exceptions import NotFound, ParseError, ValidationError
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler

logger = logging.getLogger(__name__)

NUMBER_TAKEN = "number_taken"
INVOICE_ISSUED = "invoice_issued"  # services.billing.INVOICE_ISSUED: an issued invoice is immutable
OUTAGE_RETRY_AFTER = 30  # seconds


def is_outage(exc: BaseException) -> bool:
    """Redis (cache, job queue) not reachable: redis-py's and django-redis' connection errors."""
    try:
        from redis.exceptions import ConnectionError as RedisConnectionError
        from redis.exceptions import TimeoutError as RedisTimeoutError
    except ImportError:  # pragma: no cover - redis is not installed
        return False
    if isinstance(exc, RedisConnectionError | RedisTimeoutError):
        return True
    try:
        from django_redis.exceptions import ConnectionInterrupted
    except ImportError:  # pragma: no cover
        return False
    return isinstance(exc, ConnectionInterrupted)


def outage_response() -> Response:
    response = Response(
        {"detail": _("A service fortycrm needs (Redis: cache and job queue) is not reachable at the moment. Please try again in a minute.")},
        status=status.HTTP_503_SERVICE_UNAVAILABLE,
    )
    response["Retry-After"] = str(OUTAGE_RETRY_AFTER)
    return response


def error_dict(exc: DjangoValidationError) -> dict[str, list[str]]:
    """``{"field": ["message", ...]}``; errors without a field under ``non_field_errors``."""
    if hasattr(exc, "error_dict"):
        result: dict[str, list[str]] = {}
        for field, errors in exc.error_dict.items():
            key = api_settings.NON_FIELD_ERRORS_KEY if field == NON_FIELD_ERRORS else field
            result.setdefault(key, []).extend(str(m) for e in errors for m in e.messages)
        return result
    return {api_settings.NON_FIELD_ERRORS_KEY: [str(m) for m in exc.messages]}


def has_code(exc: DjangoValidationError, code: str) -> bool:
    if hasattr(exc, "error_dict"):
        return any(e.code == code for errors in exc.error_dict.values() for e in errors)
    return any(e.code == code for e in getattr(exc, "error_list", [exc]))


def _messages(value, prefix: str = "") -> list[str]:
    """Flatten DRF's nested errors (lists of items, nested objects) into plain messages."""
    if isinstance(value, dict):
        out: list[str] = []
        for key, inner in value.items():
            label = _("Item %(number)s") % {"number": key + 1} if isinstance(key, int) else str(key)
            out += _messages(inner, f"{prefix}{label}: ")
        return out
    if isinstance(value, list):
        out = []
        for index, inner in enumerate(value):
            if isinstance(inner, dict | list):
                if inner:
                    out += _messages(inner, f"{prefix}{_('Item %(number)s') % {'number': index + 1}}: ")
            else:
                out.append(f"{prefix}{inner}")
        return out
    return [f"{prefix}{value}"]


def flat_field_errors(data):
    """``{"field": ["message"]}`` also for list and nested fields."""
    if not isinstance(data, dict):
        return {api_settings.NON_FIELD_ERRORS_KEY: _messages(data)}
    return {field: _messages(value) for field, value in data.items()}


def api_exception_handler(exc, context):
    if is_outage(exc):
        logger.warning("API: Redis not reachable: %s", exc)
        return outage_response()
    if isinstance(exc, RequestDataTooBig):
        from fortycrm.api.parsers import too_large

        exc = too_large(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
    if isinstance(exc, TooManyFieldsSent):
        exc = ParseError(_("The request has too many form fields."))
    if isinstance(exc, DjangoValidationError):
        conflict = has_code(exc, NUMBER_TAKEN) or has_code(exc, INVOICE_ISSUED)
        code = status.HTTP_409_CONFLICT if conflict else status.HTTP_400_BAD_REQUEST
        return Response(error_dict(exc), status=code)
    if isinstance(exc, ObjectDoesNotExist | Http404):
        exc = NotFound()  # DRF's translated "Not found." instead of Django's English model message
    if isinstance(exc, ParseError) and str(exc.detail).startswith("JSON parse error"):
        exc = ParseError(_("The request body is not valid JSON: %(error)s") % {"error": str(exc.detail).split(" - ", 1)[-1]})
    if isinstance(exc, (DataError, OverflowError)):
        logger.info("API: value out of range: %s", exc)
        return Response(
            {api_settings.NON_FIELD_ERRORS_KEY: [_("A value is too large or has the wrong form for the database. Check the numbers and texts you sent.")]},
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, IntegrityError):
        logger.info("API: integrity error: %s", exc)
        return Response(
            {api_settings.NON_FIELD_ERRORS_KEY: [_("The change conflicts with existing data (for example a value that must be unique). Reload and try again.")]},
            status=status.HTTP_409_CONFLICT,
        )
    response = exception_handler(exc, context)
    if response is not None and isinstance(exc, ValidationError):
        response.data = flat_field_errors(response.data)
    return response

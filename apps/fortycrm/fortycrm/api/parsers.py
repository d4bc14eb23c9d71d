"""Request body parsers of API v1 with limits: body size and JSON nesting depth.

Python's ``json`` module recurses once per nesting level, so ``[`` × 100,000 ends in a
``RecursionError`` (a 500), and a few hundred levels still make later code (validation,
error messages, fingerprints) recurse deeply. No fortycrm request needs more than a few
levels (an invoice with lines: 3), so the nesting depth is scanned before parsing and
anything deeper than ``MAX_JSON_DEPTH`` is refused with 400. Bodies larger than
``FORTYCRM_API_MAX_BODY_BYTES`` (default 1 MiB) are refused with 413 before they are read.
"""

from __future__ import annotations

import codecs
import json
import re

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework import parsers, status
from rest_framework.exceptions import APIException, ParseError
from rest_framework.settings import api_settings
from rest_framework.utils import json as drf_json

MAX_JSON_DEPTH = 32
MAX_BODY_BYTES = 1024 * 1024

# a JSON string (skipped: brackets inside do not nest) or one bracket
_TOKENS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[{\]}]')


class RequestBodyTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = _("The request body is too large.")
    default_code = "request_too_large"


def max_body_bytes() -> int:
    return int(getattr(settings, "FORTYCRM_API_MAX_BODY_BYTES", MAX_BODY_BYTES))


def too_large(limit: int) -> RequestBodyTooLarge:
    return RequestBodyTooLarge(
        _("The request body is larger than %(size)s KB, the most the API accepts. Send fewer items per request.") % {"size": limit // 1024}
    )


def check_content_length(parser_context) -> None:
    request = (parser_context or {}).get("request")
    if request is None:
        return
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return
    limit = max_body_bytes()
    if length > limit:
        raise too_large(limit)


def json_depth_exceeds(text: str, max_depth: int = MAX_JSON_DEPTH) -> bool:
    """Whether arrays/objects in ``text`` nest deeper than ``max_depth`` (strings are skipped)."""
    depth = 0
    for match in _TOKENS.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > max_depth:
                return True
        elif token in "]}":
            depth -= 1
    return False


class LimitedJSONParser(parsers.JSONParser):
    """DRF's JSON parser with a body size limit (413) and a nesting depth limit (400)."""

    def parse(self, stream, media_type=None, parser_context=None):
        check_content_length(parser_context)
        limit = max_body_bytes()
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise too_large(limit)
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = codecs.decode(raw, encoding)
        except (UnicodeDecodeError, LookupError):
            raise ParseError(_("The request body is not valid JSON: it is not encoded in %(encoding)s.") % {"encoding": encoding}) from None
        if json_depth_exceeds(text):
            raise ParseError(
                _("The JSON in the request body is nested too deeply: at most %(max)d levels of lists and objects are allowed.")
                % {"max": MAX_JSON_DEPTH}
            )
        try:
            parse_constant = drf_json.strict_constant if api_settings.STRICT_JSON else None
            return json.loads(text, parse_constant=parse_constant)
        except RecursionError:  # pragma: no cover - the depth scan comes first
            raise ParseError(_("The JSON in the request body is nested too deeply.")) from None
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from None


class LimitedFormParser(parsers.FormParser):
    """Form bodies (the website intake) with the same size limit as JSON."""

    def parse(self, stream, media_type=None, parser_context=None):
        check_content_length(parser_context)
        return super().parse(stream, media_type, parser_context)


class LimitedMultiPartParser(parsers.MultiPartParser):
    """Multipart bodies with the same size limit (the API takes no file uploads)."""

    def parse(self, stream, media_type=None, parser_context=None):
        check_content_length(parser_context)
        return super().parse(stream, media_type, parser_context)

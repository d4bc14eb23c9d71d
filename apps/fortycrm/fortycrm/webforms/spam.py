"""Spam protection without third-party services: a signed token (challenge), a minimum fill
time measured from the token's issue, and a honeypot field.

The script gets a token issued when it is loaded (``issue_token``); the plain HTML form
carries a token without time (it is static HTML), so the minimum fill time applies to the
script variant only.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.core import signing

SALT = "fortycrm.webforms.token"
MAX_AGE = 6 * 3600  # a page left open longer must be reloaded
HONEYPOT = "fc_website"  # looks like a field a bot likes to fill
TOKEN = "fc_token"
CONSENT = "fc_consent"
PAGE = "fc_page"
CONTROL_FIELDS = (HONEYPOT, TOKEN, CONSENT, PAGE)


def issue_token(public_id: str, *, plain: bool = False, now: float | None = None) -> str:
    payload = {"f": public_id, "t": None if plain else int(now if now is not None else time.time())}
    return signing.dumps(payload, salt=SALT, compress=True)


@dataclass(frozen=True)
class TokenCheck:
    valid: bool
    too_fast: bool = False


def check_token(token: str, *, public_id: str, min_seconds: int, now: float | None = None) -> TokenCheck:
    """Whether ``token`` was issued by this site for this form, and not less than ``min_seconds`` ago."""
    if not isinstance(token, str) or not token or len(token) > 500:
        return TokenCheck(False)
    try:
        payload = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        return TokenCheck(False)
    if not isinstance(payload, dict) or payload.get("f") != public_id:
        return TokenCheck(False)
    issued = payload.get("t")
    if issued is None:  # plain HTML form: static token
        return TokenCheck(True)
    if not isinstance(issued, int):
        return TokenCheck(False)
    now = time.time() if now is None else now
    age = now - issued
    if age > MAX_AGE:
        return TokenCheck(False)
    return TokenCheck(True, too_fast=age < min_seconds)

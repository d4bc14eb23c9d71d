"""Website intake: one flat enquiry becomes a prospect with contact and optional location.

``intake_create`` is the flow; ``intake_idempotent`` runs it at most once per caller and
Idempotency-Key and remembers the answer. The API view only translates HTTP to these calls.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any, Literal

from django.db import IntegrityError, transaction

from fortycrm.models import ApiKey, Contact, IntakeRequest, Location, SiteSettings
from fortycrm.models.customers import CustomerKind
from fortycrm.selectors import customer_possible_duplicates
from fortycrm.services import contacts, locations
from fortycrm.services.customers import customer_create

IntakeOutcome = Literal["created", "replayed", "conflict"]


@transaction.atomic
def intake_create(
    *, data: Mapping[str, Any], status: Any = None, tags: list[Any] | None = None, account_manager: Any = None
) -> dict[str, Any]:
    """Create the prospect with contact and optional location; return the answer's body.

    ``data`` is the checked intake form (see ``fortycrm.api.intake.IntakeSerializer``):
    ``kind`` is already decided, everything else is optional text. ``status``, ``tags`` and
    ``account_manager`` replace the site's intake settings (a website form's own settings).
    """
    site = SiteSettings.load()
    tags = list(site.intake_tags.all() if tags is None else tags) + list(data.get("tags") or [])
    kind = data["kind"]
    fields: dict[str, Any] = {
        name: data.get(name, "")
        for name in ("email", "phone", "mobile", "street", "postcode", "city")
    }
    if data.get("country"):
        fields["country"] = data["country"].upper()
    if kind == CustomerKind.COMPANY:
        fields["name"] = data["company_name"].strip()
    else:
        fields.update({name: data.get(name, "") for name in ("salutation", "title", "first_name", "last_name")})
    fields["notes"] = data.get("message", "")
    if account_manager is not None:
        fields["account_manager"] = account_manager
    if data.get("custom_field_data"):
        fields["custom_field_data"] = dict(data["custom_field_data"])  # checked by customer_create like everywhere
    customer = customer_create(kind=kind, status=status or site.intake_status_id, tags=tags, **fields)
    contact = Contact(
        customer=customer,
        **{name: data.get(name, "") for name in ("salutation", "title", "first_name", "last_name", "email", "phone", "mobile")},
    )
    contacts.contact_save(contact=contact)
    location_fields = {name: data.get(f"location_{name}", "").strip() for name in ("name", "street", "postcode", "city", "country")}
    if any(location_fields.values()):
        location = Location(
            customer=customer,
            name=location_fields["name"] or location_fields["street"] or location_fields["city"] or customer.display_name,
            street=location_fields["street"],
            postcode=location_fields["postcode"],
            city=location_fields["city"],
            country=(location_fields["country"] or fields.get("country") or "DE").upper(),
        )
        locations.location_save(location=location)
    return {
        "id": customer.pk,
        "number": customer.number,
        "display_name": customer.display_name,
        "status_name": customer.status.name,
        "possible_duplicates": customer_possible_duplicates(customer),
    }


def request_fingerprint(data: Any) -> str:
    """A hash of the request body (a dict, or a QueryDict of a form post) to tell repeats apart."""
    if hasattr(data, "lists"):
        data = {key: values for key, values in data.lists()}
    text = json.dumps(data, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def intake_owner(*, api_key: ApiKey | None, user: Any = None) -> str:
    """Whose Idempotency-Keys these are: ``"key:<id>"`` for an API key, ``"user:<id>"`` for a desk session."""
    if api_key is not None:
        return f"key:{api_key.pk}"
    if user is not None and getattr(user, "is_authenticated", False):
        return f"user:{user.pk}"
    raise ValueError("an intake with an Idempotency-Key needs an API key or a signed-in user")


def intake_idempotent(
    *, owner: str, key: str, fingerprint: str, data: Mapping[str, Any], api_key: ApiKey | None = None
) -> tuple[int, dict[str, Any], IntakeOutcome]:
    """Run the intake once per (owner, Idempotency-Key); ``owner`` comes from ``intake_owner``.

    Returns (status, body, outcome) with outcome "created", "replayed" or "conflict" (the key
    was used before with a different body).

    The unique constraint on IntakeRequest (owner, key) makes concurrent repeats safe: the
    second insert waits for the first transaction and then finds its stored answer.
    """
    with transaction.atomic():
        stored = IntakeRequest.objects.filter(owner=owner, key=key).first()
        if stored is None:
            try:
                with transaction.atomic():
                    stored = IntakeRequest.objects.create(
                        owner=owner, api_key=api_key, key=key, request_hash=fingerprint, response_status=0
                    )
            except IntegrityError:
                stored = IntakeRequest.objects.filter(owner=owner, key=key).first()
            else:
                body = intake_create(data=data)
                stored.response_status, stored.response_body = 201, body
                stored.save(update_fields=["response_status", "response_body"])
                return 201, body, "created"
        if stored is None or stored.response_status == 0:  # pragma: no cover - a rolled back twin
            raise IntegrityError("intake idempotency race")
        outcome: IntakeOutcome = "replayed" if stored.request_hash == fingerprint else "conflict"
        return stored.response_status, stored.response_body, outcome

from __future__ import annotations

from django.db import transaction

from fortycrm import events
from fortycrm.models import Contact


@transaction.atomic
def contact_save(*, contact: Contact) -> Contact:
    """Create or update a contact; R-CON-3 (birthday only for private customers) holds in clean()."""
    before = events.snapshot(contact)
    contact.full_clean()
    contact.save()
    events.event_saved("contact", contact, before)
    return contact


@transaction.atomic
def contact_delete(*, contact: Contact) -> None:
    events.event_record("contact.deleted", contact)
    contact.delete()

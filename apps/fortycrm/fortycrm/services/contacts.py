from __future__ import annotations

from django.db import transaction

from fortycrm import custom_fields, events
from fortycrm.models import Contact


@transaction.atomic
def contact_save(*, contact: Contact) -> Contact:
    """Create or update a contact; R-CON-3 (birthday only for private customers) holds in clean()."""
    before = events.snapshot(contact)
    contact.full_clean()
    custom_fields.record_clean(contact, object_type="contact")
    contact.save()
    events.event_saved("contact", contact, before)
    return contact


@transaction.atomic
def contact_delete(*, contact: Contact) -> None:
    events.event_record("contact.deleted", contact)
    contact.delete()

from __future__ import annotations

from django.db import transaction

from fortycrm import custom_fields
from fortycrm.models import Contact


@transaction.atomic
def contact_save(*, contact: Contact) -> Contact:
    """Create or update a contact; R-CON-3 (birthday only for private customers) holds in clean()."""
    contact.full_clean()
    custom_fields.record_clean(contact, object_type="contact")
    contact.save()
    return contact


@transaction.atomic
def contact_delete(*, contact: Contact) -> None:
    contact.delete()

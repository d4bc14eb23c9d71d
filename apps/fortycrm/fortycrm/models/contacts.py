from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from fortycrm.models.base import Salutation, TimeStamped
from fortycrm.models.customers import duplicate_text
from fortycrm.ranges import positive_small


class Contact(TimeStamped):
    """Ansprechpartner (R-CON)."""

    customer = models.ForeignKey(
        "fortycrm.Customer", verbose_name=_("customer"), on_delete=models.CASCADE, related_name="contacts"
    )
    location = models.ForeignKey(
        "fortycrm.Location",
        verbose_name=_("location"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="contacts",
    )
    salutation = models.CharField(_("salutation"), max_length=10, choices=Salutation.choices, blank=True)
    title = models.CharField(_("academic title"), max_length=40, blank=True)
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100)
    role = models.CharField(_("role"), max_length=100, blank=True, help_text=_("e.g. managing director, daughter"))
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    mobile = models.CharField(_("mobile"), max_length=40, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    notes = models.TextField(_("notes"), blank=True)
    priority = models.PositiveSmallIntegerField(
        _("priority"), default=1, validators=positive_small(1), help_text=_("1 = most important; sets the position in lists.")
    )
    birthday = models.DateField(_("birthday"), null=True, blank=True, help_text=_("Only for contacts of private customers."))
    custom_field_data = models.JSONField(default=dict, blank=True, editable=False)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["customer_id", "priority", "last_name", "id"]
        indexes = [
            models.Index(fields=["customer", "priority", "last_name", "id"], name="contact_customer_order_idx"),
            models.Index(fields=["email", "id"], name="contact_email_idx"),
            models.Index(fields=["customer", "id"], name="contact_customer_sort_idx"),
            models.Index(fields=["birthday", "id"], name="contact_birthday_idx"),
            models.Index(duplicate_text("email"), name="contact_dup_email_idx"),
        ]

    def __str__(self) -> str:
        return " ".join(p for p in (self.title, self.first_name, self.last_name) if p)

    def clean(self) -> None:
        errors = {}
        customer = self.customer if (self.customer_id or self._state.fields_cache.get("customer")) else None
        if self.birthday and customer is not None and not customer.is_private:
            errors["birthday"] = _(
                "A birthday can only be entered for contacts of private customers; "
                "“%(customer)s” is a company customer. Leave the field empty."
            ) % {"customer": customer.display_name}
        if self.birthday and self.birthday > timezone.localdate():
            errors["birthday"] = _("The birthday %(date)s lies in the future. Check the year.") % {
                "date": formats.date_format(self.birthday, "SHORT_DATE_FORMAT")
            }
        if self.location_id and customer is not None and customer.pk and self.location.customer_id != customer.pk:
            errors["location"] = _("This location belongs to another customer.")
        if errors:
            raise ValidationError(errors)

"""Custom fields (R-FLD): definitions made by admins; values live in ``custom_field_data``.

The rules for values (types, choices, min/max, required) are in ``fortycrm.custom_fields``;
the rules for changing definitions are in ``fortycrm.services.custom_fields``.
"""

from __future__ import annotations

from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fortycrm.ranges import positive_small

NAME_PATTERN = r"^[a-z][a-z0-9_]*\Z"
NAME_MAX_LENGTH = 50


class CustomField(models.Model):
    class ObjectType(models.TextChoices):
        CUSTOMER = "customer", _("customer")
        CONTACT = "contact", _("contact")
        LOCATION = "location", _("location")

    class Type(models.TextChoices):
        TEXT = "text", _("text")
        LONGTEXT = "longtext", _("long text")
        INTEGER = "integer", _("integer")
        DECIMAL = "decimal", _("decimal number")
        DATE = "date", _("date")
        BOOLEAN = "boolean", _("yes/no")
        SELECT = "select", _("choice")
        MULTISELECT = "multiselect", _("multiple choice")
        URL = "url", _("URL")
        EMAIL = "email", _("e-mail")

    class AppliesTo(models.TextChoices):
        BOTH = "both", _("company and private customers")
        COMPANY = "company", _("company customers only")
        PRIVATE = "private", _("private customers only")

    object_type = models.CharField(_("object type"), max_length=10, choices=ObjectType.choices)
    name = models.CharField(
        _("technical name"),
        max_length=NAME_MAX_LENGTH,
        validators=[
            RegexValidator(
                NAME_PATTERN,
                _("The technical name must start with a lower-case letter and contain only a-z, 0-9 and “_”, e.g. contract_type."),
                code="invalid_name",
            )
        ],
        help_text=_("Used in the API (custom_fields) and filters (cf_<name>); fixed once records hold values."),
    )
    label = models.CharField(_("label (German)"), max_length=100)
    label_en = models.CharField(_("label (English)"), max_length=100, blank=True)
    help_text = models.CharField(_("help text"), max_length=300, blank=True)
    type = models.CharField(_("type"), max_length=12, choices=Type.choices, default=Type.TEXT)
    required = models.BooleanField(_("required"), default=False)
    default = models.JSONField(_("default"), null=True, blank=True)
    choices = models.JSONField(_("choices"), default=list, blank=True)
    min_value = models.JSONField(_("minimum"), null=True, blank=True)
    max_value = models.JSONField(_("maximum"), null=True, blank=True)
    applies_to = models.CharField(_("applies to"), max_length=10, choices=AppliesTo.choices, default=AppliesTo.BOTH)
    position = models.PositiveSmallIntegerField(pgettext_lazy("sort order", "order"), default=0, validators=positive_small())
    list_column = models.BooleanField(_("shown as list column"), default=False)
    list_filter = models.BooleanField(_("offered as list filter"), default=False)
    searchable = models.BooleanField(_("searchable"), default=False, help_text=_("Text fields: found by the list's search."))

    class Meta:
        verbose_name = _("custom field")
        verbose_name_plural = _("custom fields")
        ordering = ["object_type", "position", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["object_type", "name"],
                name="customfield_unique_name",
                violation_error_message=_("This technical name is already used for this object type."),
            )
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def filter_name(self) -> str:
        return f"cf_{self.name}"

    def display_label(self) -> str:
        from django.utils.translation import get_language

        if self.label_en and (get_language() or "de").startswith("en"):
            return self.label_en
        return self.label


class StandardFieldRule(models.Model):
    """An admin's rule for an optional standard field (R-FLD-8): required or hidden in the desk.

    Per object type and, for customers, per kind (``applies_to``). Which fields may carry a
    rule and the checks of values are in ``fortycrm.standard_fields``; saving a rule goes
    through ``services.custom_fields.standardfield_rule_save``.
    """

    class Behaviour(models.TextChoices):
        REQUIRED = "required", _("required")
        HIDDEN = "hidden", _("hidden in the desk")

    object_type = models.CharField(_("object type"), max_length=10, choices=CustomField.ObjectType.choices)
    field = models.CharField(_("field"), max_length=50)
    applies_to = models.CharField(
        _("applies to"), max_length=10, choices=CustomField.AppliesTo.choices, default=CustomField.AppliesTo.BOTH,
        help_text=_("Customers only: company customers, private customers or both."),
    )
    behaviour = models.CharField(_("rule"), max_length=10, choices=Behaviour.choices, default=Behaviour.REQUIRED)

    class Meta:
        verbose_name = _("standard field rule")
        verbose_name_plural = _("standard field rules")
        ordering = ["object_type", "field", "applies_to"]
        constraints = [
            models.UniqueConstraint(
                fields=["object_type", "field", "applies_to"],
                name="standardfieldrule_unique",
                violation_error_message=_("There is already a rule for this field."),
            )
        ]

    def __str__(self) -> str:
        from fortycrm.standard_fields import field_label

        return f"{self.get_object_type_display()}: {field_label(self.object_type, self.field)}"


class FieldValueIndex(models.Model):
    """One filterable custom field value of a record (R-FLD): the index the ``cf_`` filters use.

    Choice, multiple choice and yes/no values are copied here as text (one row per chosen
    value), indexed by (field, value, record), so ``cf_<name>=value`` is an index lookup on
    SQLite and MariaDB alike instead of reading the JSON of every row. Kept in sync by
    ``fortycrm.custom_fields.index_*`` (each save, the bulk import, definition changes).
    """

    field = models.CharField(max_length=50)
    value = models.CharField(max_length=100)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.field}={self.value}"


class CustomerFieldValue(FieldValueIndex):
    record = models.ForeignKey("fortycrm.Customer", on_delete=models.CASCADE, related_name="+")

    class Meta:
        indexes = [models.Index(fields=["field", "value", "record"], name="customer_cfv_idx")]


class ContactFieldValue(FieldValueIndex):
    record = models.ForeignKey("fortycrm.Contact", on_delete=models.CASCADE, related_name="+")

    class Meta:
        indexes = [models.Index(fields=["field", "value", "record"], name="contact_cfv_idx")]


class LocationFieldValue(FieldValueIndex):
    record = models.ForeignKey("fortycrm.Location", on_delete=models.CASCADE, related_name="+")

    class Meta:
        indexes = [models.Index(fields=["field", "value", "record"], name="location_cfv_idx")]

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower, Trim
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from fortycrm import uploads
from fortycrm.models.base import Salutation, TimeStamped
from fortycrm.ranges import big_integer, positive_small, record_number
from fortycrm.tagnames import TAG_NAME_MAX_LENGTH, tag_normalize
from fortycrm.validators import color_validator, validate_logo_file


class CustomerStatus(models.Model):
    """Kundenstatus (R-STA). Rules that span rows live in services.statuses."""

    name = models.CharField(_("name"), max_length=60, unique=True)
    color = models.CharField(_("colour"), max_length=7, default="#607D8B", validators=[color_validator])
    position = models.PositiveSmallIntegerField(pgettext_lazy("sort order", "order"), default=0, validators=positive_small())
    with_number = models.BooleanField(
        _("with customer number"),
        default=False,
        help_text=_("Customers in this status carry a customer number."),
    )
    is_default = models.BooleanField(
        _("default for new customers"),
        default=False,
        help_text=_("New customers get this status. Must be a status without customer number."),
    )
    is_conversion_target = models.BooleanField(
        _("target when ordering"),
        default=False,
        help_text=_(
            "A prospect switches to this status when an order or invoice is created for it. "
            "Must be a status with customer number."
        ),
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("customer status")
        verbose_name_plural = _("customer statuses")
        ordering = ["position", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(is_default=False) | Q(with_number=False),
                name="status_default_without_number",
                violation_error_message=_("The default status for new customers cannot carry a customer number."),
            ),
            models.CheckConstraint(
                condition=Q(is_conversion_target=False) | Q(with_number=True),
                name="status_target_with_number",
                violation_error_message=_("The target status for orders must carry a customer number."),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Tag(models.Model):
    """Schlagwort (R-TAG). ``normalized`` makes names case-insensitively unique."""

    name = models.CharField(_("name"), max_length=TAG_NAME_MAX_LENGTH)
    normalized = models.CharField(max_length=TAG_NAME_MAX_LENGTH, unique=True, editable=False)
    color = models.CharField(_("colour"), max_length=7, default="#9E9E9E", validators=[color_validator])

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @staticmethod
    def normalize(name: str) -> str:
        return tag_normalize(name)

    def clean(self) -> None:
        self.name = " ".join((self.name or "").split())
        if not self.name:
            raise ValidationError({"name": _("A tag needs a name.")})
        self.normalized = self.normalize(self.name)
        clash = Tag.objects.filter(normalized=self.normalized).exclude(pk=self.pk).first()
        if clash:
            raise ValidationError(
                {"name": _("The tag “%(name)s” already exists (tags ignore upper and lower case).") % {"name": clash.name}}
            )

    def save(self, *args, **kwargs):
        self.normalized = self.normalize(self.name)
        super().save(*args, **kwargs)


class NumberSequence(models.Model):
    """A counter row, locked with select_for_update when a number is handed out."""

    key = models.CharField(max_length=40, unique=True)
    last_value = models.BigIntegerField(default=0, validators=big_integer())

    class Meta:
        verbose_name = _("number sequence")
        verbose_name_plural = _("number sequences")

    def __str__(self) -> str:
        return f"{self.key}: {self.last_value}"


class CustomerKind(models.TextChoices):
    COMPANY = "company", _("Company customer")
    PRIVATE = "private", _("Private customer")


def customer_display_name(*, kind: str, name: str, short_name: str, title: str, first_name: str, last_name: str) -> str:
    """The name lists show: the short name if set, else the company name or the person's name.

    One definition for the model property and the API's fast ``.values()`` rows.
    """
    if short_name:
        return short_name
    if kind == CustomerKind.COMPANY:
        return name
    return " ".join(p for p in (title, first_name, last_name) if p)


def duplicate_text(field: str) -> Lower:
    """A text column as possible duplicates compare it (lower case, outer spaces removed).

    The one expression of ``selectors.customer_duplicates`` and of the indexes that make it
    cheap on SQLite (MariaDB has no expression indexes: its query finds the candidates through
    the columns' own indexes, see ``selectors._collation_prefilter``)."""
    return Lower(Trim(field))


def account_manager_limit() -> Q:
    """Who may be account manager ("Kundenbetreuer"): an active user in at least one group."""
    return Q(is_active=True, groups__isnull=False)


def logo_upload_to(instance: Customer, filename: str) -> str:
    return uploads.random_name("logos", filename)


class Customer(TimeStamped):
    Kind = CustomerKind

    kind = models.CharField(_("kind"), max_length=10, choices=CustomerKind.choices, default=CustomerKind.COMPANY)
    number = models.PositiveBigIntegerField(_("customer number"), null=True, blank=True, unique=True, validators=record_number(1))
    status = models.ForeignKey(
        CustomerStatus, verbose_name=_("status"), on_delete=models.PROTECT, related_name="customers"
    )
    # company
    name = models.CharField(
        _("name"), max_length=200, blank=True, help_text=_("Full legal name including the legal form, e.g. “Müller GmbH”.")
    )
    short_name = models.CharField(
        _("short name"), max_length=80, blank=True, help_text=_("Shown in lists instead of the long name.")
    )
    # private
    salutation = models.CharField(_("salutation"), max_length=10, choices=Salutation.choices, blank=True)
    title = models.CharField(_("academic title"), max_length=40, blank=True, help_text=_("e.g. Dr. or Prof. Dr."))
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    # address and communication
    street = models.CharField(_("street"), max_length=200, blank=True)
    postcode = models.CharField(_("postcode"), max_length=10, blank=True, db_index=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    country = models.CharField(_("country"), max_length=2, default="DE", help_text=_("Two-letter code, e.g. DE."))
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    mobile = models.CharField(_("mobile"), max_length=40, blank=True)
    email = models.EmailField(_("e-mail"), blank=True, db_index=True)
    website = models.URLField(_("website"), blank=True)
    vat_id = models.CharField(_("VAT id"), max_length=20, blank=True)
    leitweg_id = models.CharField(
        _("Leitweg-ID"), max_length=46, blank=True,
        help_text=_("Public authorities only: the buyer reference for XRechnung e-invoices, e.g. 991-01234-56."),
        validators=[RegexValidator(r"^[0-9A-Za-z]+(-[0-9A-Za-z]+){1,3}$", _("Enter the Leitweg-ID as on the order, e.g. 991-01234-56 or 04011000-1234512345-06."))],
    )
    notes = models.TextField(_("notes"), blank=True)
    start_date = models.DateField(_("customer since"), null=True, blank=True)
    end_date = models.DateField(_("customer until"), null=True, blank=True)
    logo = models.ImageField(
        _("logo / picture"), upload_to=logo_upload_to, blank=True, validators=[validate_logo_file]
    )
    logo_thumbnail = models.ImageField(upload_to=uploads.logo_thumbnail_upload_to, blank=True, editable=False)
    combine_invoices = models.BooleanField(
        _("combine invoices"),
        default=False,
        help_text=_("Bill all services of this customer in one combined invoice."),
    )
    account_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account manager"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_customers",
        limit_choices_to=account_manager_limit,
    )
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="customers")
    custom_field_data = models.JSONField(default=dict, blank=True, editable=False)
    # the history is read per customer (id) by date and by user; every other copied index
    # would only cost each written history row (the import writes one per customer)
    history = HistoricalRecords(
        excluded_fields=["logo_thumbnail"],
        no_db_index=["number", "status", "email", "postcode", "account_manager", "created_at", "updated_at"],
    )
    # as TimeStamped's, without its single-column index: "customer_created_idx" (created_at, id)
    # answers every query by created_at and costs one index update less per inserted row
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_at.creation_counter = TimeStamped._meta.get_field("created_at").creation_counter  # its place among the fields stays

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["-created_at", "-id"]
        permissions = [("change_customer_number", _("Can change a customer number once saved"))]
        indexes = [
            models.Index(fields=["last_name", "first_name"], name="customer_person_idx"),
            # (name) alone: "customer_name_sort_idx" (name, id) answers it
            models.Index(fields=["status", "created_at"], name="customer_status_created_idx"),
            models.Index(duplicate_text("name"), name="customer_dup_name_idx"),
            models.Index(duplicate_text("last_name"), name="customer_dup_last_name_idx"),
            models.Index(duplicate_text("email"), name="customer_dup_email_idx"),
            # desk lists (issue 13): default order, sortable columns, filters in list order
            models.Index(fields=["created_at", "id"], name="customer_created_idx"),
            models.Index(fields=["city", "id"], name="customer_city_idx"),
            models.Index(fields=["kind", "created_at", "id"], name="customer_kind_created_idx"),
            models.Index(fields=["account_manager", "created_at", "id"], name="customer_manager_created_idx"),
            models.Index(fields=["number", "id"], name="customer_number_sort_idx"),
            models.Index(fields=["name", "id"], name="customer_name_sort_idx"),
            models.Index(fields=["status", "id"], name="customer_status_sort_idx"),
            models.Index(fields=["account_manager", "id"], name="customer_manager_sort_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(start_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="customer_end_after_start",
                violation_error_message=_("“Customer until” cannot be before “Customer since”."),
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return customer_display_name(
            kind=self.kind, name=self.name, short_name=self.short_name, title=self.title, first_name=self.first_name, last_name=self.last_name
        )

    @property
    def is_private(self) -> bool:
        return self.kind == CustomerKind.PRIVATE

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.kind == CustomerKind.COMPANY:
            if not self.name.strip():
                errors["name"] = _("A company customer needs its full name (“Name”).")
        elif self.kind == CustomerKind.PRIVATE:
            if not self.last_name.strip():
                errors["last_name"] = _("A private customer needs a last name.")
        if self.start_date and self.end_date and self.end_date < self.start_date:
            errors["end_date"] = _("“Customer until” cannot be before “Customer since”.")
        if self.country:
            self.country = self.country.upper()
            if len(self.country) != 2 or not self.country.isalpha():
                errors["country"] = _("Enter the country as a two-letter code, e.g. DE or AT.")
        if errors:
            raise ValidationError(errors)


class CustomerSearchTerm(models.Model):
    """One normalised word a customer is found by (``fortycrm.search``): an index, not data.

    Rebuilt from the customer and its contacts whenever they change; never edited by hand.
    The key is (customer, term): a customer's terms lie together (MariaDB keeps the rows in
    key order), and an import writes two index trees per term instead of three (no own id).
    """

    pk = models.CompositePrimaryKey("customer", "term")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+", db_index=False)
    term = models.CharField(max_length=40)

    class Meta:
        verbose_name = _("search term")
        verbose_name_plural = _("search terms")
        indexes = [models.Index(fields=["term", "customer"], name="customer_search_term_by_term")]

    def __str__(self) -> str:
        return self.term


class RecordSearchTerm(models.Model):
    """One normalised word a contact, location, meter, order or reading is found by (``fortycrm.search``): an
    index for the desk lists' searches, not data. Rebuilt from the record whenever it changes."""

    class Kind(models.TextChoices):
        CONTACT = "contact", _("contact")
        LOCATION = "location", _("location")
        METER = "meter", _("meter")
        ORDER = "order", _("order")
        READING = "meterreading", _("meter reading")

    kind = models.CharField(max_length=12, choices=Kind.choices)
    record_id = models.BigIntegerField()
    term = models.CharField(max_length=40)

    class Meta:
        verbose_name = _("search term")
        verbose_name_plural = _("search terms")
        constraints = [models.UniqueConstraint(fields=["kind", "record_id", "term"], name="record_search_term_unique")]
        indexes = [models.Index(fields=["kind", "term", "record_id"], name="record_search_term_idx")]

    def __str__(self) -> str:
        return self.term

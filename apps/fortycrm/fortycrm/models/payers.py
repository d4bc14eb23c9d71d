"""Cost bearers ("Kostenträger"), their assignment to customers with budget rules, and
customer settings ("Kundeneinstellungen") with site-wide defaults (R-PAY).

Rules spanning rows (overlaps, total shares, deletion of an assigned bearer) live in
``services.payers``; the effective customer settings are resolved only by
``selectors.customer_effective_settings``.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from fortycrm import uploads
from fortycrm.models.base import TimeStamped
from fortycrm.ranges import positive_small
from fortycrm.validators import color_validator

ZERO = Decimal("0")


# --- check digits -------------------------------------------------------------------------
def _cross_sum(number: int) -> int:
    return sum(int(d) for d in str(number))


def ik_check_digit(first_eight: str) -> int:
    """Check digit of an Institutionskennzeichen (9th digit).

    ARGE IK, "Gemeinsames Rundschreiben Institutionskennzeichen" 1.2.5: digits 3 to 8
    (the classification, digits 1-2, is left out) are weighted 2, 1, 2, 1, 2, 1, the
    cross sums of the products added; the sum modulo 10 is the check digit
    (example there: 26032682 → 260326822).
    """
    digits = first_eight[2:8]
    return sum(_cross_sum(int(d) * w) for d, w in zip(digits, (2, 1, 2, 1, 2, 1))) % 10


def kvnr_check_digit(first_nine: str) -> int:
    """Check digit of the unchangeable part of a Krankenversichertennummer (10th character).

    § 290 SGB V / GKV-Spitzenverband: the letter becomes its two-digit position in the
    alphabet (A = 01 … Z = 26); with the 8 digits that follow these are 10 digits, weighted
    1, 2, 1, 2, … from the left, cross sums of the products added, the sum modulo 10.
    """
    digits = f"{ord(first_nine[0].upper()) - 64:02d}{first_nine[1:9]}"
    return sum(_cross_sum(int(d) * (1 if i % 2 == 0 else 2)) for i, d in enumerate(digits)) % 10


def validate_ik(value: str) -> None:
    if not value:
        return
    if len(value) != 9 or not (value.isascii() and value.isdigit()):
        raise ValidationError(
            _("An institution code (IK) has exactly 9 digits, e.g. 260326822; “%(value)s” does not."),
            code="ik_format",
            params={"value": value},
        )
    if ik_check_digit(value[:8]) != int(value[8]):
        raise ValidationError(
            _("The institution code (IK) %(value)s has a wrong check digit (9th digit). Check it against the letter of the insurer."),
            code="ik_check_digit",
            params={"value": value},
        )


def insurance_number_problem(value: str) -> str | None:
    """Why ``value`` is no valid Versichertennummer of a statutory insurer (None: it is)."""
    text = value or ""
    if len(text) != 10 or not text[0].isascii() or not text[0].isalpha() or not (text[1:].isascii() and text[1:].isdigit()):
        return str(
            _("The insurance number of a statutory insurer has 10 characters: a capital letter and 9 digits, e.g. A123456780; “%(value)s” does not.")
            % {"value": value}
        )
    if kvnr_check_digit(text[:9]) != int(text[9]):
        return str(_("The insurance number %(value)s has a wrong check digit (10th character). Check it against the insurance card.") % {"value": value})
    return None


# --- cost bearers --------------------------------------------------------------------------
class CostBearerKind(models.TextChoices):
    CARE_INSURER = "care_insurer", _("Care insurer (Pflegekasse)")
    HEALTH_INSURER = "health_insurer", _("Health insurer (Krankenkasse)")
    AUTHORITY = "authority", _("Social welfare office / authority")
    ACCIDENT_INSURER = "accident_insurer", _("Employers' liability insurance (Berufsgenossenschaft)")
    RELATIVE = "relative", _("Relative")
    COMPANY = "company", _("Company")
    OTHER = "other", _("Other")


STATUTORY_KINDS = {CostBearerKind.CARE_INSURER, CostBearerKind.HEALTH_INSURER}


class CostBearer(TimeStamped):
    """Kostenträger: a third party that pays (part of) a customer's services (R-PAY-1)."""

    Kind = CostBearerKind

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=CostBearerKind.choices, default=CostBearerKind.CARE_INSURER)
    ik = models.CharField(
        _("institution code (IK)"), max_length=9, blank=True, validators=[validate_ik],
        help_text=_("Institutionskennzeichen: 9 digits, the last one a check digit."),
    )
    street = models.CharField(_("street"), max_length=200, blank=True)
    postcode = models.CharField(_("postcode"), max_length=10, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    country = models.CharField(_("country"), max_length=2, default="DE", help_text=_("Two-letter code, e.g. DE."))
    contact = models.CharField(_("contact person"), max_length=200, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("cost bearer")
        verbose_name_plural = _("cost bearers")
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["ik"], name="costbearer_ik_idx")]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        self.name = (self.name or "").strip()
        if not self.name:
            raise ValidationError({"name": _("A cost bearer needs a name.")})
        if self.country:
            self.country = self.country.upper()
            if len(self.country) != 2 or not self.country.isalpha():
                raise ValidationError({"country": _("Enter the country as a two-letter code, e.g. DE or AT.")})


class CarryOver(models.TextChoices):
    NEXT_JUNE = "next_june", _("until 30 June of the following year (§ 45b SGB XI)")
    YEAR_END = "year_end", _("until 31 December of the same year")
    NONE = "none", _("no carry-over (expires at the end of the month)")


class CustomerCostBearer(TimeStamped):
    """A cost bearer assigned to a customer, with its share or monthly budget (R-PAY-1)."""

    CarryOver = CarryOver

    customer = models.ForeignKey("fortycrm.Customer", verbose_name=_("customer"), on_delete=models.CASCADE, related_name="cost_bearer_links")
    cost_bearer = models.ForeignKey(CostBearer, verbose_name=_("cost bearer"), on_delete=models.PROTECT, related_name="assignments")
    insurance_number = models.CharField(
        _("insurance number"), max_length=30, blank=True,
        help_text=_("Versichertennummer; for statutory insurers a letter and 9 digits, e.g. A123456780."),
    )
    share_percent = models.DecimalField(
        _("share (%)"), max_digits=5, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("100"))],
        help_text=_("The part of each invoice this bearer pays. Either a share or a monthly budget."),
    )
    monthly_budget = models.DecimalField(
        _("monthly budget (€)"), max_digits=10, decimal_places=2, null=True, blank=True,
        help_text=_("Amount that accrues every month, e.g. the relief amount (Entlastungsbetrag) of § 45b SGB XI."),
    )
    carry_over = models.CharField(
        _("unused budget carries over"), max_length=10, choices=CarryOver.choices, default=CarryOver.NEXT_JUNE
    )
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    priority = models.PositiveSmallIntegerField(
        _("priority"), default=1, validators=positive_small(1), help_text=_("1 pays first.")
    )
    notes = models.TextField(_("notes"), blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("cost bearer assignment")
        verbose_name_plural = _("cost bearers")
        ordering = ["customer_id", "priority", "valid_from", "id"]
        indexes = [models.Index(fields=["customer", "valid_from"], name="ccb_customer_from_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=F("valid_from")),
                name="ccb_until_after_from",
                violation_error_message=_("“Valid until” cannot be before “valid from”."),
            ),
            models.CheckConstraint(
                condition=Q(monthly_budget__isnull=True) | Q(monthly_budget__gte=0),
                name="ccb_budget_not_negative",
                violation_error_message=_("A monthly budget cannot be negative."),
            ),
        ]

    def __str__(self) -> str:
        if not self.cost_bearer_id:
            return str(_("cost bearer assignment"))
        return f"{self.cost_bearer} ({self.valid_from.isoformat()})" if self.valid_from else str(self.cost_bearer)

    def clean(self) -> None:
        errors: dict[str, object] = {}
        self.insurance_number = (self.insurance_number or "").strip().upper()
        if self.cost_bearer_id and self.insurance_number and self.cost_bearer.kind in STATUTORY_KINDS:
            problem = insurance_number_problem(self.insurance_number)
            if problem:
                errors["insurance_number"] = problem
        if self.monthly_budget is not None and self.monthly_budget < ZERO:
            errors["monthly_budget"] = _("A monthly budget cannot be negative; enter 0 or more.")
        if self.share_percent is not None and self.share_percent > 100:
            errors["share_percent"] = _("A share cannot be more than 100 %.")
        if self.share_percent is None and self.monthly_budget is None and "share_percent" not in errors:
            errors["share_percent"] = _("Enter the coverage: a share (%) or a monthly budget (€).")
        elif self.share_percent is not None and self.monthly_budget is not None:
            errors["monthly_budget"] = _("Enter either a share (%) or a monthly budget (€), not both.")
        if self.valid_from and self.valid_until and self.valid_until < self.valid_from:
            errors["valid_until"] = _("“Valid until” (%(until)s) cannot be before “valid from” (%(from)s).") % {
                "until": self.valid_until.isoformat(), "from": self.valid_from.isoformat()
            }
        if errors:
            raise ValidationError(errors)


# --- letterheads and customer settings -----------------------------------------------------
LETTERHEAD_EXTENSIONS = (".pdf", ".png", ".jpg", ".jpeg")
MAX_LETTERHEAD_BYTES = 10 * 1024 * 1024


def validate_letterhead_file(file) -> None:
    from pathlib import PurePath

    if not hasattr(file, "read") or getattr(file, "_committed", False):
        return
    suffix = PurePath(file.name or "").suffix.lower()
    if suffix not in LETTERHEAD_EXTENSIONS:
        raise ValidationError(
            _("A letterhead must be a PDF, PNG or JPEG file; “%(name)s” is not."), code="letterhead_type", params={"name": PurePath(file.name or "").name}
        )
    if file.size > MAX_LETTERHEAD_BYTES:
        raise ValidationError(_("A letterhead file may be at most 10 MB."), code="letterhead_size")
    file.seek(0)
    head = file.read(8)
    file.seek(0)
    looks_right = head.startswith(b"%PDF") if suffix == ".pdf" else head.startswith(b"\x89PNG") if suffix == ".png" else head.startswith(b"\xff\xd8")
    if not looks_right:
        raise ValidationError(_("The file “%(name)s” is not what its name says (PDF, PNG or JPEG)."), code="letterhead_content", params={"name": PurePath(file.name or "").name})


def letterhead_upload_to(instance, filename: str) -> str:
    return uploads.random_name("letterheads", filename)


class Letterhead(TimeStamped):
    """Briefpapier: a PDF or picture background for documents."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    file = models.FileField(_("file (PDF, PNG or JPEG)"), upload_to=letterhead_upload_to, validators=[validate_letterhead_file])
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("letterhead")
        verbose_name_plural = _("letterheads")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Delivery(models.TextChoices):
    EMAIL = "email", _("e-mail")
    POST = "post", _("post")
    BOTH = "both", _("e-mail and post")


def _discount_rule(errors: dict, percent, days, *, percent_name: str, days_name: str) -> None:
    if percent and not days:
        errors[days_name] = _("An early-payment discount needs its days: within how many days may the customer deduct it?")


class CustomerDefaults(models.Model):
    """Kundeneinstellungen: the site-wide defaults every customer uses unless it overrides them."""

    payment_days = models.PositiveSmallIntegerField(_("payment terms (days net)"), default=14, validators=positive_small())
    discount_percent = models.DecimalField(
        _("early-payment discount (%)"), max_digits=5, decimal_places=2, default=ZERO,
        validators=[MinValueValidator(ZERO), MaxValueValidator(Decimal("100"))],
    )
    discount_days = models.PositiveSmallIntegerField(_("discount days"), null=True, blank=True, validators=positive_small())
    letterhead = models.ForeignKey(Letterhead, verbose_name=_("letterhead"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    delivery = models.CharField(_("document delivery"), max_length=5, choices=Delivery.choices, default=Delivery.EMAIL)
    calendar_color = models.CharField(_("colour in the deployment calendar"), max_length=7, default="#1E88E5", validators=[color_validator])
    hourly_rate = models.DecimalField(
        _("hourly rate (€)"), max_digits=10, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(ZERO)]
    )
    relief_amount = models.DecimalField(
        _("relief amount per month (€)"), max_digits=10, decimal_places=2, default=Decimal("131.00"),
        validators=[MinValueValidator(ZERO)],
        help_text=_("Entlastungsbetrag § 45b SGB XI (131 € since 1 January 2025); suggested as monthly budget of care insurers."),
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("customer settings")
        verbose_name_plural = _("customer settings")

    def __str__(self) -> str:
        return str(_("Customer settings"))

    @classmethod
    def load(cls) -> CustomerDefaults:
        obj, _created = cls.objects.get_or_create(pk=1)
        return obj

    def clean(self) -> None:
        errors: dict = {}
        _discount_rule(errors, self.discount_percent, self.discount_days, percent_name="discount_percent", days_name="discount_days")
        if errors:
            raise ValidationError(errors)


#: The settings a customer may override, in the order of the API answer.
SETTING_NAMES = ("payment_days", "discount_percent", "discount_days", "letterhead", "delivery", "invoice_email", "calendar_color", "hourly_rate")


class CustomerSettings(TimeStamped):
    """A customer's own settings; an empty value means "as default" (R-PAY-2)."""

    customer = models.OneToOneField("fortycrm.Customer", verbose_name=_("customer"), on_delete=models.CASCADE, related_name="own_settings")
    payment_days = models.PositiveSmallIntegerField(_("payment terms (days net)"), null=True, blank=True, validators=positive_small())
    discount_percent = models.DecimalField(
        _("early-payment discount (%)"), max_digits=5, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(ZERO), MaxValueValidator(Decimal("100"))],
    )
    discount_days = models.PositiveSmallIntegerField(_("discount days"), null=True, blank=True, validators=positive_small())
    letterhead = models.ForeignKey(Letterhead, verbose_name=_("letterhead"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    delivery = models.CharField(_("document delivery"), max_length=5, choices=Delivery.choices, blank=True)
    invoice_email = models.EmailField(_("invoice e-mail"), blank=True, help_text=_("Empty: the customer's e-mail address."))
    calendar_color = models.CharField(_("colour in the deployment calendar"), max_length=7, blank=True, validators=[color_validator])
    hourly_rate = models.DecimalField(
        _("hourly rate (€)"), max_digits=10, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(ZERO)]
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("customer settings")
        verbose_name_plural = _("customer settings")

    def __str__(self) -> str:
        return str(_("Settings of %(customer)s") % {"customer": self.customer}) if self.customer_id else ""

    def overrides(self) -> list[str]:
        return [name for name in SETTING_NAMES if getattr(self, name if name != "letterhead" else "letterhead_id") not in (None, "")]


class PriceUnit(models.TextChoices):
    HOUR = "hour", _("per hour")
    FLAT = "flat", _("flat rate per occurrence")


class ServicePrice(TimeStamped):
    """Preisliste: the price of a service kind, as hourly rate or flat rate (R-PAY-2).

    Without customer it is the site-wide default; a customer's own entry for the same
    service kind overrides it. The billing run prices an order with a service kind from
    here (``selectors.service_price_for``); orders without one keep their own price.
    """

    Unit = PriceUnit

    customer = models.ForeignKey(
        "fortycrm.Customer", verbose_name=_("customer"), null=True, blank=True, on_delete=models.CASCADE, related_name="service_prices",
        help_text=_("Empty: the default for all customers."),
    )
    service_kind = models.CharField(_("service kind"), max_length=100, help_text=_("As written in the order, e.g. Unterhaltsreinigung."))
    unit = models.CharField(_("unit"), max_length=5, choices=PriceUnit.choices, default=PriceUnit.HOUR)
    price = models.DecimalField(_("price (€, net)"), max_digits=10, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))])
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("price list entry")
        verbose_name_plural = _("price list")
        ordering = ["customer_id", "service_kind", "id"]
        indexes = [models.Index(fields=["service_kind"], name="serviceprice_kind_idx")]

    def __str__(self) -> str:
        return f"{self.service_kind} ({self.get_unit_display()})" if self.service_kind else str(_("price list entry"))

    def clean(self) -> None:
        self.service_kind = " ".join((self.service_kind or "").split())
        if not self.service_kind:
            raise ValidationError({"service_kind": _("Enter the service kind this price is for, e.g. Unterhaltsreinigung.")})

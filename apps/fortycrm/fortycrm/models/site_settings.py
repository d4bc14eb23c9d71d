from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from fortycrm.ranges import positive_integer, record_number


class SiteSettings(models.Model):
    """One row of site-wide settings, edited in the desk's settings area."""

    customer_number_start = models.PositiveBigIntegerField(
        _("first customer number"),
        default=10000,
        validators=record_number(1),
        help_text=_("The first customer number handed out; later ones count up from the highest given."),
    )
    invoice_number_start = models.PositiveBigIntegerField(_("first invoice number"), default=1, validators=record_number(1))
    intake_status = models.ForeignKey(
        "fortycrm.CustomerStatus",
        verbose_name=_("status for website intake"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Empty: the default status for new customers."),
    )
    intake_tags = models.ManyToManyField("fortycrm.Tag", verbose_name=_("tags for website intake"), blank=True, related_name="+")
    api_rate_limit_per_minute = models.PositiveIntegerField(_("intake requests per minute and key"), default=60, validators=positive_integer())
    # invoices (R-BIL-3, R-BIL-5)
    invoice_sender = models.TextField(
        _("invoice sender"), blank=True, help_text=_("Name and address of your company as printed on invoices, one line each.")
    )
    invoice_vat_id = models.CharField(_("your VAT ID"), max_length=30, blank=True)
    invoice_bank_details = models.TextField(_("bank details"), blank=True, help_text=_("Bank, IBAN and BIC, printed on invoices."))
    invoice_letterhead = models.TextField(_("default letterhead"), blank=True, help_text=_("Text printed at the top of every invoice."))
    small_business = models.BooleanField(
        _("small business (§ 19 UStG)"), default=False, help_text=_("Invoices show no VAT and carry the legal note for small businesses.")
    )

    class Meta:
        verbose_name = _("site settings")
        verbose_name_plural = _("site settings")

    def __str__(self) -> str:
        return str(_("Site settings"))

    @classmethod
    def load(cls) -> SiteSettings:
        obj, _created = cls.objects.get_or_create(pk=1)
        return obj

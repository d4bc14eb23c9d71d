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

    class Meta:
        verbose_name = _("site settings")
        verbose_name_plural = _("site settings")

    def __str__(self) -> str:
        return str(_("Site settings"))

    @classmethod
    def load(cls) -> SiteSettings:
        obj, _created = cls.objects.get_or_create(pk=1)
        return obj

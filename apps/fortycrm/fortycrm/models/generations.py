from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class DataGeneration(models.Model):
    """A counter that moves on whenever a kind of data changes (see ``fortycrm.listcache``).

    Caches key their entries by the generation, so a bump makes every older entry unused in
    every process at once. One row per ``key``; reading it is one primary-key lookup.
    """

    key = models.CharField(_("key"), max_length=40, primary_key=True)
    value = models.BigIntegerField(_("value"), default=0)

    class Meta:
        verbose_name = _("data generation")
        verbose_name_plural = _("data generations")

    def __str__(self) -> str:
        return f"{self.key}: {self.value}"

from django.db import models
from django.utils.translation import gettext_lazy as _


class TimeStamped(models.Model):
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("changed at"), auto_now=True, db_index=True)

    class Meta:
        abstract = True


class Salutation(models.TextChoices):
    NONE = "", _("(none)")
    MS = "ms", _("Ms")
    MR = "mr", _("Mr")
    DIVERSE = "diverse", _("Diverse")


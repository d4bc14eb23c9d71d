"""Website forms (issue 15): a form an office embeds on its own website, and the evidence
(consent, page, time) kept with each prospect that came in through one."""

from __future__ import annotations

import hashlib
import re
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from fortycrm.ranges import positive_small

ORIGIN_RE = re.compile(r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?$")


def new_public_id() -> str:
    """Not a secret: it names the form in its public URLs and grants nothing else."""
    return secrets.token_urlsafe(12)


def consent_text_version(text: str) -> str:
    """The version of a consent text: its first 12 hex digits of SHA-256 (a changed text is a new version)."""
    return hashlib.sha256(text.strip().encode()).hexdigest()[:12] if text.strip() else ""


class WebForm(models.Model):
    name = models.CharField(_("name"), max_length=100)
    public_id = models.CharField(_("public id"), max_length=32, unique=True, default=new_public_id, editable=False)
    allowed_origins = models.TextField(
        _("allowed origins"), blank=True,
        help_text=_("One website address per line, e.g. https://www.gebaeudereinigung-muster.de (scheme and host, no path)."),
    )
    fields = models.JSONField(_("fields offered"), default=list, blank=True)
    status = models.ForeignKey(
        "fortycrm.CustomerStatus", verbose_name=_("status of new prospects"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+", help_text=_("Empty: the status for website intake of the site settings."),
    )
    tags = models.ManyToManyField("fortycrm.Tag", verbose_name=_("tags of new prospects"), blank=True, related_name="+")
    account_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("account manager to notify"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    thank_you_text = models.TextField(_("thank-you text"), blank=True, default="")
    redirect_url = models.URLField(_("redirect URL"), blank=True, default="", help_text=_("Instead of the thank-you text: the page shown after sending."))
    consent_text = models.TextField(_("consent text"), blank=True, default="", help_text=_("Privacy consent (DSGVO); when set, the consent box is required."))
    double_opt_in = models.BooleanField(_("double opt-in"), default=False, help_text=_("The sender confirms the enquiry by a link in an e-mail."))
    unconfirmed_days = models.PositiveSmallIntegerField(
        _("delete unconfirmed after days"), default=7, validators=positive_small(1),
    )
    min_fill_seconds = models.PositiveSmallIntegerField(_("minimum fill time (seconds)"), default=3, validators=positive_small())
    limit_per_address = models.PositiveSmallIntegerField(_("submissions per minute and address"), default=5, validators=positive_small(1))
    limit_per_form = models.PositiveSmallIntegerField(_("submissions per minute for the form"), default=60, validators=positive_small(1))
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("website form")
        verbose_name_plural = _("website forms")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from fortycrm.webforms.fields import ALWAYS_REQUIRED, offered_field_map

        errors: dict[str, list[str]] = {}
        for line in self.allowed_origins.splitlines():
            origin = line.strip()
            if origin and not ORIGIN_RE.match(origin.rstrip("/")):
                errors.setdefault("allowed_origins", []).append(
                    _("“%(origin)s” is no website address; write it as https://www.example.de (no path).") % {"origin": origin[:80]}
                )
        offered = offered_field_map()
        rows = self.fields if isinstance(self.fields, list) else []
        names = [row.get("name") for row in rows if isinstance(row, dict)]
        unknown = [str(n) for n in names if n not in offered]
        if unknown or len(names) != len(rows) or len(set(names)) != len(names):
            errors.setdefault("fields", []).append(_("Unknown or repeated fields: %(names)s.") % {"names": ", ".join(unknown) or "—"})
        required = {row.get("name") for row in rows if isinstance(row, dict) and row.get("required")}
        for name in ALWAYS_REQUIRED:
            if name not in required:
                errors.setdefault("fields", []).append(_("The field “%(label)s” must be offered and required.") % {"label": offered[name].label})
        if self.double_opt_in and "email" not in required:
            errors.setdefault("double_opt_in", []).append(_("Double opt-in needs the e-mail field, offered and required."))
        if errors:
            raise ValidationError(errors)

    def origins(self) -> list[str]:
        return [line.strip().rstrip("/").lower() for line in self.allowed_origins.splitlines() if line.strip()]


class WebFormSubmission(models.Model):
    """How a prospect came in through a website form: the evidence of consent (DSGVO Art. 7)."""

    customer = models.OneToOneField("fortycrm.Customer", verbose_name=_("customer"), on_delete=models.CASCADE, related_name="web_submission")
    form = models.ForeignKey(WebForm, verbose_name=_("website form"), null=True, blank=True, on_delete=models.SET_NULL, related_name="submissions")
    form_name = models.CharField(_("form"), max_length=100)
    submitted_at = models.DateTimeField(_("sent at"), db_index=True)
    page_url = models.CharField(_("page URL"), max_length=500, blank=True, default="")
    consent_text = models.TextField(_("consent text"), blank=True, default="")
    consent_version = models.CharField(_("consent text version"), max_length=12, blank=True, default="")
    consented_at = models.DateTimeField(_("consent given at"), null=True, blank=True)
    confirm_token = models.CharField(max_length=64, null=True, blank=True, unique=True, editable=False)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    notify_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("account manager to notify"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )

    class Meta:
        verbose_name = _("website form submission")
        verbose_name_plural = _("website form submissions")
        indexes = [models.Index(fields=["notify_user", "submitted_at"], name="submission_notify_time_idx")]  # start page

    def __str__(self) -> str:
        return f"{self.form_name} {self.submitted_at:%Y-%m-%d %H:%M}"

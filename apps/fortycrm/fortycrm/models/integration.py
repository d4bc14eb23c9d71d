from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from rest_framework_api_key.models import AbstractAPIKey

from fortycrm.ranges import positive_small


class ApiScope(models.TextChoices):
    READ = "read", _("read")
    WRITE = "write", _("read and write")
    INTAKE = "intake", _("intake only (website forms)")


class ApiKey(AbstractAPIKey):
    """API key (R-API-3): stored hashed, shown once, revocable, with a scope."""

    Scope = ApiScope

    # the library's fields, with labels the desk can translate
    prefix = models.CharField(_("prefix"), max_length=8, unique=True, editable=False)
    created = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    name = models.CharField(
        _("name"), max_length=50, blank=False, default=None,
        help_text=_("A free-form name for the API key. Need not be unique. 50 characters max."),
    )
    revoked = models.BooleanField(
        _("revoked"), blank=True, default=False,
        help_text=_("If the API key is revoked, clients cannot use it anymore. (This cannot be undone.)"),
    )
    scope = models.CharField(_("scope"), max_length=10, choices=ApiScope.choices, default=ApiScope.READ)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta(AbstractAPIKey.Meta):
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")


class IntakeRequest(models.Model):
    """Remembers intake answers per caller and Idempotency-Key so a repeated POST creates nothing new.

    ``owner`` names the caller: ``"key:<id>"`` for an API key, ``"user:<id>"`` for a desk
    session (see ``services.intake.intake_owner``). It is never empty, so the unique
    constraint holds for session callers too (a NULL ``api_key`` would never collide).
    """

    owner = models.CharField(max_length=200)
    api_key = models.ForeignKey(ApiKey, on_delete=models.CASCADE, related_name="+", null=True)
    key = models.CharField(max_length=200)
    request_hash = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField(default=201, validators=positive_small())
    response_body = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("intake request")
        verbose_name_plural = _("intake requests")
        constraints = [models.UniqueConstraint(fields=["owner", "key"], name="intake_idempotency_owner_unique")]

    def __str__(self) -> str:
        return self.key

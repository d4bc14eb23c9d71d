from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from fortycrm import uploads
from fortycrm.ranges import positive_integer


class ImportLog(models.Model):
    """Datenimport: who imported which file when, with what result (R-IMP-5)."""

    class State(models.TextChoices):
        PENDING = "pending", _("waiting")
        RUNNING = "running", _("running")
        PREVIEWED = "previewed", _("previewed")
        DONE = "done", _("imported")
        FAILED = "failed", _("failed")

    class Mode(models.TextChoices):
        INSERT = "insert", _("insert new")
        UPDATE = "update", _("update existing by customer number")

    template = models.CharField(_("template"), max_length=40)
    mode = models.CharField(_("mode"), max_length=10, choices=Mode.choices, default=Mode.INSERT)
    file_name = models.CharField(_("file"), max_length=255)
    file = models.FileField(_("uploaded file"), upload_to=uploads.import_file_upload_to, blank=True)
    dry_run = models.BooleanField(_("preview only"), default=False)
    allow_duplicates = models.BooleanField(
        _("Import possible duplicates anyway"), default=False, help_text=_("Same name and postcode or same e-mail are then only flagged, not refused.")
    )
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.PENDING)
    total_rows = models.PositiveIntegerField(_("rows"), default=0, validators=positive_integer())
    processed_rows = models.PositiveIntegerField(_("processed rows"), default=0, validators=positive_integer())
    created_count = models.PositiveIntegerField(_("created"), default=0, validators=positive_integer())
    updated_count = models.PositiveIntegerField(_("changed"), default=0, validators=positive_integer())
    unchanged_count = models.PositiveIntegerField(_("unchanged"), default=0, validators=positive_integer())
    error_count = models.PositiveIntegerField(_("errors"), default=0, validators=positive_integer())
    errors = models.JSONField(_("problems"), default=list, blank=True)
    warnings = models.JSONField(_("notes"), default=list, blank=True)
    problem_groups = models.JSONField(_("problems by cause"), default=list, blank=True)
    runner = models.CharField(_("run by"), max_length=200, blank=True, help_text=_("Host and process that runs the import, to notice a process that ended."))
    job_id = models.CharField(_("job"), max_length=100, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("imported by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("started at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["created_at", "id"], name="importlog_created_idx")]

    def __str__(self) -> str:
        return f"{self.template}: {self.file_name}"

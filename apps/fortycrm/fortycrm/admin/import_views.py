"""Datenimport in the desk (R-IMP): templates, upload, preview with hints next to the rows,
error file, commit, progress bar, import log list."""

from __future__ import annotations

from django import forms
from django.apps import apps
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import formats
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST
from unfold.admin import ModelAdmin
from unfold.decorators import display
from unfold.widgets import UnfoldAdminFileFieldWidget, UnfoldAdminSelectWidget, UnfoldBooleanSwitchWidget

from fortycrm import jobs
from fortycrm.admin.base import color_badge
from fortycrm.admin.lists import FastListMixin
from fortycrm.imports import files
from fortycrm.imports.columns import TEMPLATE_MODELS, TEMPLATES, get_template, import_permission, template_permission
from fortycrm.imports.import_log import INTERRUPTED, import_progress, mark_interrupted, mark_interrupted_runs
from fortycrm.imports.parsing import FileError, count_rows, match_headers, open_table
from fortycrm.imports.parsing import display as cell_text
from fortycrm.models import ImportLog

MAX_UPLOAD_BYTES = 50 * 1024 * 1024
PREVIEW_ROWS = 50
PROBLEM_ROWS = 300
STATE_COLORS = {
    ImportLog.State.PENDING: "#6B7280",
    ImportLog.State.RUNNING: "#2563EB",
    ImportLog.State.PREVIEWED: "#D97706",
    ImportLog.State.DONE: "#16A34A",
    ImportLog.State.FAILED: "#DC2626",
}


def may_import(user, key: str) -> bool:
    """The user may import the template in at least one mode (add or change its records)."""
    return user is not None and any(user.has_perm(import_permission(key, mode)) for mode in ImportLog.Mode.values)


class UploadForm(forms.Form):
    template = forms.ChoiceField(label=_("Template"), choices=(), widget=UnfoldAdminSelectWidget)
    mode = forms.ChoiceField(label=_("Mode"), choices=ImportLog.Mode.choices, initial=ImportLog.Mode.INSERT, widget=UnfoldAdminSelectWidget)
    file = forms.FileField(label=_("File (CSV or XLSX)"), widget=UnfoldAdminFileFieldWidget)
    allow_duplicates = forms.BooleanField(
        label=_("Import possible duplicates anyway"),
        required=False,
        widget=UnfoldBooleanSwitchWidget,
        help_text=_("Same name and postcode or same e-mail are then only flagged, not refused."),
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        # only the templates whose records the user may create or change
        self.fields["template"].choices = [(t.key, t.title) for t in TEMPLATES.values() if may_import(user, t.key)]

    def clean(self):
        cleaned = super().clean()
        key, mode = cleaned.get("template"), cleaned.get("mode")
        if key and mode and not self.user.has_perm(import_permission(key, mode)):
            model = apps.get_model("fortycrm", TEMPLATE_MODELS[key])._meta.verbose_name_plural
            if mode == ImportLog.Mode.UPDATE:
                message = _("Your role may not change %(model)s, so it cannot update them by import. Ask your administrator for the permission.")
            else:
                message = _("Your role may not create %(model)s, so it cannot import new ones. Ask your administrator for the permission.")
            self.add_error("mode", message % {"model": model})
        return cleaned

    def clean_file(self):
        upload = self.cleaned_data["file"]
        name = upload.name.lower()
        if not name.endswith((".csv", ".txt", ".xlsx", ".xlsm")):
            raise forms.ValidationError(_("Upload a CSV (.csv) or Excel (.xlsx) file. Old .xls files: save them as .xlsx first."))
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is larger than 50 MB. Split it into several files."))
        if upload.size == 0:
            raise forms.ValidationError(_("The file is empty."))
        return upload


def group_for_display(group: dict) -> dict:
    """A cause with its row count and first rows as the preview lists it."""
    rows = [str(r) for r in group.get("rows", [])]
    return {
        **group,
        "count_text": formats.number_format(group.get("count", 0), 0, use_l10n=True, force_grouping=True),  # 1.250
        "row_list": ", ".join(rows) + (", …" if group.get("count", 0) > len(rows) else ""),
    }


@admin.register(ImportLog)
class ImportLogAdmin(FastListMixin, ModelAdmin):
    list_display = ["created_at", "template_title", "file_name", "user_name", "mode", "state_badge", "total_rows", "created_count", "updated_count", "unchanged_count", "error_count"]
    list_display_links = ["created_at", "file_name"]
    list_filter = ["state", "template", "mode"]
    search_fields = ["file_name"]
    list_per_page = 50
    sortable_by = ["created_at"]  # has an index (issue 13)

    # --- list ---------------------------------------------------------------------------
    @display(description=_("template"), ordering="template")
    def template_title(self, obj):
        template = TEMPLATES.get(obj.template)
        return template.title if template else obj.template

    @display(description=_("imported by"), ordering="user__last_name")
    def user_name(self, obj):
        from fortycrm.models.staff import person_name

        return person_name(obj.user) if obj.user_id else "—"

    @display(description=_("state"), ordering="state")
    def state_badge(self, obj):
        label = obj.get_state_display()
        if obj.dry_run and obj.state == ImportLog.State.FAILED:
            label = _("preview with problems")
        return color_badge(label, STATE_COLORS.get(obj.state, "#6B7280"))

    def has_change_permission(self, request, obj=None):
        return False if obj is not None else super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    def changelist_view(self, request, extra_context=None):
        mark_interrupted_runs()  # a run whose process ended shows as failed, not "running" forever
        return super().changelist_view(request, extra_context)

    # --- urls ---------------------------------------------------------------------------
    def get_urls(self):
        wrap = self.admin_site.admin_view
        custom = [
            path("template/<str:name>.<str:fmt>", wrap(self.template_view), name="fortycrm_importlog_template"),
            path("<int:pk>/progress/", wrap(self.progress_view), name="fortycrm_importlog_progress"),
            path("<int:pk>/errors.csv", wrap(self.errors_view), name="fortycrm_importlog_errors"),
            path("<int:pk>/commit/", wrap(require_POST(self.commit_view)), name="fortycrm_importlog_commit"),
        ]
        return custom + super().get_urls()

    def _check(self, request, perm: str = "view") -> None:
        if not request.user.has_perm(f"fortycrm.{perm}_importlog"):
            raise PermissionDenied

    def template_view(self, request, name: str, fmt: str):
        self._check(request)
        if name not in TEMPLATES or fmt not in ("csv", "xlsx"):
            raise Http404(_("Unknown template."))
        if not request.user.has_perm(template_permission(name, "view")):
            raise PermissionDenied
        template = get_template(name)
        title = str(template.title).lower().replace(" ", "_")
        if fmt == "csv":
            response = HttpResponse(files.template_csv(template), content_type="text/csv; charset=utf-8")
        else:
            response = HttpResponse(files.template_xlsx(template), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        response["Content-Disposition"] = f'attachment; filename="fortycrm_{title}.{fmt}"'
        return response

    def progress_view(self, request, pk: int):
        self._check(request)
        log = get_object_or_404(ImportLog, pk=pk)
        return JsonResponse(import_progress(log))

    def errors_view(self, request, pk: int):
        self._check(request)
        log = get_object_or_404(ImportLog, pk=pk)
        response = HttpResponse(files.errors_csv([*log.errors, *log.warnings]), content_type="text/csv; charset=utf-8")
        stem = log.file_name.rsplit(".", 1)[0] or "import"
        response["Content-Disposition"] = f'attachment; filename="{stem}_problems.csv"'
        return response

    def commit_view(self, request, pk: int):
        self._check(request, "add")
        log = get_object_or_404(ImportLog, pk=pk)
        if log.template not in TEMPLATES or not request.user.has_perm(import_permission(log.template, log.mode)):
            raise PermissionDenied
        if log.state != ImportLog.State.PREVIEWED or not log.dry_run:
            messages.error(request, _("Only a preview without problems can be imported. Upload the corrected file again."))
            return HttpResponseRedirect(reverse("admin:fortycrm_importlog_change", args=[log.pk]))
        ImportLog.objects.filter(pk=log.pk).update(state=ImportLog.State.PENDING)
        jobs.import_start(log.pk, dry_run=False)
        log.refresh_from_db()
        if log.state == ImportLog.State.DONE:
            messages.success(request, _("Import finished: %(created)d created, %(updated)d changed, %(unchanged)d unchanged.")
                             % {"created": log.created_count, "updated": log.updated_count, "unchanged": log.unchanged_count})
        return HttpResponseRedirect(reverse("admin:fortycrm_importlog_change", args=[log.pk]))

    # --- upload (the "add" page) ----------------------------------------------------------
    def add_view(self, request, form_url="", extra_context=None):
        self._check(request, "add")
        form = UploadForm(request.POST or None, request.FILES or None, user=request.user,
                          initial={"template": request.GET.get("template", "company_customers")})
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            log = ImportLog(
                template=form.cleaned_data["template"],
                mode=form.cleaned_data["mode"],
                file_name=upload.name[:255],
                dry_run=True,
                allow_duplicates=form.cleaned_data["allow_duplicates"],
                user=request.user,
            )
            log.file.save(upload.name, upload, save=False)
            try:
                with log.file.open("rb") as f:
                    log.total_rows = count_rows(f, log.file_name)
            except FileError:
                log.total_rows = 0
            log.save()
            jobs.import_start(log.pk, dry_run=True)
            return HttpResponseRedirect(reverse("admin:fortycrm_importlog_change", args=[log.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": _("Data import"),
            "opts": self.model._meta,
            "form": form,
            "templates": [
                {
                    "key": t.key,
                    "title": t.title,
                    "csv": reverse("admin:fortycrm_importlog_template", args=[t.key, "csv"]),
                    "xlsx": reverse("admin:fortycrm_importlog_template", args=[t.key, "xlsx"]),
                }
                for t in TEMPLATES.values()
                if may_import(request.user, t.key)
            ],
            "log_url": reverse("admin:fortycrm_importlog_changelist"),
            "threshold": jobs.import_job_threshold(),
        }
        return TemplateResponse(request, "fortycrm/admin/import_upload.html", context)

    # --- preview / result (the "change" page) ---------------------------------------------
    def change_view(self, request, object_id, form_url="", extra_context=None):
        self._check(request)
        if not str(object_id).isdigit():
            raise Http404
        log = get_object_or_404(ImportLog, pk=object_id)
        mark_interrupted(log)
        problems = [*log.errors, *log.warnings]
        by_row: dict[int, list[dict]] = {}
        for problem in problems:
            by_row.setdefault(int(problem.get("row") or 0), []).append(problem)
        headers, rows = self._rows_for_display(log, by_row)
        file_problems = [p for p in problems if int(p.get("row") or 0) <= 1 and p.get("code") != INTERRUPTED]
        template = TEMPLATES.get(log.template)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Import %(file)s") % {"file": log.file_name},
            "opts": self.model._meta,
            "log": log,
            "template_title": template.title if template else log.template,
            "progress": import_progress(log),
            "headers": headers,
            "rows": rows,
            "file_problems": file_problems,
            "row_problem_count": len({p["row"] for p in problems if int(p.get("row") or 0) > 1 and p.get("level") == "error"}),
            "more_problems": max(0, log.error_count - len(log.errors)),
            "can_commit": log.state == ImportLog.State.PREVIEWED and log.dry_run and request.user.has_perm("fortycrm.add_importlog")
            and log.template in TEMPLATES and request.user.has_perm(import_permission(log.template, log.mode)),
            "running": log.state in (ImportLog.State.PENDING, ImportLog.State.RUNNING),
            "progress_url": reverse("admin:fortycrm_importlog_progress", args=[log.pk]),
            "errors_url": reverse("admin:fortycrm_importlog_errors", args=[log.pk]),
            "commit_url": reverse("admin:fortycrm_importlog_commit", args=[log.pk]),
            "upload_url": reverse("admin:fortycrm_importlog_add") + f"?template={log.template}",
            "customers_url": reverse("admin:fortycrm_customer_changelist"),
            "is_customer_import": bool(template and template.is_customer),
            "interrupted": any(p.get("code") == INTERRUPTED for p in log.errors),
            "groups": [group_for_display(g) for g in log.problem_groups if g.get("count", 0) > 1],
        }
        return TemplateResponse(request, "fortycrm/admin/import_detail.html", context)

    def _rows_for_display(self, log: ImportLog, by_row: dict[int, list[dict]]):
        """The file's rows with their problems beside them: rows with problems first, then the first rows."""
        template = TEMPLATES.get(log.template)
        if not log.file or template is None:
            return [], []
        try:
            with log.file.open("rb") as f:
                table = open_table(f, log.file_name)
                match = match_headers(template, table.headers)
                indexes = sorted(match.by_index)
                bad_anywhere = {p.get("column") for problems in by_row.values() for p in problems if int(p.get("row") or 0) > 1}
                # the columns with problems first, so the red cell is in view next to the hints
                indexes.sort(key=lambda i: str(table.headers[i]).strip() not in bad_anywhere)
                headers = [str(table.headers[i]).strip() for i in indexes]
                rows = []
                shown_plain = 0
                for number, cells in table.rows:
                    problems = by_row.get(number, [])
                    if not problems and shown_plain >= PREVIEW_ROWS:
                        continue
                    if not problems:
                        shown_plain += 1
                    bad_columns: dict[str, list[str]] = {}
                    for p in problems:
                        bad_columns.setdefault(p.get("column"), []).append(p.get("message", ""))
                    rows.append(
                        {
                            "number": number,
                            "cells": [
                                {
                                    "text": cell_text(cells[i]) if i < len(cells) else "",
                                    "bad": headers[k] in bad_columns,
                                    "problem": " ".join(bad_columns.get(headers[k], [])),
                                }
                                for k, i in enumerate(indexes)
                            ],
                            "problems": problems,
                            "has_error": any(p.get("level") == "error" for p in problems),
                        }
                    )
                    if len(rows) >= PREVIEW_ROWS + PROBLEM_ROWS:
                        break
                return headers, rows
        except (FileError, OSError, ValueError):
            return [], []


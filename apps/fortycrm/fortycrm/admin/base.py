"""Pieces shared by the desk's ModelAdmins."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.admin.utils import model_ngettext, unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.forms import ModelForm
from django.http import Http404, HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin
from unfold.decorators import action

CONTACT_FIELDS = [
    ("salutation", "title"),
    ("first_name", "last_name"),
    ("role", "priority"),
    ("phone", "mobile", "email"),
    "birthday",
    "notes",
]


def color_badge(text: str, color: str):
    return format_html(
        '<span class="fortycrm-badge" style="background:{};color:#fff;border-radius:9999px;padding:2px 8px;'
        'font-size:12px;white-space:nowrap">{}</span>',
        color,
        text,
    )


def add_service_errors(form: ModelForm, exc: ValidationError | PermissionDenied) -> None:
    """Attach a service's ValidationError to the form fields it names (or to the form)."""
    if isinstance(exc, PermissionDenied):
        form.add_error(None, str(exc))
        return
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def history_table(obj, limit: int = 15):
    """Recent changes of a record: who, when, field, old → new (R-CUS-7)."""
    from fortycrm.selectors import history_of

    rows = history_of(obj, limit=limit)
    if not rows:
        return _("No changes recorded yet.")
    body = format_html_join(
        "",
        "<tr><td style='padding:2px 8px;white-space:nowrap'>{}</td><td style='padding:2px 8px'>{}</td>"
        "<td style='padding:2px 8px'>{}</td></tr>",
        ((row["when"], row["who"], row["what"]) for row in rows),
    )
    return format_html(
        "<table class='fortycrm-history'><thead><tr><th style='text-align:left;padding:2px 8px'>{}</th>"
        "<th style='text-align:left;padding:2px 8px'>{}</th><th style='text-align:left;padding:2px 8px'>{}</th></tr></thead>"
        "<tbody>{}</tbody></table>",
        _("When"),
        _("Who"),
        _("Change"),
        body,
    )


class ProtectedDeleteMixin:
    """Deleting goes through a service that may refuse (e.g. a status still in use).

    The single delete view and the bulk action ask ``delete_problem`` first and show its
    message instead of deleting; a bulk action deletes nothing if any record is refused.
    Subclasses name the service in ``delete_problem`` and ``delete_with``, and list
    ``"delete_checked"`` in ``actions``.
    """

    def delete_problem(self, obj) -> str | None:
        raise NotImplementedError

    def delete_with(self, obj) -> None:
        raise NotImplementedError

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # replaced by delete_checked
        return actions

    def delete_view(self, request, object_id, extra_context=None):
        obj = self.get_object(request, object_id)
        if obj is not None:
            problem = self.delete_problem(obj)
            if problem:
                messages.error(request, problem)
                opts = self.model._meta
                return HttpResponseRedirect(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk]))
        return super().delete_view(request, object_id, extra_context)

    def delete_model(self, request, obj):
        self.delete_with(obj)

    @action(description=_("Delete selected %(verbose_name_plural)s"), permissions=["delete"])
    def delete_checked(self, request, queryset):
        problems = [p for p in (self.delete_problem(obj) for obj in queryset) if p]
        if problems:
            for problem in problems:
                messages.error(request, problem)
            messages.error(request, _("Nothing was deleted."))
            return
        count = queryset.count()
        items = model_ngettext(self.opts, count)
        with transaction.atomic():
            for obj in queryset:
                self.delete_with(obj)
        messages.success(request, _("Successfully deleted %(count)d %(items)s.") % {"count": count, "items": items})


class HistoryAdmin(SimpleHistoryAdmin):
    """simple-history's admin; a malformed id in a history URL is "not found", never a 500."""

    def history_view(self, request, object_id, extra_context=None):
        if self.get_object(request, unquote(object_id)) is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if not str(version_id).isdigit() or self.get_object(request, unquote(object_id)) is None:
            raise Http404
        return super().history_form_view(request, object_id, version_id, extra_context)

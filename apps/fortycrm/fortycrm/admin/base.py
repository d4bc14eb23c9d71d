"""Pieces shared by the desk's ModelAdmins."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.admin.utils import model_ngettext, unquote
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.db import transaction
from django.http import Http404, HttpResponseRedirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin
from unfold.decorators import action, display

from fortycrm.admin.forms import add_service_errors  # noqa: F401  (re-exported for the desk modules)
from fortycrm.validators import parse_whole_number

CONTACT_FIELDS = [
    ("salutation", "title"),
    ("first_name", "last_name"),
    ("role", "priority"),
    ("phone", "mobile"),  # two per row: a real number (+49 40 3012 4456) and e-mail address fit
    "email",
    "birthday",
    "notes",
]


def without_birthday(fields):
    """CONTACT_FIELDS without the birthday: offered only for contacts of private customers (R-CON-3)."""
    return [f for f in fields if f != "birthday"]


def color_badge(text: str, color: str):
    return format_html(
        '<span class="fortycrm-badge" style="background:{};color:#fff;border-radius:9999px;padding:2px 8px;'
        'font-size:12px;white-space:nowrap">{}</span>',
        color,
        text,
    )




def history_table(obj, limit: int = 15):
    """Recent changes of a record: who, when, field, old → new (R-CUS-7)."""
    from fortycrm.selectors import history_of

    return render_to_string("fortycrm/admin/includes/history_table.html", {"rows": history_of(obj, limit=limit)})


def link(url_name: str, obj, text=None):
    """A link to ``obj``'s desk page (``url_name`` takes its pk)."""
    return format_html('<a href="{}" class="text-primary-600 underline">{}</a>', reverse(url_name, args=[obj.pk]), text or obj)


def active_orders_table(orders):
    """ "Aktive Leistungen": the running orders as a small table (R-LOC-2, R-BIL-1)."""
    return render_to_string("fortycrm/admin/includes/active_orders_table.html", {"orders": list(orders)})


# --- inline rows without nested inlines -------------------------------------------------------
class FlatInlineMixin:
    """unfold's inline templates ask every row's form for ``nested_formsets`` (its nested inlines)
    once per cell; a form without the attribute makes Django's template list the form's
    attributes (``dir()``) each time: 78 times on a meter's page. The desk's inlines have no
    nested inlines, so their forms say so (an empty tuple, what unfold reads as "none")."""

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        if not hasattr(formset.form, "nested_formsets"):
            formset.form.nested_formsets = ()
        return formset


class NoNestedInlinesMixin:
    """A ModelAdmin whose inlines have no nested inlines skips unfold's search for them.

    Unfold's ``_build_nested_formsets`` asks each formset ``hasattr(formset, "empty_form")``
    before it looks whether the inline has nested inlines at all, and that builds a whole empty
    form per inline and page, for nothing (issue 13). Only inlines that declare ``inlines`` are
    handed to it; the others' forms say "none" already (``FlatInlineMixin``).
    """

    def _build_nested_formsets(self, request, obj, formsets, inline_instances, change):
        nested = [(formset, inline) for formset, inline in zip(formsets, inline_instances) if getattr(inline, "inlines", None)]
        if nested:
            super()._build_nested_formsets(request, obj, [f for f, _ in nested], [i for _, i in nested], change)


# --- read-only sections computed once per record and page -------------------------------
class ReadonlyOnceMixin:
    """The read-only display methods (history, active services, panels, row links …) run once
    per record and page.

    Unfold builds a read-only field's value each time it walks a fieldset: for the tabs, their
    error counts, the row classes, and the rendering (up to seven times on the customer record,
    issue 13). The methods named in ``readonly_fields`` are remembered per record instance, which
    lives for one request only.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.readonly_fields:
            method = getattr(type(self), name, None) if isinstance(name, str) else None
            if callable(method) and not isinstance(method, type):
                setattr(self, name, _once_per_record(getattr(self, name), name))


def _once_per_record(bound, name: str):
    import functools

    @functools.wraps(bound)
    def remembered(obj):
        if obj is None:
            return bound(obj)
        values = obj.__dict__.setdefault("_fortycrm_readonly_values", {})
        key = (id(bound.__self__), name)
        if key not in values:
            values[key] = bound(obj)
        return values[key]

    return remembered


# --- long row lists on a record page ---------------------------------------------------------
class ShowAllInlineMixin:
    """A record's long list of rows (500 contacts, 5,000 readings; issue 13): a few rows per page
    are editable on the record (``per_page``), and above them a link opens the whole list
    filtered to this record ("Alle 500 in der Liste anzeigen"), where it can be searched,
    sorted and paged. Each editable row costs rendering time, so the pages are short.

    Subclasses name ``show_all_list`` (the changelist's URL name) and ``show_all_parameter``
    (its filter parameter, a ``RecordFilter`` of that list).
    """

    template_before = "fortycrm/admin/includes/inline_show_all.html"
    show_all_list = ""
    show_all_parameter = ""

    def get_formset(self, request, obj=None, **kwargs):
        from urllib.parse import urlencode

        formset = super().get_formset(request, obj, **kwargs)
        formset.show_all_url = ""
        if obj is not None and obj.pk and self.show_all_list:
            formset.show_all_url = f"{reverse(self.show_all_list)}?{urlencode({self.show_all_parameter: obj.pk})}"
        return formset


# --- inlines saved through services ------------------------------------------------------
class ServiceSavedInline(FlatInlineMixin, ReadonlyOnceMixin):
    """An inline whose rows are saved and deleted by services, never by ``formset.save()``.

    Each inline names its services in ``save_row`` and ``delete_row``; the ModelAdmin's
    ``save_formset`` (``ServiceFormsetsMixin``) calls them for the inline's formset.
    """

    def save_row(self, obj) -> None:
        raise NotImplementedError

    def delete_row(self, obj) -> None:
        raise NotImplementedError

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.saved_by = self
        return formset


def save_formset_via_services(request, formset) -> bool:
    """Save an inline formset through its inline's services. False: not a ServiceSavedInline."""
    inline = getattr(formset, "saved_by", None)
    if inline is None:
        return False
    instances = formset.save(commit=False)
    for obj in formset.deleted_objects:
        inline.delete_row(obj)
    for instance in instances:
        inline.save_row(instance)
    formset.save_m2m()
    return True


class ServiceFormsetsMixin:
    """A ModelAdmin whose ServiceSavedInline formsets are saved through their services."""

    def save_formset(self, request, form, formset, change):
        if not save_formset_via_services(request, formset):
            super().save_formset(request, form, formset, change)


class SafePrefillMixin:
    """An add page prefilled from the URL (``?customer=12``) ignores ids that are not whole numbers.

    Django's admin copies the query string into the form's initial data; a value like "abc"
    for a relation would reach the database as an id and answer 500. Such a value is dropped,
    so the field starts empty (ids of records that do not exist are ignored by the form).
    """

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        for name in list(initial):
            try:
                field = self.model._meta.get_field(name)
            except FieldDoesNotExist:
                continue
            if not field.is_relation:
                continue
            values = initial[name] if isinstance(initial[name], list) else [initial[name]]
            ids = [number for number in (parse_whole_number(v) for v in values) if number is not None]
            if field.many_to_many:
                initial[name] = ids
            elif ids and len(values) == 1:
                initial[name] = ids[0]
            else:
                del initial[name]
        return initial


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


class HistoryAdmin(ReadonlyOnceMixin, SimpleHistoryAdmin):
    """simple-history's admin; a malformed id in a history URL is "not found", never a 500."""

    object_history_list_template = "fortycrm/admin/history_list.html"  # no "None" as change reason
    # unfold's templates ask for it once per form field; missing, every lookup costs a dir() of the admin
    conditional_fields: dict = {}  # noqa: RUF012

    def history_view(self, request, object_id, extra_context=None):
        if self.get_object(request, unquote(object_id)) is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        if parse_whole_number(version_id) is None or obj is None:
            raise Http404
        if request.method == "POST" and (self.revert_disabled(request, obj) or not self.has_change_permission(request, obj)):
            raise PermissionDenied  # reverting is changing: the same permission as the change page
        return super().history_form_view(request, object_id, version_id, extra_context)

    @display(description=_("Recent changes"))
    def history_section(self, obj):
        return history_table(obj) if obj and obj.pk else "—"

"""Record tabs whose rows are rendered when the user opens them (issue 13).

Unfold renders every tab of a record up front: each inline's rows and its empty template row,
although the user sees only the open tab ("Allgemein" when the record opens). On a customer with
500 contacts and 200 locations that rendering was most of the page's time. With this mixin an
inline shown as a tab (``tab = True``) is rendered on the record page only as an empty placeholder
for its tab; opening the tab fetches its HTML from ``…/tab/<prefix>/`` (the same permission checks as
the record, the rows built exactly as on the record) and puts it into the form.

Saving: a tab that was never opened sends no management form. Its formset is then left out of
validation and saving (nothing of it is changed or deleted); a tab that was opened is sent, checked
and saved as before, and shown again with its errors (that tab opens) when the form has errors.
A tab whose inline page is asked for in the address (``?contacts-page=2``, unfold's inline
pagination) is rendered on the page itself, so paging keeps working without script.
"""

from __future__ import annotations

from collections import defaultdict
from functools import cached_property

from django import forms
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.template.response import TemplateResponse
from django.urls import path, reverse

PLACEHOLDER_TEMPLATE = "fortycrm/admin/includes/inline_lazy_tab.html"


def _stub(formset_class):
    """The formset class of a tab that is not rendered: unbound, with no rows built."""

    class LazyTabFormSet(formset_class):
        lazy_tab = True

        def __init__(self, *args, **kwargs):
            kwargs["data"] = None
            kwargs["files"] = None
            if "per_page" in kwargs:
                kwargs["per_page"] = None  # unfold's inline pages: no count of rows that are not shown
            super().__init__(*args, **kwargs)

        @cached_property
        def forms(self):
            return []

        @cached_property
        def _no_rows(self):
            rows = self.model._default_manager.none()
            len(rows)  # evaluated once (no query): asked for on every look at the formset's size
            return rows

        def get_queryset(self):
            # no rows are shown, so none are read (Django's admin still iterates them with the forms)
            return self._no_rows

        @cached_property
        def empty_form(self):
            # built once: the page asks for it four times (its media, the nested inlines, the
            # prepopulated fields), Django builds a new form each time
            return super().empty_form

    LazyTabFormSet.__name__ = formset_class.__name__
    return LazyTabFormSet


class LazyInlineTabsMixin:
    """A ModelAdmin whose tab inlines load on demand (see the module's docstring)."""

    @property
    def media(self):
        return super().media + forms.Media(js=["fortycrm/lazy_tabs.js"])

    # --- which tabs are rendered -----------------------------------------------------------
    def _tab_is_lazy(self, request: HttpRequest, inline, prefix: str) -> bool:
        if not getattr(inline, "tab", False):
            return False
        wanted = getattr(request, "_fortycrm_tab", None)
        if wanted is not None:  # the tab view: only the asked tab is built
            return prefix != wanted
        if request.method == "POST":
            return f"{prefix}-TOTAL_FORMS" not in request.POST  # never opened: not sent
        return f"{prefix}-page" not in request.GET  # unfold's inline paging asks for the page itself

    def get_formsets_with_inlines(self, request, obj=None):
        # the prefixes as Django's _create_formsets gives them
        prefixes: dict[str, int] = defaultdict(int)
        for formset_class, inline in super().get_formsets_with_inlines(request, obj):
            prefix = formset_class.get_default_prefix()
            prefixes[prefix] += 1
            if prefixes[prefix] != 1 or not prefix:
                prefix = f"{prefix}-{prefixes[prefix]}"
            if self._tab_is_lazy(request, inline, prefix):
                formset_class = _stub(formset_class)
            yield formset_class, inline

    def _create_formsets(self, request, obj, change):
        formsets, inline_instances = super()._create_formsets(request, obj, change)
        # the tabs not rendered are neither validated nor saved; they come back for the page
        request._fortycrm_lazy_tabs = [
            (index, formset, inline) for index, (formset, inline) in enumerate(zip(formsets, inline_instances)) if getattr(formset, "lazy_tab", False)
        ]
        kept = [(formset, inline) for formset, inline in zip(formsets, inline_instances) if not getattr(formset, "lazy_tab", False)]
        return [f for f, _ in kept], [i for _, i in kept]

    def get_inline_formsets(self, request, formsets, inline_instances, obj=None):
        formsets, inline_instances = list(formsets), list(inline_instances)
        for index, formset, inline in getattr(request, "_fortycrm_lazy_tabs", []):
            formsets.insert(index, formset)
            inline_instances.insert(index, inline)
        admin_formsets = super().get_inline_formsets(request, formsets, inline_instances, obj)
        for admin_formset in admin_formsets:
            if getattr(admin_formset.formset, "lazy_tab", False):
                inline = admin_formset.opts
                inline.template = PLACEHOLDER_TEMPLATE
                inline.lazy_tab_url = self._tab_url(obj, admin_formset.formset.prefix)
        return admin_formsets

    def _tab_url(self, obj, prefix: str) -> str:
        opts = self.model._meta
        if obj is not None and obj.pk:
            return reverse(f"admin:{opts.app_label}_{opts.model_name}_tab", args=[obj.pk, prefix])
        return reverse(f"admin:{opts.app_label}_{opts.model_name}_add_tab", args=[prefix])

    # --- the tab view ----------------------------------------------------------------------
    def get_urls(self):
        opts = self.model._meta
        info = (opts.app_label, opts.model_name)
        view = self.admin_site.admin_view(self.tab_view)
        return [
            path("add/tab/<str:prefix>/", view, name=f"{info[0]}_{info[1]}_add_tab"),
            path("<path:object_id>/tab/<str:prefix>/", view, name=f"{info[0]}_{info[1]}_tab"),
            *super().get_urls(),
        ]

    def tab_view(self, request: HttpRequest, prefix: str, object_id: str | None = None):
        """The HTML of one tab of a record (or of the add page), as the record page would render it."""
        obj = None
        if object_id is not None:
            obj = self.get_object(request, unquote(object_id))
            if obj is None:
                raise Http404
            if not self.has_view_or_change_permission(request, obj):
                raise PermissionDenied
        elif not self.has_add_permission(request):
            raise PermissionDenied
        request._fortycrm_tab = prefix
        formsets, inline_instances = self._create_formsets(request, obj, change=obj is not None)
        admin_formsets = self.get_inline_formsets(request, formsets, inline_instances, obj)
        chosen = [f for f in admin_formsets if f.formset.prefix == prefix and getattr(f.opts, "tab", False)]
        if not chosen:
            raise Http404
        opts = self.model._meta
        context = {
            "inline_admin_formset": chosen[0],
            "opts": opts,
            "original": obj,
            "change": obj is not None,
            "add": obj is None,
            "is_popup": False,
            "has_view_permission": self.has_view_permission(request, obj),
            "has_change_permission": self.has_change_permission(request, obj),
            "has_add_permission": self.has_add_permission(request),
            "has_delete_permission": self.has_delete_permission(request, obj),
        }
        return TemplateResponse(request, chosen[0].opts.template, context)

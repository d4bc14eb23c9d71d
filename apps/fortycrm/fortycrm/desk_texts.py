"""German names for things the libraries name in English (issue 12, item 1).

- Permissions are stored with English names ("Can add customer"); the desk shows them as
  "Kunden: anlegen" and leaves out permissions nobody assigns (history tables, sessions,
  library internals).
- The link rows of many-to-many fields ("Customer_tags object (1)", shown on delete pages)
  get a German name: "Schlagwörter von Kunde: Hausverwaltung Nord GmbH – Winterdienst".
"""

from __future__ import annotations

from django.apps import apps
from django.db.models import Q
from django.utils.text import capfirst, format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

VERBS = {"add": _("add"), "change": _("change"), "delete": _("delete"), "view": _("view")}
# apps whose permissions are assigned to roles; the rest are library internals
ASSIGNABLE_APPS = ("fortycrm", "auth")


def permission_label(permission) -> str:
    """ "Kunden: anlegen" for add_customer; a custom permission by its (translated) name."""
    model = permission.content_type.model_class()
    action, _sep, model_name = permission.codename.partition("_")
    if model is not None and action in VERBS and model_name == model._meta.model_name:
        return f"{capfirst(model._meta.verbose_name_plural)}: {VERBS[action]}"
    prefix = f"{capfirst(model._meta.verbose_name_plural)}: " if model is not None else ""
    return prefix + gettext(permission.name)


def assignable_permissions(queryset):
    """Permissions a role may sensibly hold: of fortycrm and auth, not of history tables."""
    return queryset.filter(content_type__app_label__in=ASSIGNABLE_APPS).exclude(
        Q(content_type__model__startswith="historical") | Q(content_type__model="ratecounter")
    ).select_related("content_type").order_by("content_type__model", "codename")


class DeskPermissionsMixin:
    """User and group pages: permissions in German, only the assignable ones."""

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if field is not None and db_field.name in ("permissions", "user_permissions"):
            field.queryset = assignable_permissions(field.queryset)
            field.label_from_instance = permission_label
        return field


def _link_str(self) -> str:
    from django.contrib.auth.models import Permission

    ends = [getattr(self, f.name) for f in type(self)._meta.fields if f.is_relation]
    return " – ".join(permission_label(end) if isinstance(end, Permission) else str(end) for end in ends)


def name_link_models() -> None:
    """German verbose names and a readable text for the automatic many-to-many link rows."""
    for model in apps.get_models():
        for field in model._meta.local_many_to_many:
            through = field.remote_field.through
            if not through._meta.auto_created:
                continue
            through._meta.verbose_name = format_lazy(_("{field} of {model}"), field=field.verbose_name, model=model._meta.verbose_name)
            through._meta.verbose_name_plural = through._meta.verbose_name
            through.__str__ = _link_str

"""A save that changes nothing writes no history (issue 12, item 6).

django-simple-history writes a "changed" row on every ``save()``, also when the desk's
"Sichern" or an API PUT sends the same values again; the record's history and the start
page then show "geändert" for nothing. Before such a save the tracked fields are compared
with the stored row; when none differs, the history row is skipped (simple-history's
``skip_history_when_saving``). One query per save of a record with history.
"""

from __future__ import annotations

from django.db.models.fields.files import FieldFile
from django.db.models.signals import post_save, pre_save

_MARK = "_fortycrm_unchanged_save"


def _comparable(value):
    return value.name or "" if isinstance(value, FieldFile) else value


def unchanged(instance) -> bool:
    """True if ``instance`` is stored and its tracked fields equal the stored row."""
    if instance._state.adding or instance.pk is None:
        return False
    history_model = type(instance)._meta.simple_history_manager_attribute
    tracked = [f for f in getattr(instance, history_model).model.tracked_fields if not getattr(f, "auto_now", False)]
    stored = type(instance)._base_manager.using(instance._state.db or "default").filter(pk=instance.pk).values(*[f.attname for f in tracked]).first()
    if stored is None:
        return False
    for field in tracked:
        mine = getattr(instance, field.attname)
        try:
            mine = field.to_python(_comparable(mine))
        except Exception:  # noqa: BLE001  (a value the field cannot read: let the save and its history happen)
            return False
        theirs = stored[field.attname]
        if field.get_internal_type() in ("FileField", "ImageField"):
            theirs = theirs or ""
        if mine != theirs:
            return False
    return True


def _before_save(sender, instance, raw=False, update_fields=None, **kwargs) -> None:
    if raw or not hasattr(sender._meta, "simple_history_manager_attribute") or hasattr(instance, "skip_history_when_saving"):
        return
    if unchanged(instance):
        instance.skip_history_when_saving = True
        setattr(instance, _MARK, True)


def _after_save(sender, instance, **kwargs) -> None:
    if getattr(instance, _MARK, False):
        delattr(instance, _MARK)
        del instance.skip_history_when_saving


def connect() -> None:
    pre_save.connect(_before_save, dispatch_uid="fortycrm_history_noise_before")
    post_save.connect(_after_save, dispatch_uid="fortycrm_history_noise_after")

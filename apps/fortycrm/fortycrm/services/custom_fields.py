"""Custom field definitions (R-FLD): creating, changing and deleting them safely.

The same rules hold in the desk (Einstellungen → Eigene Felder) and the API
(``/api/v1/custom-fields/``): a technical name is unique per object type and fixed once
records hold values; a type change is refused unless every stored value converts; a choice
in use cannot be removed; a field becomes required only when every record has a value or a
default fills the gaps; deleting a field removes its values in the same transaction.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from fortycrm import custom_fields
from fortycrm.models import Contact, Customer, CustomField, Location, StandardFieldRule

Type = CustomField.Type
BATCH = 1000


def record_model(object_type: str) -> type[models.Model]:
    return {"customer": Customer, "contact": Contact, "location": Location}[object_type]


def _holding(field: CustomField, name: str | None = None):
    """Records of the field's object type that hold a value for it."""
    return record_model(field.object_type).objects.filter(custom_field_data__has_key=name or field.name)


def customfield_usage(field: CustomField) -> int:
    """How many records hold a value for ``field`` (as stored)."""
    if not field.pk:
        return 0
    return _holding(field).count()


def _iter_values(field: CustomField, name: str):
    for pk, data in _holding(field, name).values_list("pk", "custom_field_data").iterator(chunk_size=BATCH):
        if isinstance(data, dict) and name in data:
            yield pk, data


def _convert(old: CustomField, new: CustomField, value: Any) -> Any:
    """A stored value of ``old`` as a value of ``new`` (type change); raises ValidationError."""
    try:
        return custom_fields.value_clean(new, value)
    except ValidationError:
        pass
    text = custom_fields.value_export(old, value)
    stored = custom_fields.value_from_text(new, text)
    custom_fields.value_check(new, stored)
    return stored


def _check_choices(field: CustomField) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if field.type not in custom_fields.CHOICE_TYPES:
        field.choices = []
        return errors
    choices = field.choices
    if not isinstance(choices, list) or not choices:
        return {"choices": [_("A choice field needs at least one choice.")]}
    seen: set[str] = set()
    cleaned = []
    for choice in choices:
        if not isinstance(choice, dict) or not isinstance(choice.get("value"), str) or not choice["value"].strip():
            return {"choices": [_("Each choice needs a value (text) and a label: {\"value\": \"a\", \"label\": \"A\"}.")]}
        value = choice["value"].strip()
        if len(value) > 100:
            return {"choices": [_("A choice value may have at most 100 characters.")]}
        if value in seen:
            return {"choices": [_("The choice value “%(value)s” appears twice.") % {"value": value}]}
        seen.add(value)
        label = str(choice.get("label") or "").strip() or value
        cleaned.append({"value": value, "label": label[:200]})
    field.choices = cleaned
    return errors


def _check_bounds_and_default(field: CustomField) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if field.type not in custom_fields.NUMERIC_TYPES:
        for name in ("min_value", "max_value"):
            if getattr(field, name) not in (None, ""):
                errors[name] = [_("Minimum and maximum are only for numbers and dates.")]
    else:
        for name in ("min_value", "max_value"):
            value = getattr(field, name)
            if value in (None, ""):
                setattr(field, name, None)
                continue
            try:
                setattr(field, name, custom_fields.value_from_json(field, value))
            except ValidationError as exc:
                errors[name] = exc.messages
        if not errors and field.min_value is not None and field.max_value is not None:
            convert = custom_fields.Decimal if field.type == Type.DECIMAL else (lambda v: v)
            if convert(field.min_value) > convert(field.max_value):
                errors["max_value"] = [_("The maximum cannot be smaller than the minimum.")]
    if field.default not in (None, "", []) and not errors:
        try:
            field.default = custom_fields.value_clean(field, field.default)
        except ValidationError as exc:
            errors["default"] = exc.messages
    elif field.default in ("", []):
        field.default = None
    return errors


def customfield_check(*, field: CustomField) -> None:
    """Every rule of ``customfield_save`` without writing (the desk form calls it to show errors)."""
    _plan(field)


def _plan(field: CustomField) -> tuple[dict[int, dict], list[int]]:
    """Check a definition; return the stored values to convert and the records to fill."""
    if field.object_type != CustomField.ObjectType.CUSTOMER:
        field.applies_to = CustomField.AppliesTo.BOTH
    errors: dict[str, list[str]] = {}
    try:
        field.full_clean()
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    errors.update(_check_choices(field))
    if not errors:
        errors.update(_check_bounds_and_default(field))
    if errors:
        raise ValidationError(errors)
    old = CustomField.objects.filter(pk=field.pk).first() if field.pk else None
    converted: dict[int, dict] = {}
    fill: list[int] = []
    if old is not None:
        held = customfield_usage(old)
        if held and (old.name != field.name or old.object_type != field.object_type):
            raise ValidationError(
                {"name": ngettext(
                    "The technical name and object type are fixed: %(count)d record holds a value for this field.",
                    "The technical name and object type are fixed: %(count)d records hold a value for this field.",
                    held,
                ) % {"count": held}}
            )
        if held and field.type in custom_fields.CHOICE_TYPES and old.type in custom_fields.CHOICE_TYPES:
            removed = set(custom_fields.choice_values(old)) - set(custom_fields.choice_values(field))
            for value in sorted(removed):
                using = sum(
                    1 for _pk, data in _iter_values(old, old.name)
                    if data[old.name] == value or (isinstance(data[old.name], list) and value in data[old.name])
                )
                if using:
                    raise ValidationError({"choices": ngettext(
                        "The choice “%(value)s” cannot be removed: %(count)d record holds it. Change that record first.",
                        "The choice “%(value)s” cannot be removed: %(count)d records hold it. Change those records first.",
                        using,
                    ) % {"value": value, "count": using}})
        if held and (old.type != field.type or old.min_value != field.min_value or old.max_value != field.max_value):
            failed = 0
            for pk, data in _iter_values(old, old.name):
                try:
                    new_value = _convert(old, field, data[old.name])
                except ValidationError:
                    failed += 1
                    continue
                if new_value != data[old.name]:
                    converted[pk] = {**data, old.name: new_value}
            if failed:
                raise ValidationError({"type": ngettext(
                    "%(count)d stored value does not fit the changed field. Correct it first or keep the old settings.",
                    "%(count)d stored values do not fit the changed field. Correct them first or keep the old settings.",
                    failed,
                ) % {"count": failed}})
    if field.required and (old is None or not old.required or old.applies_to != field.applies_to):
        model = record_model(field.object_type)
        lacking = model.objects.exclude(custom_field_data__has_key=field.name)
        if field.object_type == CustomField.ObjectType.CUSTOMER and field.applies_to != CustomField.AppliesTo.BOTH:
            lacking = lacking.filter(kind=field.applies_to)
        fill = list(lacking.values_list("pk", flat=True))
        if fill and field.default is None:
            raise ValidationError({"required": ngettext(
                "%(count)d record has no value for this field. Give a default to fill it, or fill the record first.",
                "%(count)d records have no value for this field. Give a default to fill them, or fill the records first.",
                len(fill),
            ) % {"count": len(fill)}})
    return converted, fill


@transaction.atomic
def customfield_save(*, field: CustomField) -> CustomField:
    """Create or change a definition with the rules above; converts or fills stored values."""
    converted, fill = _plan(field)
    old = CustomField.objects.filter(pk=field.pk).first() if field.pk else None
    try:
        with transaction.atomic():
            field.save()
    except IntegrityError:  # the unique constraint, checked again by the database
        raise ValidationError({"name": _("This technical name is already used for this object type.")}) from None
    _write_values(field, converted, fill)
    if old is None or converted or fill or old.name != field.name or old.type != field.type or old.object_type != field.object_type:
        if old is not None and old.object_type != field.object_type:
            custom_fields.index_model(old.object_type).objects.filter(field=old.name).delete()
        custom_fields.index_rebuild(field.object_type, sorted({field.name, old.name if old else field.name}))
    return field


def _write_values(field: CustomField, converted: dict[int, dict], fill: list[int]) -> None:
    model = record_model(field.object_type)
    if fill:
        for start in range(0, len(fill), BATCH):
            rows = list(model.objects.filter(pk__in=fill[start:start + BATCH]).only("pk", "custom_field_data"))
            for row in rows:
                row.custom_field_data = {**(row.custom_field_data or {}), field.name: field.default}
            model.objects.bulk_update(rows, ["custom_field_data"])
    if converted:
        rows = [model(pk=pk, custom_field_data=data) for pk, data in converted.items()]
        model.objects.bulk_update(rows, ["custom_field_data"], batch_size=BATCH)
    if (fill or converted) and model is Customer:
        from fortycrm.listcache import customer_data_changed

        customer_data_changed()


@transaction.atomic
def customfield_delete(*, field: CustomField) -> int:
    """Delete the definition and remove its values from every record; returns how many held one."""
    model = record_model(field.object_type)
    rows = []
    for pk, data in _iter_values(field, field.name):
        rows.append(model(pk=pk, custom_field_data={k: v for k, v in data.items() if k != field.name}))
    if rows:
        model.objects.bulk_update(rows, ["custom_field_data"], batch_size=BATCH)
        if model is Customer:
            from fortycrm.listcache import customer_data_changed

            customer_data_changed()
    custom_fields.index_model(field.object_type).objects.filter(field=field.name).delete()
    field.delete()
    return len(rows)


# --- standard fields made required or hidden (R-FLD-8) ------------------------------------------

def standardfield_rule_check(*, rule: StandardFieldRule) -> None:
    """Every rule of ``standardfield_rule_save`` without writing (the desk form calls it)."""
    from fortycrm import standard_fields

    standard_fields.rule_check(rule)


@transaction.atomic
def standardfield_rule_save(*, rule: StandardFieldRule) -> StandardFieldRule:
    """Create or change a rule: only optional standard fields, no overlapping rule for the same field.

    A new "required" rule holds from the next save of each record on (desk, API, import);
    records saved before keep their empty value until they are changed.
    """
    standardfield_rule_check(rule=rule)
    try:
        with transaction.atomic():
            rule.save()
    except IntegrityError:
        raise ValidationError({"field": _("There is already a rule for this field.")}) from None
    return rule


@transaction.atomic
def standardfield_rule_delete(*, rule: StandardFieldRule) -> None:
    rule.delete()

"""Standard fields made required or hidden by admins (R-FLD-8): the one place of their rules.

Admins mark optional standard fields of customers, contacts and locations as *required* or
*hidden in the desk* (Einstellungen → Standardfelder), per object type and, for customers,
per kind (company, private or both). Fields that are mandatory by nature (a company's name,
a person's last name, a location's name, the status …) cannot carry a rule.

* ``record_check`` – the required rules for one record; ``custom_fields.record_clean`` calls
  it, so every service (desk, API, import) applies them the same way;
* ``hidden_names`` / ``required_names`` – what the desk forms leave out or mark.

Hidden fields only vanish from the desk forms: their stored values are kept, and the API
and the import still read and write them.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from fortycrm.models import Contact, Customer, CustomField, Location, StandardFieldRule

BOTH = CustomField.AppliesTo.BOTH
REQUIRED = StandardFieldRule.Behaviour.REQUIRED
HIDDEN = StandardFieldRule.Behaviour.HIDDEN

# Fields that may carry a rule, per object type. The others are mandatory by nature
# (customer: kind, status, company name, private last name; contact: customer, last name;
# location: customer, name), system fields, or yes/no switches that cannot be "empty".
CONFIGURABLE: dict[str, list[str]] = {
    "customer": [
        "short_name", "salutation", "title", "first_name", "street", "postcode", "city", "phone", "mobile", "email",
        "website", "vat_id", "leitweg_id", "notes", "start_date", "end_date", "account_manager",
    ],
    "contact": ["salutation", "title", "first_name", "role", "phone", "mobile", "email", "notes", "location", "birthday"],
    "location": ["street", "postcode", "city", "access_notes", "site_notes"],
}
# Customer fields that exist for one kind only (the desk shows them for that kind).
KIND_ONLY: dict[str, str] = {"salutation": "private", "title": "private", "first_name": "private"}
# Fields that can be hidden but not required (a birthday exists only for contacts of private customers).
NOT_REQUIRABLE = {("contact", "birthday")}

MODELS = {"customer": Customer, "contact": Contact, "location": Location}


def field_label(object_type: str, name: str) -> str:
    try:
        return str(MODELS[object_type]._meta.get_field(name).verbose_name)
    except Exception:  # noqa: BLE001 - an unknown name is shown as it is
        return name


def field_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """``object_type:field`` choices grouped by object type (the desk's select)."""
    return [
        (str(label), [(f"{object_type}:{name}", field_label(object_type, name)) for name in CONFIGURABLE[object_type]])
        for object_type, label in CustomField.ObjectType.choices
    ]


def rules(object_type: str | None = None) -> list[StandardFieldRule]:
    """The rules (of ``object_type``); read once per request (fortycrm.request_cache)."""
    from fortycrm.request_cache import remembered

    def read() -> list[StandardFieldRule]:
        queryset = StandardFieldRule.objects.all()
        if object_type is not None:
            queryset = queryset.filter(object_type=object_type)
        return list(queryset)

    return list(remembered(("standard_field_rules", object_type), read))


def _covers(rule: StandardFieldRule, kind: str | None) -> bool:
    return rule.applies_to == BOTH or kind is None or rule.applies_to == kind


def _names(object_type: str, kind: str | None, behaviour: str, all_rules: list[StandardFieldRule] | None) -> set[str]:
    return {
        rule.field
        for rule in (rules(object_type) if all_rules is None else all_rules)
        if rule.object_type == object_type and rule.behaviour == behaviour and rule.applies_to in (BOTH, kind)
    }


def required_names(object_type: str, kind: str | None, *, all_rules: list[StandardFieldRule] | None = None) -> set[str]:
    """Fields required for a record of ``object_type`` (customers: of ``kind``; None: for both kinds)."""
    return _names(object_type, kind, REQUIRED, all_rules)


def hidden_names(object_type: str, kind: str | None, *, all_rules: list[StandardFieldRule] | None = None) -> set[str]:
    """Fields hidden in the desk for ``kind`` (None: hidden for every kind)."""
    return _names(object_type, kind, HIDDEN, all_rules)


def kind_rules(object_type: str, behaviour: str, *, all_rules: list[StandardFieldRule] | None = None) -> dict[str, list[str]]:
    """Customers: the fields with a rule for one kind only, by kind (the desk form's script)."""
    found: dict[str, list[str]] = {"company": [], "private": []}
    for rule in rules(object_type) if all_rules is None else all_rules:
        if rule.object_type == object_type and rule.behaviour == behaviour and rule.applies_to in found:
            found[rule.applies_to].append(rule.field)
    return found


def _empty(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    return False


def _value(obj, name: str) -> Any:
    field = obj._meta.get_field(name)
    if field.is_relation:
        return getattr(obj, field.attname)
    value = getattr(obj, name)
    if hasattr(value, "name") and not isinstance(value, str):  # a file
        return value.name or None
    return value


def record_check(obj, *, object_type: str, kind: str | None = None, all_rules: list[StandardFieldRule] | None = None) -> None:
    """Raise a ValidationError by field for every required standard field ``obj`` leaves empty."""
    errors: dict[str, list[str]] = {}
    for name in sorted(required_names(object_type, kind, all_rules=all_rules)):
        if name not in CONFIGURABLE.get(object_type, ()) or not _empty(_value(obj, name)):
            continue
        errors[name] = [_("%(label)s: a value is required (Settings → Standard fields).") % {"label": field_label(object_type, name)}]
    if errors:
        raise ValidationError(errors)


def rule_check(rule: StandardFieldRule) -> None:
    """The rules for a rule: a configurable field, a fitting kind, no overlapping rule."""
    if rule.object_type != CustomField.ObjectType.CUSTOMER:
        rule.applies_to = BOTH
    try:
        rule.full_clean(validate_constraints=False)
    except ValidationError as exc:
        raise ValidationError(exc.message_dict) from None
    if rule.field not in CONFIGURABLE.get(rule.object_type, ()):
        raise ValidationError({"field": _("“%(field)s” is mandatory by nature or not a standard field of this object type; it cannot be configured.")
                               % {"field": field_label(rule.object_type, rule.field)}})
    label = field_label(rule.object_type, rule.field)
    only = KIND_ONLY.get(rule.field) if rule.object_type == CustomField.ObjectType.CUSTOMER else None
    if only and rule.applies_to != only:
        raise ValidationError({"applies_to": _("“%(field)s” exists only for private customers; choose “private customers only”.") % {"field": label}})
    if rule.behaviour == REQUIRED and (rule.object_type, rule.field) in NOT_REQUIRABLE:
        raise ValidationError({"behaviour": _("“%(field)s” can be hidden but not required.") % {"field": label}})
    others = StandardFieldRule.objects.filter(object_type=rule.object_type, field=rule.field).exclude(pk=rule.pk)
    for other in others:
        if other.applies_to == BOTH or rule.applies_to == BOTH or other.applies_to == rule.applies_to:
            raise ValidationError({"field": _("There is already a rule for “%(field)s” (%(rule)s, %(applies)s); change that one instead.") % {
                "field": label, "rule": other.get_behaviour_display(), "applies": other.get_applies_to_display()}})

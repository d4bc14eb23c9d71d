"""``Model.full_clean`` with its per-field work planned once per model (the services' fast path).

``full_clean(obj, exclude=…, validate_unique=False, validate_constraints=False)`` runs, for
every field, ``field.clean(value)`` — ``to_python``, ``validate`` (choices, blank, null) and
every validator — and then the model's ``clean()``. For a text field holding a ``str``
(most fields of a customer) ``to_python`` returns the value unchanged, so what decides is:
the blank rule, the choices, the maximum length and the field's other validators.

:func:`clean_model` checks exactly that, with the field list, choices and validators read
once per model instead of once per row. Whenever a value might fail (too long, not a choice,
empty where not allowed, a validator raising), it calls Django's own ``field.clean`` for that
value, so the error raised — message, code, params — is Django's. Every other field (dates,
numbers, relations, files, JSON, text fields with custom cleaning) goes through
``field.clean`` as in ``Model.clean_fields``. The rules are therefore those of
``full_clean``; ``tests/test_cleaning.py`` compares both on valid and invalid values.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from functools import cache, lru_cache
from typing import Any

from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import EmailValidator, MaxLengthValidator, RegexValidator
from django.db import models
from django.db.models.expressions import DatabaseDefault
from django.db.models.fields import Field

_TEXT_CLASSES = (models.CharField, models.TextField)
_SAME_TYPE: dict[type, type] = {models.BooleanField: bool, models.DateField: dt.date}


#: an ASCII address of the most common shape: a dot-atom, then labels of letters, digits and
#: inner hyphens, then a top-level domain of letters. A subset of what Django's ``EmailValidator``
#: accepts (its user pattern with these characters, its domain pattern with an ASCII domain),
#: tested in one match without case folding; anything else goes through the validator's own patterns.
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_PLAIN_EMAIL = re.compile(rf"{_ATEXT}(?:\.{_ATEXT})*@{_LABEL}(?:\.{_LABEL})*\.[A-Za-z]{{2,63}}").fullmatch


def _surely_valid(validator: Any) -> Any:
    """A quick test for ``validator``: a function that says True only where the validator
    certainly accepts the value (False: maybe not — then Django's validator decides, with its
    own error), or ``validator`` itself when there is no such test.

    Django's ``EmailValidator`` and ``RegexValidator`` keep their patterns in lazy objects;
    every attribute read through them costs more than the match itself. The tests use the
    same patterns (compiled once here) and the same steps; an e-mail address with an IP
    literal as domain (``x@[10.0.0.1]``) is left to Django."""
    if type(validator) is EmailValidator:
        user_regex = re.compile(validator.user_regex.pattern, validator.user_regex.flags)
        domain_regex = re.compile(validator.domain_regex.pattern, validator.domain_regex.flags)
        allowlist = frozenset(validator.domain_allowlist)

        def email_valid(value: str) -> bool:
            if len(value) <= 320 and _PLAIN_EMAIL(value) is not None:
                return True  # the common shape, which both of Django's patterns accept
            if "@" not in value or len(value) > 320:
                return False
            user_part, domain_part = value.rsplit("@", 1)
            return user_regex.match(user_part) is not None and (domain_part in allowlist or domain_regex.match(domain_part) is not None)

        return email_valid
    if type(validator) is RegexValidator:
        regex = re.compile(validator.regex.pattern, validator.regex.flags)
        inverse = validator.inverse_match

        def regex_valid(value: str) -> bool:
            return (regex.search(value) is not None) is not inverse

        return regex_valid
    return None


class _Check:
    """One field's plan: ``text`` (the fast path for ``str`` values) or ``None`` (``field.clean``)."""

    __slots__ = ("field", "name", "attname", "blank", "empty_values", "text", "choices", "max_length", "validators", "length_only", "same_type", "file", "tests", "json")

    def __init__(self, field: Field) -> None:
        self.field = field
        self.name = field.name
        self.attname = field.attname
        self.blank = field.blank
        self.empty_values = field.empty_values
        self.text = False
        self.choices: frozenset | None = None
        self.max_length: int | None = None
        self.validators: tuple = ()
        self.tests: tuple = ()  # quick tests standing for validators (see _surely_valid)
        self.length_only = False
        cls = type(field)
        # a bool in a BooleanField, a date in a DateField: to_python returns it as it is, and
        # with no choices and no validators nothing else can fail (not empty, not None)
        self.same_type: type | None = None
        if cls in _SAME_TYPE and field.editable and field.choices is None and not field.validators:
            self.same_type = _SAME_TYPE[cls]
        self.file = isinstance(field, models.FileField)
        # a JSONField as Django defines it: clean() returns the value unchanged and fails only
        # where json.dumps fails (and, when editable, where an empty value is not allowed)
        self.json = (
            cls is models.JSONField and field.choices is None and not field.validators and field.encoder in (None, DjangoJSONEncoder)
        )
        plain_text = (
            isinstance(field, _TEXT_CLASSES)
            and field.editable
            and cls.to_python in (models.CharField.to_python, models.TextField.to_python)
            and cls.clean is Field.clean
            and cls.validate is Field.validate
            and cls.run_validators is Field.run_validators
        )
        if not plain_text:
            return
        if field.choices is not None:
            keys = []
            for key, value in field.choices:
                if isinstance(value, (list, tuple)) or not isinstance(key, str):
                    return  # option groups or non-text keys: Django's own walk
                keys.append(key)
            self.choices = frozenset(keys)
        others: list = []
        tests: list = []
        for validator in field.validators:
            if type(validator) is MaxLengthValidator and isinstance(validator.limit_value, int):
                self.max_length = validator.limit_value if self.max_length is None else min(self.max_length, validator.limit_value)
            elif (test := _surely_valid(validator)) is not None:
                tests.append(test)
            else:
                others.append(validator)
        self.validators = tuple(others)
        self.tests = tuple(tests)
        self.text = True
        # only a maximum length to check (most text fields): one comparison per value
        self.length_only = self.choices is None and not self.validators and not self.tests and self.max_length is not None

    def passes(self, value: str) -> bool:
        """For a non-empty ``str`` value: True (valid, unchanged by ``to_python``) or False
        (may be invalid: ask ``field.clean``)."""
        if self.choices is not None and value not in self.choices:
            return False
        if self.max_length is not None and len(value) > self.max_length:
            return False
        for test in self.tests:
            if not test(value):
                return False
        for validator in self.validators:
            try:
                validator(value)
            except ValidationError:
                return False
        return True


@cache
def _plan(model: type[models.Model]) -> tuple[_Check, ...]:
    return tuple(_Check(f) for f in model._meta.fields if not f.generated)


_MISSING = object()
_JSON_SCALARS = frozenset({str, int, float, bool, type(None)})


def _plain_json(value: Any, depth: int = 0) -> bool:
    """True for a non-empty dict (text keys) or list built only of text, numbers, booleans,
    None, dicts and lists (at most 20 levels deep): what ``json.dumps`` surely serialises.
    False means "maybe not": Django's own check decides then."""
    if type(value) is dict:
        items = value.values()
        if not all(type(key) is str for key in value):
            return False
    elif type(value) is list:
        items = value
    else:
        return False
    if (not items and depth == 0) or depth > 20:
        return False
    for item in items:
        if type(item) not in _JSON_SCALARS and not _plain_json(item, depth + 1):
            return False
    return True


@lru_cache(maxsize=64)
def _steps(model: type[models.Model], exclude: frozenset[str]) -> tuple[tuple[tuple[str, int, _Check], ...], tuple[_Check, ...]]:
    """The plan without the excluded fields (a service excludes the same few on every call),
    split in two: text fields that may be blank and have only a maximum length —
    ``(attname, max_length, check)``, one comparison each — and the other checks."""
    checks = [check for check in _plan(model) if check.name not in exclude]
    quick = tuple((c.attname, c.max_length, c) for c in checks if c.text and c.length_only and c.blank)
    return quick, tuple(c for c in checks if not (c.text and c.length_only and c.blank))


def clean_fields(obj: models.Model, exclude: Iterable[str] = ()) -> None:
    """``obj.clean_fields(exclude)`` with the plan of ``obj``'s model (see the module text)."""
    values = obj.__dict__
    errors: dict[str, Any] = {}
    quick, checks = _steps(type(obj), exclude if isinstance(exclude, frozenset) else frozenset(exclude))
    doubtful = None
    for attname, max_length, check in quick:
        raw = values.get(attname)
        if type(raw) is str and len(raw) <= max_length:
            continue  # text within the length ("" included: blank is allowed)
        if doubtful is None:
            doubtful = []
        doubtful.append(check)
    if doubtful:  # checked below like the others, everything in the model's field order
        order = _plan(type(obj))
        checks = sorted((*checks, *doubtful), key=order.index)
    for check in checks:
        if check.text:
            raw = values.get(check.attname, _MISSING)  # a text field's descriptor reads __dict__
            if type(raw) is str:  # to_python returns it unchanged
                if not raw:
                    if check.blank:
                        continue  # blank and allowed: Django skips it too
                elif check.length_only:
                    if len(raw) <= check.max_length:
                        continue
                elif check.passes(raw):
                    continue
            elif raw is _MISSING:
                raw = getattr(obj, check.attname)
        elif check.same_type is not None and type(values.get(check.attname)) is check.same_type:
            continue
        elif check.json and _plain_json(values.get(check.attname)):
            continue  # a non-empty dict or list of JSON's own types: json.dumps takes it
        elif check.file and check.blank and values.get(check.attname, 0) in ("", None):
            continue  # no file: getattr would give a FieldFile without name, which Django skips as blank
        else:
            raw = getattr(obj, check.attname)
        if check.blank and raw in check.empty_values:
            continue
        if isinstance(raw, DatabaseDefault):
            continue
        try:
            setattr(obj, check.attname, check.field.clean(raw, obj))
        except ValidationError as exc:
            errors[check.name] = exc.error_list
    if errors:
        raise ValidationError(errors)


def clean_model(obj: models.Model, *, exclude: Iterable[str] = ()) -> None:
    """``obj.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)``,
    the same checks and errors, planned once per model."""
    errors: dict[str, Any] = {}
    try:
        clean_fields(obj, exclude)
    except ValidationError as exc:
        errors = exc.update_error_dict(errors)
    try:
        obj.clean()
    except ValidationError as exc:
        errors = exc.update_error_dict(errors)
    if errors:
        raise ValidationError(errors)

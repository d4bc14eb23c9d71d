"""Decimal inputs of the desk in the desk's language (issue 12, item 2).

unfold renders decimals as ``<input type="number">``; Chromium then drops a German decimal
comma ("12345,6" was stored as 123456). The desk uses a text input with the decimal keypad
(``inputmode="decimal"``) and a localized field instead: German shows "12789,4" and reads
"12345,6" as well as "12.345,6" (with a comma, points are thousands separators); a number
without a comma is read as written ("131.00" stays 131). The English desk reads "12345.6".
"""

from __future__ import annotations

from django import forms
from django.db import models
from django.utils import formats
from unfold import overrides
from unfold.widgets import UnfoldAdminTextInputWidget


class DecimalTextInput(UnfoldAdminTextInputWidget):
    def __init__(self, attrs=None):
        super().__init__(attrs={"inputmode": "decimal", "autocomplete": "off", **(attrs or {})})


class DeskDecimalField(forms.DecimalField):
    widget = DecimalTextInput

    def __init__(self, **kwargs):
        kwargs.setdefault("localize", True)
        super().__init__(**kwargs)

    def to_python(self, value):
        if isinstance(value, str) and formats.get_format("DECIMAL_SEPARATOR") == ",":
            value = value.strip().replace(" ", "").replace("\u00a0", "")
            if "," in value:
                value = value.replace(".", "")
        return super().to_python(value)

    def widget_attrs(self, widget):
        return {k: v for k, v in super().widget_attrs(widget).items() if k != "step"}


def use_in_desk() -> None:
    """Every decimal of a model becomes a DeskDecimalField in the desk (lists, forms, inlines)."""
    for table in (overrides.FORMFIELD_OVERRIDES, overrides.FORMFIELD_OVERRIDES_INLINE):
        table[models.DecimalField] = {"form_class": DeskDecimalField, "widget": DecimalTextInput}

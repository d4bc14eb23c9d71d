"""The desk's form renderer (issue 13, ``fortycrm/form_renderer.py``): an empty error list or dict
is the empty text without a template; everything else renders exactly as Django's renderer does."""

from __future__ import annotations

from django import forms
from django.forms.renderers import DjangoTemplates, get_default_renderer
from django.forms.utils import ErrorDict, ErrorList

from fortycrm.form_renderer import ERROR_TEMPLATES, DeskFormRenderer


class _Form(forms.Form):
    name = forms.CharField(max_length=3)
    when = forms.DateField(required=False)


def test_the_desk_uses_it():
    assert isinstance(get_default_renderer(), DeskFormRenderer)


def test_same_output_as_djangos_renderer(monkeypatch):
    desk, django_ = DeskFormRenderer(), DjangoTemplates()
    lists = [ErrorList(), ErrorList(["Pflichtfeld.", "<b>zu lang</b>"]), ErrorList(["x"], error_class="nonfield")]
    dicts = [ErrorDict(), ErrorDict({"name": ErrorList(["Pflichtfeld."])})]
    for errors in (*lists, *dicts):
        for method in ("as_ul", "as_text", "__str__"):
            errors.renderer = desk
            ours = getattr(errors, method)()
            errors.renderer = django_
            assert ours == getattr(errors, method)(), (errors, method)
    for data in ({}, {"name": "zu lang", "when": "kein Datum"}, {"name": "ok"}):
        ours = _Form(data or None, renderer=desk)
        theirs = _Form(data or None, renderer=django_)
        assert str(ours) == str(theirs)
        assert [str(ours[name].errors) for name in ours.fields] == [str(theirs[name].errors) for name in theirs.fields]
        assert str(ours.non_field_errors()) == str(theirs.non_field_errors())


def test_an_empty_list_renders_no_template(monkeypatch):
    desk = DeskFormRenderer()
    asked = []
    original = DjangoTemplates.get_template
    monkeypatch.setattr(DjangoTemplates, "get_template", lambda self, name: asked.append(name) or original(self, name))
    form = _Form(renderer=desk)
    assert str(form["name"].errors) == "" and ErrorDict(renderer=desk).as_ul() == ""
    assert not set(asked) & ERROR_TEMPLATES
    assert "errorlist" in str(ErrorList(["Pflichtfeld."], renderer=desk))
    assert set(asked) & ERROR_TEMPLATES

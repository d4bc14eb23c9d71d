"""The desk's form renderer: an empty error list is the empty text without a template (issue 13).

Unfold asks every field of a record for its errors several times per page (the tabs, their
error counts, the rows): on the customer record about 110 error lists, nearly all of them
empty. Django renders each through a template, which for an empty list gives "". This renderer
answers those directly; every other template (and any list with errors) is rendered as before.
"""

from __future__ import annotations

from django.forms.renderers import DjangoTemplates

#: Django's templates of error lists and dicts; each renders nothing for no errors
ERROR_TEMPLATES = frozenset(
    f"django/forms/errors/{kind}/{name}" for kind in ("list", "dict") for name in ("default.html", "ul.html", "text.txt")
)


class DeskFormRenderer(DjangoTemplates):
    def render(self, template_name, context, request=None):
        if template_name in ERROR_TEMPLATES and not context.get("errors"):
            return ""
        return super().render(template_name, context, request=request)

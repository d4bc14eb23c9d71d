"""Desk: Einstellungen → Website-Formulare (Administration). Fields offered are chosen per
field (not offered / optional / required, with a position); the change page shows both
embeddings ready to copy."""

from __future__ import annotations

import contextvars

from django import forms
from django.contrib import admin
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin

from fortycrm.models import WebForm, WebFormSubmission
from fortycrm.models.staff import person_name
from fortycrm.selectors import account_manager_candidates
from fortycrm.webforms import spam
from fortycrm.webforms.fields import offered_fields

_request: contextvars.ContextVar = contextvars.ContextVar("fortycrm_webform_request", default=None)
CHOICE_OFF, CHOICE_OPTIONAL, CHOICE_REQUIRED = "", "optional", "required"


class WebFormForm(forms.ModelForm):
    class Meta:
        model = WebForm
        exclude = ["fields"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "account_manager" in self.fields:
            self.fields["account_manager"].queryset = account_manager_candidates()
            self.fields["account_manager"].label_from_instance = person_name  # the full name, not the login
        current = {row.get("name"): (i, row) for i, row in enumerate(self.instance.fields or [])}
        if not self.instance.pk and not current:
            from fortycrm.webforms.fields import DEFAULT_FIELDS

            current = {row["name"]: (i, row) for i, row in enumerate(DEFAULT_FIELDS)}
        for n, f in enumerate(offered_fields()):
            position, row = current.get(f.name, (None, None))
            initial = CHOICE_OFF if row is None else CHOICE_REQUIRED if row.get("required") else CHOICE_OPTIONAL
            self.fields[f"field_{f.name}"] = forms.ChoiceField(
                label=f.label, required=False, initial=initial,
                choices=[(CHOICE_OFF, _("not offered")), (CHOICE_OPTIONAL, _("optional")), (CHOICE_REQUIRED, _("required"))],
            )
            self.fields[f"position_{f.name}"] = forms.IntegerField(
                label=_("position"), required=False, min_value=0, max_value=999, initial=(position + 1) * 10 if position is not None else 500 + n * 10,
            )

    def clean(self):
        data = super().clean()
        rows = []
        for n, f in enumerate(offered_fields()):
            choice = data.get(f"field_{f.name}") or CHOICE_OFF
            if choice != CHOICE_OFF:
                position = data.get(f"position_{f.name}")
                rows.append((position if position is not None else 1000 + n, n, {"name": f.name, "required": choice == CHOICE_REQUIRED}))
        self.instance.fields = [row for _p, _n, row in sorted(rows, key=lambda r: (r[0], r[1]))]
        return data

    def _update_errors(self, errors):
        # the model's errors on "fields" (the chosen rows) belong to the whole form
        if hasattr(errors, "error_dict") and "fields" in errors.error_dict:
            error_dict = dict(errors.error_dict)
            error_dict.setdefault(NON_FIELD_ERRORS, []).extend(error_dict.pop("fields"))
            errors = ValidationError(error_dict)
        super()._update_errors(errors)


def webform_urls(form: WebForm) -> tuple[str, str] | None:
    request = _request.get()
    try:
        script = reverse("fortycrm_forms:script", args=[form.public_id])
        submit = reverse("fortycrm_forms:submit", args=[form.public_id])
    except NoReverseMatch:
        return None
    if request is not None:
        script, submit = request.build_absolute_uri(script), request.build_absolute_uri(submit)
    return script, submit


def snippet_script(form: WebForm) -> str:
    urls = webform_urls(form)
    if urls is None:
        return ""
    return f'<div data-fortycrm-form="{form.public_id}"></div>\n<script src="{urls[0]}" async></script>'


def snippet_plain(form: WebForm) -> str:
    """A form for sites without scripts; its static token carries no time (no minimum fill time)."""
    from django.utils.html import escape

    from fortycrm.webforms.fields import offered_field_map

    urls = webform_urls(form)
    if urls is None:
        return ""
    offered = offered_field_map()
    lines = [f'<form action="{urls[1]}" method="post" accept-charset="utf-8">']
    for row in form.fields:
        f = offered.get(row.get("name"))
        if f is None:
            continue
        req = " required" if row.get("required") else ""
        ident = f"fc-{f.name}"
        lines.append(f'  <p><label for="{ident}">{escape(f.label)}{" *" if req else ""}</label><br>')
        if f.input_type == "textarea":
            lines.append(f'  <textarea id="{ident}" name="{f.name}" rows="5" autocomplete="{f.autocomplete}"{req}></textarea></p>')
        elif f.input_type == "select":
            options = "".join(f'<option value="{escape(k)}">{escape(v)}</option>' for k, v in f.choices)
            lines.append(f'  <select id="{ident}" name="{f.name}" autocomplete="{f.autocomplete}"{req}><option value="">—</option>{options}</select></p>')
        else:
            maxlength = f' maxlength="{f.max_length}"' if f.max_length else ""
            lines.append(f'  <input id="{ident}" type="{f.input_type}" name="{f.name}" autocomplete="{f.autocomplete}"{maxlength}{req}></p>')
    if form.consent_text.strip():
        lines.append(f'  <p><input id="fc-consent" type="checkbox" name="{spam.CONSENT}" value="on" required> <label for="fc-consent">{escape(form.consent_text)}</label></p>')
    lines.append(f'  <p style="position:absolute;left:-10000px" aria-hidden="true"><label>Bitte leer lassen <input type="text" name="{spam.HONEYPOT}" tabindex="-1" autocomplete="off"></label></p>')
    lines.append(f'  <input type="hidden" name="{spam.TOKEN}" value="{spam.issue_token(form.public_id, plain=True)}">')
    lines.append(f'  <p><button type="submit">{escape(_("Send"))}</button></p>')
    lines.append("</form>")
    return "\n".join(lines)


def _copyable(text: str, ident: str):
    if not text:
        return _("The public form URLs are not mounted in this site (forms/).")
    return format_html(
        '<textarea id="{}" readonly rows="{}" class="fortycrm-snippet w-full font-mono text-xs border border-base-200 rounded-default p-2">{}</textarea>'
        '<button type="button" class="fortycrm-copy border border-base-200 rounded-default px-3 py-1 mt-2" data-copy="{}">{}</button>',
        ident, min(30, text.count("\n") + 2), text, ident, _("Copy"),
    )


@admin.register(WebForm)
class WebFormAdmin(ModelAdmin):
    form = WebFormForm
    list_display = ["name", "public_id", "active", "double_opt_in", "submission_count"]
    search_fields = ["name"]
    readonly_fields = ["public_id", "snippet_script_display", "snippet_plain_display"]
    filter_horizontal = ["tags"]

    class Media:
        js = ["fortycrm/webforms_copy.js"]

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        token = _request.set(request)
        try:
            response = super().changeform_view(request, object_id, form_url, extra_context)
            if hasattr(response, "render"):  # the snippets read the request while the page renders
                response.render()
            return response
        finally:
            _request.reset(token)

    def get_form(self, request, obj=None, change=False, **kwargs):
        # the per-field choices are made by the form itself (not model fields)
        from django.contrib.admin.utils import flatten_fieldsets

        names = flatten_fieldsets(self.get_fieldsets(request, obj))
        kwargs["fields"] = [n for n in names if not n.startswith(("field_", "position_"))]
        return super().get_form(request, obj, change, **kwargs)

    def get_fieldsets(self, request, obj=None):
        field_rows = [(f"field_{f.name}", f"position_{f.name}") for f in offered_fields()]
        fieldsets = [
            (None, {"fields": ["name", "active", "allowed_origins", "status", "tags", "account_manager"], "classes": ["tab"]}),
            (_("Fields offered"), {"fields": field_rows, "classes": ["tab"]}),
            (_("Answer and consent"), {"fields": ["thank_you_text", "redirect_url", "consent_text", "double_opt_in", "unconfirmed_days"], "classes": ["tab"]}),
            (_("Spam protection"), {"fields": ["min_fill_seconds", "limit_per_address", "limit_per_form"], "classes": ["tab"]}),
        ]
        if obj is not None:
            fieldsets.insert(1, (_("Embed"), {"fields": ["public_id", "snippet_script_display", "snippet_plain_display"], "classes": ["tab"]}))
        return fieldsets

    @admin.display(description=_("Snippet with script (recommended)"))
    def snippet_script_display(self, obj: WebForm):
        return _copyable(snippet_script(obj), "fortycrm-snippet-script")

    @admin.display(description=_("Plain HTML form (without scripts)"))
    def snippet_plain_display(self, obj: WebForm):
        return _copyable(snippet_plain(obj), "fortycrm-snippet-plain")

    @admin.display(description=_("submissions"))
    def submission_count(self, obj: WebForm):
        return obj.submissions.count()

    def save_model(self, request, obj, form, change):
        obj.full_clean()
        super().save_model(request, obj, form, change)


def web_submission_section(customer) -> str:
    """The evidence on the customer record (escaped throughout)."""
    submission = WebFormSubmission.objects.filter(customer=customer).first() if customer and customer.pk else None
    if submission is None:
        return _("Not received through a website form.")
    from django.utils import timezone
    from django.utils.formats import date_format

    def when(value):
        return date_format(timezone.localtime(value), "DATETIME_FORMAT") if value else "—"

    rows = [
        (_("Website form"), submission.form_name),
        (_("sent at"), when(submission.submitted_at)),
        (_("page URL"), submission.page_url or "—"),
        (_("consent given at"), when(submission.consented_at)),
        (_("consent text version"), submission.consent_version or "—"),
        (_("consent text"), submission.consent_text or "—"),
    ]
    if submission.confirm_token or submission.confirmed_at:
        rows.append((_("double opt-in"), _("bestätigt") + f" ({when(submission.confirmed_at)})" if submission.confirmed_at else _("not confirmed yet")))
    return format_html('<dl id="fortycrm-web-submission">{}</dl>', format_html_join("", "<dt class='font-semibold'>{}</dt><dd class='mb-2'>{}</dd>", rows))

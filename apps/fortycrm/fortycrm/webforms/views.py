"""Public endpoints of the website forms, reachable from any website (no sign-in, no API key).

``forms/<public id>.js`` the script, ``forms/<public id>/submit`` the submission (JSON from
the script, or a plain HTML form post), ``forms/confirm/<token>`` the double opt-in link.
The public id grants nothing but these. CORS answers only the form's allowed origins.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from csp.decorators import csp_exempt
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from fortycrm import ratelimit
from fortycrm.api.intake import IntakeSerializer
from fortycrm.api.throttling import client_address
from fortycrm.models import WebForm
from fortycrm.services.webforms import webform_confirm, webform_submit
from fortycrm.webforms import spam
from fortycrm.webforms.fields import custom_field_values, offered_field_map

MAX_BODY = 32 * 1024


def _form(public_id: str) -> WebForm:
    form = WebForm.objects.filter(public_id=public_id, active=True).prefetch_related("tags").first()
    if form is None:
        raise Http404
    return form


def request_origin(request) -> str:
    """The ``Origin`` header, else the origin of the ``Referer``; lower case, no trailing slash."""
    origin = request.headers.get("Origin", "")
    if not origin or origin == "null":
        referer = request.headers.get("Referer", "")
        parts = urlsplit(referer)
        origin = f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""
    return origin.strip().rstrip("/").lower()


def _public_headers(response: HttpResponse, origin: str | None = None) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    if origin:
        response["Access-Control-Allow-Origin"] = origin
        response["Vary"] = "Origin"
    return response


def form_config(request, form: WebForm) -> dict[str, Any]:
    offered = offered_field_map()
    fields = []
    for row in form.fields:
        f = offered.get(row.get("name"))
        if f is None:
            continue
        fields.append({
            "name": f.name, "label": f.label, "autocomplete": f.autocomplete, "type": f.input_type,
            "required": bool(row.get("required")), "maxlength": f.max_length, "choices": [list(c) for c in f.choices],
        })
    return {
        "submit": request.build_absolute_uri(reverse("fortycrm_forms:submit", args=[form.public_id])),
        "token": spam.issue_token(form.public_id),
        "fields": fields,
        "consent": form.consent_text,
        "honeypot": spam.HONEYPOT,
        "thanks": form.thank_you_text or _("Thank you! We have received your enquiry."),
        "redirect": form.redirect_url,
        "texts": {
            "send": _("Send"), "sending": _("Sending …"), "required": _("Please fill in this field."),
            "consent_required": _("Please agree to the privacy notice."),
            "honeypot": _("Please leave this field empty"), "failed": _("Sending failed. Please try again later."),
            "mark": _("(required)"),
        },
    }


@require_GET
@csp_exempt()
def form_script(request, public_id: str):
    with translation.override("de"):
        form = _form(public_id)
        config = json.dumps(form_config(request, form), ensure_ascii=False).replace("</", "<\\/")
        body = render_to_string("fortycrm/webforms/form.js", {"config": config, "public_id": json.dumps(public_id)})
    return _public_headers(HttpResponse(body, content_type="text/javascript; charset=utf-8"))


class Refusal(Exception):
    def __init__(self, status: int, message: str = "", errors: dict[str, list[str]] | None = None, silent: bool = False, retry_after: int = 0):
        super().__init__(message)
        self.status, self.message, self.errors, self.silent, self.retry_after = status, message, errors or {}, silent, retry_after


def _wants_json(request) -> bool:
    return request.content_type == "application/json"


def _read(request) -> dict[str, Any]:
    if _wants_json(request):
        try:
            data = json.loads(request.body or b"{}")
        except (ValueError, UnicodeDecodeError):
            raise Refusal(400, _("The form data could not be read.")) from None
        if not isinstance(data, dict) or not all(isinstance(v, str | bool) for v in data.values()):
            raise Refusal(400, _("The form data could not be read."))
        return data
    data = {}
    for key, values in request.POST.lists():
        if len(values) != 1:
            raise Refusal(400, _("The field “%(name)s” was sent more than once.") % {"name": key[:40]})
        data[key] = values[0]
    return data


def check_submission(request, form: WebForm, data: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """The checked intake data and whether consent was given; raises ``Refusal``."""
    offered_map = offered_field_map()
    offered = [row["name"] for row in form.fields if row.get("name") in offered_map]
    for key in data:
        if key not in offered and key not in spam.CONTROL_FIELDS:
            raise Refusal(400, _("The field “%(name)s” is not offered by this form.") % {"name": str(key)[:40]})
    if str(data.get(spam.HONEYPOT) or "").strip():
        raise Refusal(200, silent=True)
    token = spam.check_token(data.get(spam.TOKEN, ""), public_id=form.public_id, min_seconds=form.min_fill_seconds)
    if not token.valid:
        raise Refusal(400, _("The security check failed. Please reload the page and send the form again."))
    if token.too_fast:
        raise Refusal(200, silent=True)
    errors: dict[str, list[str]] = {}
    values = {name: str(data.get(name) or "").strip() for name in offered}
    for row in form.fields:
        if row.get("required") and row.get("name") in values and not values[row["name"]]:
            errors[row["name"]] = [_("Please fill in this field.")]
    consent = data.get(spam.CONSENT) in (True, "on", "1", "true", "yes")
    if form.consent_text.strip() and not consent:
        errors[spam.CONSENT] = [_("Please agree to the privacy notice.")]
    custom_data, custom_errors = custom_field_values({k: v for k, v in values.items() if k.startswith("cf_")}, offered_map)
    for name, messages in custom_errors.items():
        errors.setdefault(name, []).extend(messages)
    serializer = IntakeSerializer(data={k: v for k, v in values.items() if v and not k.startswith("cf_")})
    if not serializer.is_valid():
        for name, messages in serializer.errors.items():
            errors.setdefault(name if name in offered else "__all__", []).extend(str(m) for m in messages)
    if errors:
        raise Refusal(400, _("Please check the marked fields."), errors)
    return {**serializer.validated_data, "custom_field_data": custom_data}, consent


def _limit(request, form: WebForm) -> None:
    address = client_address(request)
    for scope, ident, limit in (
        ("webform-address", f"{form.public_id}:{address}", form.limit_per_address),
        ("webform", form.public_id, form.limit_per_form),
    ):
        decision = ratelimit.hit(scope, ident, limit=limit, count_refused=False)
        if not decision.allowed:
            raise Refusal(429, _("Too many enquiries in a short time. Please try again in a minute."), retry_after=decision.retry_after)


def _thanks(request, form: WebForm, origin: str, *, as_json: bool) -> HttpResponse:
    text = form.thank_you_text or _("Thank you! We have received your enquiry.")
    if form.double_opt_in:
        text = _("Thank you! Please confirm your enquiry with the link we have sent you by e-mail.")
    if as_json:
        return _public_headers(JsonResponse({"ok": True, "message": text, "redirect": form.redirect_url}), origin)
    if form.redirect_url:
        return _public_headers(HttpResponseRedirect(form.redirect_url, status=303))
    return _public_headers(render(request, "fortycrm/webforms/thanks.html", {"text": text, "form": form}))


def _refused(request, refusal: Refusal, form: WebForm | None, origin: str, *, as_json: bool) -> HttpResponse:
    if refusal.silent and form is not None:
        return _thanks(request, form, origin, as_json=as_json)
    if as_json:
        response = JsonResponse({"ok": False, "message": refusal.message, "errors": refusal.errors}, status=refusal.status)
    else:
        labels = {f.name: f.label for f in offered_field_map().values()} | {spam.CONSENT: _("Consent")}
        rows = [(labels.get(name, ""), messages) for name, messages in refusal.errors.items()]
        response = render(request, "fortycrm/webforms/refused.html", {"message": refusal.message, "errors": rows}, status=refusal.status)
    if refusal.retry_after:
        response["Retry-After"] = str(refusal.retry_after)
    return _public_headers(response, origin)


@csrf_exempt
@csp_exempt()
def form_submit(request, public_id: str):
    with translation.override("de"):
        form = _form(public_id)
        origin = request_origin(request)
        allowed = origin in form.origins()
        as_json = _wants_json(request)
        if request.method == "OPTIONS":
            if not allowed:
                return _public_headers(HttpResponse(status=403))
            response = _public_headers(HttpResponse(status=204), origin)
            response["Access-Control-Allow-Methods"] = "POST, OPTIONS"
            response["Access-Control-Allow-Headers"] = "Content-Type"
            response["Access-Control-Max-Age"] = "600"
            return response
        if request.method != "POST":
            return _public_headers(HttpResponse(status=405, headers={"Allow": "POST, OPTIONS"}))
        try:
            if not allowed:
                raise Refusal(403, _("This website may not use the form. Please contact us directly."))
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = MAX_BODY + 1
            if length > MAX_BODY:
                raise Refusal(413, _("The enquiry is too large. Please shorten your message."))
            _limit(request, form)
            data = _read(request)
            checked, consent = check_submission(request, form, data)
            page_url = str(data.get(spam.PAGE) or request.headers.get("Referer", ""))[:500]
            try:
                webform_submit(
                    form=form, data=checked, page_url=page_url, consent=consent,
                    confirm_url=lambda token: request.build_absolute_uri(reverse("fortycrm_forms:confirm", args=[token])),
                )
            except ValidationError as exc:  # a rule of customer creation (e.g. a required custom field)
                problems = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
                raise Refusal(400, _("Please check the marked fields."), {k: list(v) for k, v in problems.items()}) from None
        except Refusal as refusal:
            return _refused(request, refusal, form, origin if allowed else "", as_json=as_json)
        return _thanks(request, form, origin, as_json=as_json)


@require_GET
def form_confirm(request, token: str):
    with translation.override("de"):
        submission = webform_confirm(token=token)
        if submission is None:
            return render(request, "fortycrm/webforms/refused.html", {"message": _("This confirmation link is not valid (any more)."), "errors": []}, status=404)
        return render(request, "fortycrm/webforms/thanks.html", {"text": _("Thank you! Your enquiry is confirmed.")})

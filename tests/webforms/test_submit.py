"""Website forms (issue 15): public script and submission, every refusal, CORS, consent
evidence in the desk and the API, notification, double opt-in."""

from __future__ import annotations

import datetime
import json

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from fortycrm.models import Customer, WebForm, WebFormSubmission
from fortycrm.services.webforms import webform_cleanup
from fortycrm.webforms import spam
from tests.webforms.conftest import CONSENT, ORIGIN, body, token

pytestmark = pytest.mark.django_db


def submit_url(form) -> str:
    return f"/forms/{form.public_id}/submit"


def post_json(client, form, data, origin=ORIGIN, **headers):
    return client.post(submit_url(form), json.dumps(data), content_type="application/json", HTTP_ORIGIN=origin, **headers)


def test_script_renders_config_with_german_labels_and_public_headers(client, web_form):
    response = client.get(f"/forms/{web_form.public_id}.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Cross-Origin-Resource-Policy"] == "cross-origin"
    assert "Content-Security-Policy" not in response
    text = response.content.decode()
    assert "Nachname" in text and "family-name" in text and CONSENT in text
    assert f"/forms/{web_form.public_id}/submit" in text


def test_script_of_inactive_or_unknown_form_is_not_found(client, web_form):
    assert client.get("/forms/unknown123.js").status_code == 404
    web_form.active = False
    web_form.save()
    assert client.get(f"/forms/{web_form.public_id}.js").status_code == 404


def test_submission_creates_prospect_with_consent_evidence(client, web_form, office_user):
    response = post_json(client, web_form, body(web_form))
    assert response.status_code == 200, response.content
    assert response.json() == {"ok": True, "message": "Vielen Dank für Ihre Anfrage!", "redirect": ""}
    assert response["Access-Control-Allow-Origin"] == ORIGIN
    customer = Customer.objects.get(name="Hausverwaltung Sonne GmbH")
    assert customer.status.name == "Interessent"
    assert customer.account_manager == office_user
    assert customer.contacts.get().last_name == "Sonne"
    evidence = customer.web_submission
    assert evidence.form == web_form and evidence.consent_text == CONSENT
    assert len(evidence.consent_version) == 12 and evidence.consented_at is not None
    assert evidence.page_url == f"{ORIGIN}/kontakt/"


def test_form_status_and_tags_are_given(client, web_form):
    from fortycrm.models import CustomerStatus
    from fortycrm.services.tags import tags_resolve

    web_form.status = CustomerStatus.objects.get(name="Interessent")
    web_form.save()
    web_form.tags.set(tags_resolve(["Website"]))
    assert post_json(client, web_form, body(web_form)).status_code == 200
    assert list(Customer.objects.get().tags.values_list("name", flat=True)) == ["Website"]


def test_evidence_in_api_read_only(client, web_form, admin_user):
    from tests.api.conftest import client_for, make_key

    post_json(client, web_form, body(web_form))
    customer = Customer.objects.get()
    api = client_for(make_key("write"))
    answer = api.get(f"/api/v1/customers/{customer.pk}/").json()
    assert answer["web_form"] == "Kontakt Website" and answer["consent_text"] == CONSENT
    assert answer["consent_page_url"] == f"{ORIGIN}/kontakt/" and answer["consent_at"]
    listed = api.get("/api/v1/customers/").json()["results"][0]
    assert listed["consent_version"] == answer["consent_version"]
    api.patch(f"/api/v1/customers/{customer.pk}/", {"consent_text": "forged"}, format="json")
    assert WebFormSubmission.objects.get().consent_text == CONSENT
    other = api.post("/api/v1/customers/", {"name": "Ohne Formular"}, format="json").json()
    assert other["web_form"] is None and other["consent_at"] is None


def test_evidence_on_customer_record_escaped(client, web_form, admin_user):
    data = body(web_form, fc_page=f"{ORIGIN}/<script>alert(1)</script>")
    post_json(client, web_form, data)
    customer = Customer.objects.get()
    client.force_login(admin_user)
    page = client.get(f"/desk/fortycrm/customer/{customer.pk}/change/").content.decode()
    assert "fortycrm-web-submission" in page and CONSENT in page
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_start_page_shows_new_enquiries_to_the_account_manager(client, web_form, office_user, support_user):
    post_json(client, web_form, body(web_form))
    client.force_login(office_user)
    page = client.get("/desk/").content.decode()
    assert "Neue Anfragen" in page or "New enquiries" in page
    assert "Hausverwaltung Sonne GmbH" in page
    client.force_login(support_user)
    assert "fortycrm-enquiries" not in client.get("/desk/").content.decode()


def test_account_manager_gets_an_email(client, web_form, office_user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        post_json(client, web_form, body(web_form))
    assert [m.to for m in mail.outbox] == [[office_user.email]]
    assert "Hausverwaltung Sonne GmbH" in mail.outbox[0].subject


def test_no_email_when_email_is_not_configured(client, web_form, settings, django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "localhost"
    with django_capture_on_commit_callbacks(execute=True):
        assert post_json(client, web_form, body(web_form)).status_code == 200
    assert mail.outbox == []


def test_possible_duplicate_flagged(client, web_form):
    from fortycrm.selectors import customer_possible_duplicates

    post_json(client, web_form, body(web_form))
    post_json(client, web_form, body(web_form, fc_token=token(web_form)))
    newest = Customer.objects.order_by("-pk").first()
    assert [d["reason"] for d in customer_possible_duplicates(newest)] == ["email"]


# --- refusals: nothing saved -------------------------------------------------------------


def assert_nothing_saved():
    assert not Customer.objects.exists() and not WebFormSubmission.objects.exists()


def test_refused_origin_not_allowed(client, web_form):
    response = post_json(client, web_form, body(web_form), origin="https://evil.example")
    assert response.status_code == 403
    assert "Access-Control-Allow-Origin" not in response
    assert "darf das Formular nicht verwenden" in response.json()["message"]
    assert_nothing_saved()


def test_refused_plain_post_origin_not_allowed_and_without_origin(client, web_form):
    data = {k: str(v) for k, v in body(web_form).items()}
    assert client.post(submit_url(web_form), data, HTTP_ORIGIN="https://evil.example").status_code == 403
    assert client.post(submit_url(web_form), data).status_code == 403
    assert_nothing_saved()


def test_refused_without_consent(client, web_form):
    response = post_json(client, web_form, body(web_form, fc_consent=None))
    assert response.status_code == 400
    assert response.json()["errors"]["fc_consent"] == ["Bitte stimmen Sie dem Datenschutzhinweis zu."]
    assert_nothing_saved()


def test_consent_not_needed_without_consent_text(client, web_form):
    web_form.consent_text = ""
    web_form.save()
    assert post_json(client, web_form, body(web_form, fc_consent=None)).status_code == 200
    assert Customer.objects.get().web_submission.consented_at is None


def test_refused_silently_with_honeypot(client, web_form):
    response = post_json(client, web_form, body(web_form, **{spam.HONEYPOT: "http://spam.example"}))
    assert response.status_code == 200 and response.json()["ok"] is True
    assert_nothing_saved()


def test_refused_silently_when_too_fast(client, web_form):
    response = post_json(client, web_form, body(web_form, fc_token=token(web_form, age=0)))
    assert response.status_code == 200 and response.json()["ok"] is True
    assert_nothing_saved()


@pytest.mark.parametrize("bad", ["", "nonsense", "OTHER"])
def test_refused_without_valid_challenge(client, web_form, bad):
    if bad == "OTHER":
        bad = spam.issue_token("another-form")
    response = post_json(client, web_form, body(web_form, fc_token=bad))
    assert response.status_code == 400
    assert "Sicherheitsprüfung" in response.json()["message"]
    assert_nothing_saved()


def test_refused_too_large(client, web_form):
    response = post_json(client, web_form, body(web_form, message="x" * 40000))
    assert response.status_code == 413
    assert "zu groß" in response.json()["message"]
    assert_nothing_saved()


def test_refused_field_not_offered(client, web_form):
    response = post_json(client, web_form, body(web_form, phone="030 123"))
    assert response.status_code == 400
    assert response.json()["message"] == "Das Feld „phone“ wird von diesem Formular nicht angeboten."
    assert_nothing_saved()


def test_refused_missing_required_and_invalid_values(client, web_form):
    response = post_json(client, web_form, body(web_form, last_name="", email="keine-adresse"))
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert errors["last_name"] == ["Bitte füllen Sie dieses Feld aus."]
    assert "email" in errors
    assert_nothing_saved()


def test_refused_unreadable_body(client, web_form):
    response = client.post(submit_url(web_form), "{no json", content_type="application/json", HTTP_ORIGIN=ORIGIN)
    assert response.status_code == 400
    response = post_json(client, web_form, {"last_name": {"nested": 1}})
    assert response.status_code == 400
    assert_nothing_saved()


def test_refused_over_rate_limit_per_address(client, web_form):
    web_form.limit_per_address = 2
    web_form.save()
    for _ in range(2):
        assert post_json(client, web_form, body(web_form)).status_code == 200
    response = post_json(client, web_form, body(web_form))
    assert response.status_code == 429 and int(response["Retry-After"]) >= 1
    assert "Zu viele Anfragen" in response.json()["message"]
    assert Customer.objects.count() == 2
    other = post_json(client, web_form, body(web_form), REMOTE_ADDR="10.0.0.9")
    assert other.status_code == 200


def test_refused_over_rate_limit_per_form(client, web_form):
    web_form.limit_per_form = 1
    web_form.save()
    assert post_json(client, web_form, body(web_form)).status_code == 200
    assert post_json(client, web_form, body(web_form), REMOTE_ADDR="10.0.0.9").status_code == 429


def test_inactive_form_refuses(client, web_form):
    web_form.active = False
    web_form.save()
    assert post_json(client, web_form, body(web_form)).status_code == 404
    assert_nothing_saved()


# --- CORS and the public id ----------------------------------------------------------------


def test_cors_preflight_allowed_origin(client, web_form):
    response = client.options(
        submit_url(web_form), HTTP_ORIGIN=ORIGIN, HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST", HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type"
    )
    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == ORIGIN
    assert "POST" in response["Access-Control-Allow-Methods"]
    assert response["Access-Control-Allow-Headers"] == "Content-Type"
    assert "Origin" in response["Vary"]


def test_cors_preflight_other_origin_refused(client, web_form):
    response = client.options(submit_url(web_form), HTTP_ORIGIN="https://evil.example", HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST")
    assert response.status_code == 403
    assert "Access-Control-Allow-Origin" not in response


def test_public_id_grants_nothing_else(client, web_form):
    headers = {"HTTP_AUTHORIZATION": f"Api-Key {web_form.public_id}", "HTTP_ORIGIN": ORIGIN}
    for url in ("/api/v1/customers/", "/api/v1/intake/", f"/api/v1/customers/?form={web_form.public_id}"):
        assert client.get(url, **headers).status_code in (401, 403)
    assert client.post("/api/v1/intake/", {"last_name": "X"}, **headers).status_code in (401, 403)
    assert client.get(f"/desk/fortycrm/webform/{web_form.pk}/change/").status_code == 302  # sign-in
    assert client.get(f"/forms/{web_form.public_id}/submit").status_code == 405
    assert client.get(f"/forms/{web_form.public_id}/other").status_code == 404


# --- plain HTML form -----------------------------------------------------------------------


def test_plain_form_thank_you_page_and_redirect(client, web_form):
    from fortycrm.admin.webforms import snippet_plain

    html = snippet_plain(web_form)
    assert f'action="/forms/{web_form.public_id}/submit"' in html and 'autocomplete="family-name"' in html
    plain_token = html.split(f'name="{spam.TOKEN}" value="')[1].split('"')[0]
    data = {k: str(v) for k, v in body(web_form, fc_token=plain_token, fc_consent="on").items()}
    response = client.post(submit_url(web_form), data, HTTP_ORIGIN=ORIGIN)
    assert response.status_code == 200 and "Vielen Dank für Ihre Anfrage!" in response.content.decode()
    web_form.redirect_url = "https://www.gebaeudereinigung-muster.de/danke/"
    web_form.save()
    data["email"] = "zwei@sonne.example"
    response = client.post(submit_url(web_form), data, HTTP_REFERER=f"{ORIGIN}/kontakt/")
    assert response.status_code == 303 and response["Location"] == web_form.redirect_url
    assert Customer.objects.count() == 2


def test_plain_form_error_page_is_german(client, web_form):
    from fortycrm.admin.webforms import snippet_plain

    plain_token = snippet_plain(web_form).split(f'name="{spam.TOKEN}" value="')[1].split('"')[0]
    response = client.post(submit_url(web_form), {"last_name": "Sonne", "email": "a@b.de", "fc_token": plain_token}, HTTP_ORIGIN=ORIGIN)
    assert response.status_code == 400
    assert "Einwilligung: Bitte stimmen Sie dem Datenschutzhinweis zu." in response.content.decode()


# --- desk rules -----------------------------------------------------------------------------


def test_form_rules(db):
    from django.core.exceptions import ValidationError

    form = WebForm(name="x", allowed_origins="www.ohne-schema.de\nhttps://ok.de/pfad", fields=[{"name": "email", "required": False}, {"name": "nope"}], double_opt_in=True)
    with pytest.raises(ValidationError) as info:
        form.full_clean()
    errors = info.value.message_dict
    assert len(errors["allowed_origins"]) == 2
    assert any("nope" in m for m in errors["fields"])
    assert "double_opt_in" in errors


# --- double opt-in --------------------------------------------------------------------------


def test_double_opt_in_confirmation_and_cleanup(client, web_form, django_capture_on_commit_callbacks):
    web_form.double_opt_in = True
    web_form.unconfirmed_days = 3
    web_form.save()
    with django_capture_on_commit_callbacks(execute=True):
        response = post_json(client, web_form, body(web_form))
    assert "bestätigen" in response.json()["message"]
    assert [m.to for m in mail.outbox] == [["petra@sonne.example"]]
    link = next(line for line in mail.outbox[0].body.splitlines() if "/forms/confirm/" in line)
    submission = WebFormSubmission.objects.get()
    assert submission.confirmed_at is None
    with django_capture_on_commit_callbacks(execute=True):
        page = client.get(link.replace("http://testserver", ""))
    assert page.status_code == 200 and "bestätigt" in page.content.decode()
    submission.refresh_from_db()
    assert submission.confirmed_at is not None
    assert len(mail.outbox) == 2  # now the account manager hears of it
    assert client.get("/forms/confirm/falsch").status_code == 404

    # a second, unconfirmed one is deleted after the form's days, the confirmed one stays
    post_json(client, web_form, body(web_form, email="zwei@sonne.example"))
    later = timezone.now() + datetime.timedelta(days=2)
    assert webform_cleanup(now=later) == 0
    assert webform_cleanup(now=timezone.now() + datetime.timedelta(days=3, minutes=1)) == 1
    assert list(Customer.objects.values_list("email", flat=True)) == ["petra@sonne.example"]


def test_cleanup_command(client, web_form):
    web_form.double_opt_in = True
    web_form.unconfirmed_days = 1
    web_form.save()
    post_json(client, web_form, body(web_form))
    WebFormSubmission.objects.update(submitted_at=timezone.now() - datetime.timedelta(days=2))
    call_command("fortycrm_webform_cleanup")
    assert_nothing_saved()

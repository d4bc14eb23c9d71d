"""Website forms: a checked submission becomes a prospect through the intake (one code path),
with the evidence of consent; double opt-in confirmation and the cleanup of unconfirmed ones."""

from __future__ import annotations

import datetime
import logging
import secrets
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from fortycrm import events
from fortycrm.models import Customer, WebForm, WebFormSubmission
from fortycrm.models.webforms import consent_text_version
from fortycrm.services.intake import intake_create

logger = logging.getLogger(__name__)
DEFAULT_SMTP = "django.core.mail.backends.smtp.EmailBackend"


def email_configured() -> bool:
    """E-mail is sent when the site configured it: another backend than SMTP, or an SMTP host."""
    return settings.EMAIL_BACKEND != DEFAULT_SMTP or settings.EMAIL_HOST not in ("", "localhost")


def _send(subject: str, body: str, to: list[str]) -> None:
    if not to or not email_configured():
        return
    try:
        send_mail(subject, body, None, to)
    except Exception:  # noqa: BLE001 - a mail server down must not lose the enquiry
        logger.exception("Website form: could not send an e-mail")


def intake_received_event(submission: WebFormSubmission) -> None:
    """The ``intake.received`` webhook event (outbox, same transaction): the prospect as the API
    shows it, plus which form it came through and from which page."""
    data = dict(events.resource_data(submission.customer))
    data["web_form"] = {"id": submission.form_id, "name": submission.form_name, "page_url": submission.page_url}
    events.event_record("intake.received", submission.customer, data=data)


@transaction.atomic
def webform_submit(
    *, form: WebForm, data: Mapping[str, Any], page_url: str = "", consent: bool = False, confirm_url: Any = None
) -> WebFormSubmission:
    """Store a checked submission of ``form``: the prospect (via ``intake_create``) and its evidence.

    ``data`` is what ``IntakeSerializer`` accepted; ``confirm_url(token)`` makes the link of
    the double opt-in e-mail.
    """
    now = timezone.now()
    answer = intake_create(data=data, status=form.status_id, tags=list(form.tags.all()), account_manager=form.account_manager)
    customer = Customer.objects.get(pk=answer["id"])
    with_consent = bool(form.consent_text.strip()) and consent
    submission = WebFormSubmission.objects.create(
        customer=customer,
        form=form,
        form_name=form.name,
        submitted_at=now,
        page_url=page_url[:500],
        consent_text=form.consent_text if with_consent else "",
        consent_version=consent_text_version(form.consent_text) if with_consent else "",
        consented_at=now if with_consent else None,
        confirm_token=secrets.token_urlsafe(32) if form.double_opt_in else None,
        notify_user=form.account_manager,
    )
    intake_received_event(submission)
    if form.double_opt_in:
        email = data.get("email", "")
        link = confirm_url(submission.confirm_token) if confirm_url else submission.confirm_token
        transaction.on_commit(lambda: _send_confirmation(form, email, link))
    else:
        transaction.on_commit(lambda: _notify(submission))
    return submission


def _send_confirmation(form: WebForm, email: str, link: str) -> None:
    with translation.override("de"):
        _send(
            _("Please confirm your enquiry"),
            _("Thank you for your enquiry via %(form)s.\n\nPlease confirm it with this link:\n%(link)s\n\n"
              "Without confirmation it will be deleted after %(days)s days.") % {"form": form.name, "link": link, "days": form.unconfirmed_days},
            [email],
        )


def _notify(submission: WebFormSubmission) -> None:
    user = submission.notify_user
    if user is None or not user.email:
        return
    with translation.override("de"):
        _send(
            _("New enquiry: %(name)s") % {"name": submission.customer.display_name},
            _("A new enquiry came in via the website form %(form)s: %(name)s.") % {"form": submission.form_name, "name": submission.customer.display_name},
            [user.email],
        )


@transaction.atomic
def webform_confirm(*, token: str) -> WebFormSubmission | None:
    """Mark the submission of ``token`` as confirmed ("bestätigt"); None for an unknown token."""
    if not token or len(token) > 64:
        return None
    submission = WebFormSubmission.objects.select_for_update().filter(confirm_token=token).select_related("customer").first()
    if submission is None:
        return None
    if submission.confirmed_at is None:
        submission.confirmed_at = timezone.now()
        submission.save(update_fields=["confirmed_at"])
        transaction.on_commit(lambda: _notify(submission))
    return submission


def webform_cleanup(*, now: datetime.datetime | None = None) -> int:
    """Delete prospects of double opt-in submissions not confirmed within their form's days; return how many."""
    from fortycrm.services.customers import customer_delete

    now = now or timezone.now()
    deleted = 0
    pending = WebFormSubmission.objects.filter(confirm_token__isnull=False, confirmed_at__isnull=True).select_related("form", "customer")
    for submission in pending.iterator():
        days = submission.form.unconfirmed_days if submission.form else 7
        if submission.submitted_at <= now - datetime.timedelta(days=days):
            with transaction.atomic():
                customer_delete(customer=submission.customer)
            deleted += 1
    return deleted

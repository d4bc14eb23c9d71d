"""Issue 15 in a real browser: a page on another origin embeds the form."""

from __future__ import annotations

import functools
import http.server
import threading

import pytest

from fortycrm.models import Customer, WebForm
from tests.webforms.conftest import CONSENT

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def other_site(tmp_path):
    """A static website on 127.0.0.1 (another origin than the live server on localhost)."""
    handler = functools.partial(_Quiet, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield tmp_path, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def make_form(origin: str, **extra) -> WebForm:
    form = WebForm(
        name="Kontakt Website", allowed_origins=origin, min_fill_seconds=0,
        fields=[{"name": "company_name", "required": False}, {"name": "last_name", "required": True},
                {"name": "email", "required": True}, {"name": "message", "required": False}],
        thank_you_text="Vielen Dank, wir melden uns!", consent_text=CONSENT, **extra,
    )
    form.full_clean()
    form.save()
    return form


def test_snippet_on_another_site_lands_in_the_desk_with_consent(desk_page, live_server, other_site):
    from fortycrm.admin.webforms import snippet_script

    folder, origin = other_site
    form = make_form(origin)
    snippet = snippet_script(form).replace('src="/forms/', f'src="{live_server.url}/forms/')
    (folder / "kontakt.html").write_text(
        f'<!doctype html><html lang="de"><head><meta charset="utf-8"><title>Kontakt</title></head><body><h1>Kontakt</h1>{snippet}</body></html>',
        encoding="utf-8",
    )
    page = desk_page
    page.goto(f"{origin}/kontakt.html")
    page.get_by_role("button", name="Absenden").click()
    assert page.get_by_text("Bitte füllen Sie dieses Feld aus.").first.is_visible()  # shown next to the field
    page.get_by_label("Firma").fill("Hausverwaltung Sonne GmbH")
    page.get_by_label("Nachname (Pflichtfeld)").fill("Sonne")
    page.get_by_label("E-Mail (Pflichtfeld)").fill("petra@sonne.example")
    page.get_by_label("Ihre Nachricht").fill("Bitte ein Angebot für die Treppenhausreinigung.")
    page.get_by_label(CONSENT).check()
    page.get_by_role("button", name="Absenden").click()
    page.get_by_text("Vielen Dank, wir melden uns!").wait_for()

    customer = Customer.objects.get(name="Hausverwaltung Sonne GmbH")
    assert customer.web_submission.page_url == f"{origin}/kontakt.html"
    page.goto(f"{live_server.url}/desk/")
    page.locator("#fortycrm-enquiries").get_by_text("Hausverwaltung Sonne GmbH").wait_for()
    page.goto(f"{live_server.url}/desk/fortycrm/customer/{customer.pk}/change/")
    page.get_by_text("Website-Formular und Einwilligung").first.click()
    evidence = page.locator("#fortycrm-web-submission")
    evidence.get_by_text(CONSENT).wait_for()
    assert f"{origin}/kontakt.html" in evidence.inner_text()


def test_plain_html_form_posts_and_redirects(page, live_server, other_site):
    from fortycrm.admin.webforms import snippet_plain

    folder, origin = other_site
    form = make_form(origin, redirect_url=f"{origin}/danke.html")
    html = snippet_plain(form).replace('action="/forms/', f'action="{live_server.url}/forms/')
    (folder / "kontakt.html").write_text(f'<!doctype html><html lang="de"><head><meta charset="utf-8"><title>Kontakt</title></head><body>{html}</body></html>', encoding="utf-8")
    (folder / "danke.html").write_text('<!doctype html><html lang="de"><head><meta charset="utf-8"><title>Danke</title></head><body><p>Danke!</p></body></html>', encoding="utf-8")
    page.goto(f"{origin}/kontakt.html")
    page.get_by_label("Nachname").fill("Sonne")
    page.get_by_label("E-Mail").fill("petra@sonne.example")
    page.get_by_label(CONSENT).check()
    page.get_by_role("button", name="Absenden").click()
    page.wait_for_url(f"{origin}/danke.html")
    assert Customer.objects.get(last_name="Sonne").web_submission.consented_at is not None

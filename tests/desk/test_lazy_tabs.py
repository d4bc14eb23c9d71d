"""Record tabs loaded when opened (issue 13, ``fortycrm/admin/lazy_tabs.py``): the customer and
location records render only what is open; a tab's rows come from ``…/tab/<prefix>/`` with the
record's permission checks; a tab never opened is neither checked nor saved (nothing deleted or
changed), an opened tab is saved as before and shown again with its errors.
"""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fortycrm.models import Contact, Customer, Location
from fortycrm.services.contacts import contact_save
from fortycrm.services.locations import location_save
from fortycrm.setup import ROLE_OFFICE
from tests import factories

pytestmark = pytest.mark.django_db


class _Fields(HTMLParser):
    """The values a browser sends for the form fields in a piece of HTML."""

    def __init__(self) -> None:
        super().__init__()
        self.data: list[tuple[str, str]] = []
        self._select: str | None = None
        self._options: list[tuple[str, bool]] = []
        self._textarea: str | None = None
        self._text = ""

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in ("submit", "button", "file", "image"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            self.data.append((name, a.get("value") or ("on" if a.get("type") == "checkbox" else "")))
        elif tag == "select" and name:
            self._select, self._options = name, []
        elif tag == "option" and self._select is not None:
            self._options.append((a.get("value") or "", "selected" in a))
        elif tag == "textarea" and name:
            self._textarea, self._text = name, ""

    def handle_data(self, data):
        if self._textarea is not None:
            self._text += data

    def handle_endtag(self, tag):
        if tag == "select" and self._select is not None:
            chosen = [v for v, selected in self._options if selected] or [v for v, _ in self._options[:1]]
            self.data.extend((self._select, v) for v in chosen)
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            self.data.append((self._textarea, self._text.removeprefix("\n")))
            self._textarea = None


def _form_data(*html: str) -> dict[str, list[str]]:
    parser = _Fields()
    for part in html:
        parser.feed(part)
    data: dict[str, list[str]] = {}
    for name, value in parser.data:
        data.setdefault(name, []).append(value)
    return data


def _record_form(html: str, model_name: str) -> str:
    start = html.index(f'id="{model_name}_form"')
    return html[start : html.index("</form>", start)]


def _get(client, url):
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == 200, url
    return response.content.decode()


def _customer_with_rows():
    customer = factories.company("Reiter GmbH", status="Kunde")
    contact_save(contact=Contact(customer=customer, first_name="Erika", last_name="Tabmann", email="erika@example.com"))
    contact_save(contact=Contact(customer=customer, first_name="Ole", last_name="Zweiter"))
    location_save(location=Location(customer=customer, name="Objekt Hafen", city="Hamburg"))
    return customer


def test_the_record_renders_only_the_open_tab_and_the_tab_view_its_rows(admin_client):
    customer = _customer_with_rows()
    record = f"/desk/fortycrm/customer/{customer.pk}"
    html = _get(admin_client, f"{record}/change/")
    assert "Tabmann" not in html and "Objekt Hafen" not in html  # the contacts and locations tabs are not rendered
    for prefix in ("contacts", "locations", "cost_bearer_links", "own_settings"):
        assert f'data-lazy-tab-url="{record}/tab/{prefix}/"' in html
    assert "Wird geladen …" in html
    assert 'name="contacts-TOTAL_FORMS"' not in html
    contacts = _get(admin_client, f"{record}/tab/contacts/")
    assert 'value="Tabmann"' in contacts and 'name="contacts-TOTAL_FORMS"' in contacts and "contacts-__prefix__-" in contacts
    assert contacts.lstrip().startswith('<div id="contacts-group"')  # the tab, as the record page would render it
    assert 'value="Objekt Hafen"' in _get(admin_client, f"{record}/tab/locations/")
    # the location record, and the add page (a new customer's first contacts)
    location = Location.objects.get(customer=customer)
    html = _get(admin_client, f"/desk/fortycrm/location/{location.pk}/change/")
    assert f'data-lazy-tab-url="/desk/fortycrm/location/{location.pk}/tab/meters/"' in html
    assert 'name="meters-TOTAL_FORMS"' in _get(admin_client, f"/desk/fortycrm/location/{location.pk}/tab/meters/")
    assert 'data-lazy-tab-url="/desk/fortycrm/customer/add/tab/contacts/"' in _get(admin_client, "/desk/fortycrm/customer/add/")
    assert 'name="contacts-TOTAL_FORMS"' in _get(admin_client, "/desk/fortycrm/customer/add/tab/contacts/")


def test_an_inline_page_asked_for_in_the_address_is_rendered_on_the_record(admin_client):
    customer = _customer_with_rows()
    html = _get(admin_client, f"/desk/fortycrm/customer/{customer.pk}/change/?contacts-page=1")
    assert 'value="Tabmann"' in html and 'id="contacts-data"' in html  # unfold's paging swaps #contacts-data from it
    assert "Objekt Hafen" not in html


def test_saving_without_opening_a_tab_changes_and_deletes_none_of_its_rows(admin_client):
    customer = _customer_with_rows()
    url = f"/desk/fortycrm/customer/{customer.pk}/change/"
    data = _form_data(_record_form(_get(admin_client, url), "customer"))
    assert not any(name.startswith("contacts-") for name in data)
    data["city"] = ["Bremen"]
    contacts_before = list(Contact.objects.filter(customer=customer).order_by("pk").values())
    response = admin_client.post(url, {**data, "_save": ""}, HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Customer.objects.get(pk=customer.pk).city == "Bremen"
    assert list(Contact.objects.filter(customer=customer).order_by("pk").values()) == contacts_before
    assert Location.objects.filter(customer=customer).count() == 1


def test_an_opened_tab_is_saved_and_its_errors_show_in_that_tab(admin_client):
    customer = _customer_with_rows()
    record = f"/desk/fortycrm/customer/{customer.pk}"
    page = _record_form(_get(admin_client, f"{record}/change/"), "customer")
    tab = _get(admin_client, f"{record}/tab/contacts/")
    data = _form_data(page, tab)
    erika = Contact.objects.get(last_name="Tabmann")
    row = next(name.removesuffix("-id") for name, values in data.items() if name.endswith("-id") and values == [str(erika.pk)])

    data[f"{row}-email"] = ["keine-adresse"]  # invalid: the page comes back with the error in the contacts tab
    response = admin_client.post(f"{record}/change/", {**data, "_save": ""}, HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="contacts-data"' in html and "data-lazy-tab-url=\"" + f"{record}/tab/contacts/" not in html  # rendered, with the rows sent
    assert 'value="keine-adresse"' in html
    assert "activeTab: 'contacts'" in html  # that tab opens
    assert f'data-lazy-tab-url="{record}/tab/locations/"' in html  # the tab never opened stays a placeholder
    assert Contact.objects.get(pk=erika.pk).email == "erika@example.com"

    data[f"{row}-email"] = ["erika.neu@example.com"]
    data[f"{row}-last_name"] = ["Tabfrau"]
    response = admin_client.post(f"{record}/change/", {**data, "_save": ""}, HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == 302
    erika.refresh_from_db()
    assert (erika.last_name, erika.email) == ("Tabfrau", "erika.neu@example.com")
    assert Contact.objects.filter(customer=customer).count() == 2 and Location.objects.filter(customer=customer).count() == 1


def test_the_tab_view_checks_the_record_permission_and_answers_404_for_what_does_not_exist(admin_client, client, django_user_model):
    customer = _customer_with_rows()
    assert admin_client.get(f"/desk/fortycrm/customer/{customer.pk}/tab/nothing/").status_code == 404
    assert admin_client.get(f"/desk/fortycrm/customer/{customer.pk}/tab/history/").status_code == 404  # not an inline tab
    assert admin_client.get("/desk/fortycrm/customer/999999/tab/contacts/").status_code in (302, 404)
    assert admin_client.get("/desk/fortycrm/customer/abc/tab/contacts/").status_code in (302, 404)

    office = django_user_model.objects.create_user("buero", password="pw-buero-12345")
    office.groups.add(Group.objects.get(name=ROLE_OFFICE))
    client.force_login(office)
    assert client.get(f"/desk/fortycrm/customer/{customer.pk}/tab/contacts/").status_code == 200
    nobody = django_user_model.objects.create_user("ohne", password="pw-ohne-12345", is_staff=True)
    nobody.user_permissions.add(Permission.objects.get(codename="view_location"))
    client.force_login(nobody)
    assert client.get(f"/desk/fortycrm/customer/{customer.pk}/tab/contacts/").status_code in (302, 403)
    assert client.get("/desk/fortycrm/customer/add/tab/contacts/").status_code in (302, 403)
    assert "Tabmann" not in client.get(f"/desk/fortycrm/customer/{customer.pk}/tab/contacts/").content.decode()


def test_the_record_builds_no_rows_of_closed_tabs(admin_client):
    """The record's queries and built rows do not depend on the rows of its closed tabs."""
    customer = _customer_with_rows()
    url = f"/desk/fortycrm/customer/{customer.pk}/change/"
    _get(admin_client, url)
    with CaptureQueriesContext(connection) as before:
        _get(admin_client, url)
    for k in range(5):
        contact_save(contact=Contact(customer=customer, first_name=f"Mehr{k}", last_name="Leute"))
    with CaptureQueriesContext(connection) as after:
        html = _get(admin_client, url)
    assert len(after) == len(before)
    assert "Leute" not in html


def test_closed_tabs_read_no_rows_and_build_one_empty_form_each(admin_client, monkeypatch):
    """A closed tab's placeholder reads none of its rows (no inline page count, no rows) and builds
    its empty form once, for the page's scripts and styles (Django built it four times a tab: the
    media, the prepopulated fields, unfold's search for nested inlines)."""
    from django.forms.formsets import BaseFormSet

    customer = _customer_with_rows()
    url = f"/desk/fortycrm/customer/{customer.pk}/change/"
    _get(admin_client, url)
    built = []
    original = BaseFormSet.empty_form.fget
    monkeypatch.setattr(BaseFormSet, "empty_form", property(lambda formset: built.append(formset.prefix) or original(formset)))
    with CaptureQueriesContext(connection) as captured:
        html = _get(admin_client, url)
    assert sorted(built) == ["contacts", "cost_bearer_links", "locations", "own_settings"]
    tables = ("fortycrm_contact", "fortycrm_location", "fortycrm_customercostbearer", "fortycrm_customersettings")
    read = [q["sql"] for q in captured if any(f'FROM "{t}"' in q["sql"] or f"FROM `{t}`" in q["sql"] for t in tables)]
    assert read == []
    assert 'id="contacts-group" class="fortycrm-lazy-tab"' in html
    # an opened tab still pages and counts its rows
    built.clear()
    contacts = _get(admin_client, f"/desk/fortycrm/customer/{customer.pk}/tab/contacts/")
    assert 'value="Tabmann"' in contacts and "contacts-__prefix__-" in contacts
    assert "contacts" in built and "locations" not in built  # the other tabs: placeholders, not asked for


def test_inlines_without_nested_inlines_skip_unfolds_search_for_them(admin_client, monkeypatch):
    """unfold's ``_build_nested_formsets`` is handed only inlines that declare nested inlines: none
    of the desk's, so it builds no empty form; an inline that declares some still gets them."""
    from unfold.mixins.nested_inlines_model_admin import NestedInlinesModelAdminMixin

    from fortycrm.admin.base import NoNestedInlinesMixin

    handed = []
    monkeypatch.setattr(NestedInlinesModelAdminMixin, "_build_nested_formsets", lambda self, request, obj, formsets, inlines, change: handed.append(list(inlines)))
    customer = _customer_with_rows()
    _get(admin_client, f"/desk/fortycrm/customer/{customer.pk}/change/")
    _get(admin_client, f"/desk/fortycrm/customer/{customer.pk}/tab/contacts/")
    assert handed == []

    class Nested:
        inlines = ["something"]

    class Flat:
        inlines = []

    class Admin(NoNestedInlinesMixin, NestedInlinesModelAdminMixin):
        pass

    Admin()._build_nested_formsets(None, None, ["a", "b"], [Flat(), nested := Nested()], False)
    assert handed == [[nested]]

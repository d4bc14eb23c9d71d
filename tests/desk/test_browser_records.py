"""A customer with many contacts in a real browser (issue 13, item 5): the record shows a short
page of them and a link to the whole list, filtered to this customer; the contact list searches
umlaut-insensitively through the indexed search terms."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_many_contacts_page_on_the_record_and_open_in_the_list(desk_page, live_server):
    from fortycrm.models import Contact
    from fortycrm.search import record_terms_refresh, terms_refresh

    big = factories.company("Großkunde Müller GmbH", status="Kunde")
    other = factories.company("Andere GmbH", status="Kunde")
    contacts = Contact.objects.bulk_create([Contact(customer=big, first_name=f"Person{k:02d}", last_name="Weber", priority=1) for k in range(12)])
    contacts += Contact.objects.bulk_create([Contact(customer=other, first_name="Jörg", last_name="Weißmann", priority=1)])
    terms_refresh([big.pk, other.pk])
    record_terms_refresh("contact", [c.pk for c in contacts])

    page = desk_page
    page.goto(f"{live_server.url}/desk/fortycrm/customer/{big.pk}/change/#contacts")
    page.locator("a", has_text=re.compile(r"^\s*Ansprechpartner\s*$")).filter(visible=True).last.click()
    note = page.locator(".fortycrm-inline-show-all").filter(visible=True)
    expect(note).to_contain_text("3 je Seite von 12.")
    expect(page.locator("input[name^='contacts-'][name$='-first_name']:not([name*='__prefix__'])")).to_have_count(3)
    note.get_by_role("link", name="Alle 12 in der Liste anzeigen").click()

    page.wait_for_url(re.compile(rf"/desk/fortycrm/contact/\?customer__id__exact={big.pk}$"))
    expect(page.locator("#result_list tbody tr")).to_have_count(12)
    expect(page.locator("body")).to_contain_text("Großkunde Müller GmbH")  # the chip names the customer

    page.goto(f"{live_server.url}/desk/fortycrm/contact/")
    search = page.locator("input[name=q]").first
    search.fill("weissmann")
    search.press("Enter")
    expect(page.locator("#result_list tbody tr")).to_have_count(1)
    expect(page.locator("#result_list")).to_contain_text("Weißmann")


def test_a_tab_loaded_when_opened_is_edited_and_saved(desk_page, live_server):
    """The record renders only the open tab (fortycrm/admin/lazy_tabs.py): opening "Ansprechpartner"
    loads its rows into the form; a changed row and a new row are saved with it; the tab never
    opened (Objekte) loses nothing."""
    from fortycrm.models import Contact, Location
    from fortycrm.services.contacts import contact_save
    from fortycrm.services.locations import location_save

    customer = factories.company("Reiter GmbH", status="Kunde")
    contact_save(contact=Contact(customer=customer, first_name="Erika", last_name="Tabmann", priority=1))
    location_save(location=Location(customer=customer, name="Objekt Hafen", city="Hamburg"))

    page = desk_page
    page.goto(f"{live_server.url}/desk/fortycrm/customer/{customer.pk}/change/")
    expect(page.locator("#contacts-group input[name$='-last_name']")).to_have_count(0)  # not rendered yet
    page.locator("#tabs-items a", has_text=re.compile(r"^\s*Ansprechpartner")).first.click()
    last_name = page.locator("#contacts-group input[name^='contacts-0-last_name']")
    expect(last_name).to_have_value("Tabmann")
    last_name.fill("Tabfrau")
    page.locator("#contacts-group a.add-row").first.click()  # a new row in the loaded tab
    page.locator("input[name='contacts-1-first_name']").fill("Neu")
    page.locator("input[name='contacts-1-last_name']").fill("Hinzu")
    page.locator("#tabs-items a", has_text=re.compile(r"^\s*(Allgemein|General)")).first.click()
    page.locator("#id_short_name").fill("Reiter")
    page.locator("button[name='_continue'], button[name='_save']").first.click()
    expect(page.locator(".messagelist, [role=alert], #messages, body")).to_contain_text("erfolgreich")

    assert sorted(Contact.objects.filter(customer=customer).values_list("last_name", flat=True)) == ["Hinzu", "Tabfrau"]
    assert Location.objects.filter(customer=customer, name="Objekt Hafen").count() == 1
    customer.refresh_from_db()
    assert customer.short_name == "Reiter"

    # after saving, the record opens the tab again and shows the saved rows
    page.goto(f"{live_server.url}/desk/fortycrm/customer/{customer.pk}/change/#contacts")
    expect(page.locator("#contacts-group input[name$='-last_name']:not([name*='__prefix__'])").first).to_be_visible()
    expect(page.locator("#contacts-group")).to_be_visible()

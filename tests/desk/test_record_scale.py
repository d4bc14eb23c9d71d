"""Desk records and list searches at scale (issue 13, items 3 and 5): a record page costs the
same number of queries with 10 or 500 contacts, locations and readings (short editable pages and
a link to the whole list), and the contacts, locations, meters, readings, orders and invoices
lists search through indexed terms (umlauts folded, prefixes). Run on SQLite and MariaDB
(``DATABASE_URL=mysql://…``).
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from fortycrm.models import Contact, Invoice, Location, Meter, MeterReading, Order, RecordSearchTerm
from fortycrm.search import record_terms_refresh, terms_refresh
from fortycrm.services.contacts import contact_delete, contact_save
from fortycrm.services.locations import location_save
from tests import factories


def _get(client, url: str, **params):
    response = client.get(url, params, HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == 200, url
    return response


def _queries(client, url: str) -> int:
    _get(client, url)  # warm-up: caches filled as in daily use
    with CaptureQueriesContext(connection) as captured:
        _get(client, url)
    return len(captured)


def _rows(customer, contacts: int, locations: int, readings: int) -> tuple[Location, Meter]:
    """Bulk rows for ``customer`` up to the given numbers (the first location holds the meter)."""
    have_contacts = Contact.objects.filter(customer=customer).count()
    new_contacts = Contact.objects.bulk_create([
        Contact(customer=customer, first_name=f"Person{k}", last_name="Weber", priority=k % 5 + 1)
        for k in range(have_contacts, contacts)
    ])
    have_locations = Location.objects.filter(customer=customer).count()
    new_locations = Location.objects.bulk_create([Location(customer=customer, name=f"Filiale {k:03d}") for k in range(have_locations, locations)])
    location = Location.objects.filter(customer=customer).order_by("pk").first()
    Contact.objects.bulk_create([
        Contact(customer=customer, location=location, first_name="Vor", last_name=f"Ort {k}")
        for k in range(Contact.objects.filter(location=location).count(), contacts // 2)
    ])
    meter = Meter.objects.filter(location=location).first() or Meter.objects.create(location=location, kind="gas", number="G-1", unit="m³")
    Meter.objects.bulk_create([
        Meter(location=location, kind="water", number=f"W-{k}", unit="m³") for k in range(Meter.objects.filter(location=location).count(), contacts // 10)
    ])
    now = timezone.now()
    have = MeterReading.objects.filter(meter=meter).count()
    MeterReading.objects.bulk_create([
        MeterReading(meter=meter, read_at=now - dt.timedelta(days=k + 1), value=Decimal(100000 - k)) for k in range(have, readings)
    ])
    terms_refresh([customer.pk])
    record_terms_refresh("contact", [c.pk for c in new_contacts])
    record_terms_refresh("location", [loc.pk for loc in new_locations])
    return location, meter


def test_record_query_counts_do_not_grow_with_their_rows(db, admin_client):
    big = factories.company("Großkunde GmbH", status="Kunde")
    location, meter = _rows(big, contacts=10, locations=10, readings=10)
    pages = [
        f"/desk/fortycrm/customer/{big.pk}/change/",
        f"/desk/fortycrm/location/{location.pk}/change/",
        f"/desk/fortycrm/meter/{meter.pk}/change/",
        # the tabs, loaded when opened
        f"/desk/fortycrm/customer/{big.pk}/tab/contacts/",
        f"/desk/fortycrm/customer/{big.pk}/tab/locations/",
        f"/desk/fortycrm/location/{location.pk}/tab/meters/",
        f"/desk/fortycrm/location/{location.pk}/tab/contacts/",
    ]
    small = {url: _queries(admin_client, url) for url in pages}
    _rows(big, contacts=500, locations=200, readings=500)
    large = {url: _queries(admin_client, url) for url in pages}
    assert large == small
    assert small[pages[0]] <= 40  # was 95: every read-only section ran up to seven times per page


def test_long_sections_page_and_link_to_the_filtered_list(db, admin_client):
    big = factories.company("Großkunde GmbH", status="Kunde")
    other = factories.company("Andere GmbH", status="Kunde")
    contact_save(contact=Contact(customer=other, first_name="Nicht", last_name="Dabei"))
    location, meter = _rows(big, contacts=40, locations=30, readings=50)

    record = f"/desk/fortycrm/customer/{big.pk}"
    # the record's tabs are loaded when opened (fortycrm/admin/lazy_tabs.py): the page and its tabs
    text = re.sub(r"\s+", " ", "".join(_get(admin_client, f"{record}/{part}/").content.decode() for part in ("change", "tab/contacts", "tab/locations")))
    assert f'href="/desk/fortycrm/contact/?customer__id__exact={big.pk}"' in text
    assert "Alle 60 in der Liste anzeigen" in text and "Alle 30 in der Liste anzeigen" in text  # 40 + 20 at the location
    response = _get(admin_client, "/desk/fortycrm/contact/", customer__id__exact=big.pk)
    assert response.context["cl"].result_count == 60
    assert {c.customer_id for c in response.context["cl"].result_list} == {big.pk}
    assert "Großkunde GmbH" in re.sub(r"\s+", " ", response.content.decode())  # the chip names the customer

    text = re.sub(r"\s+", " ", _get(admin_client, f"/desk/fortycrm/meter/{meter.pk}/change/").content.decode())
    assert f'href="/desk/fortycrm/meterreading/?meter__id__exact={meter.pk}"' in text and "Alle 50 in der Liste anzeigen" in text
    response = _get(admin_client, "/desk/fortycrm/meterreading/", meter__id__exact=meter.pk)
    assert response.context["cl"].result_count == 50
    newest = MeterReading.objects.filter(meter=meter).order_by("-read_at", "-id").first()
    assert response.context["cl"].result_list[0].pk == newest.pk  # newest first

    # a short section shows no link; a malformed id lists nothing instead of failing
    small = factories.company("Klein GmbH", status="Kunde")
    assert "in der Liste anzeigen" not in _get(admin_client, f"/desk/fortycrm/customer/{small.pk}/tab/contacts/").content.decode()
    assert _get(admin_client, "/desk/fortycrm/contact/", customer__id__exact="abc").context["cl"].result_count == 0


def test_yes_no_filters_use_the_index_form_and_answer_right(db, admin_client):
    customer = factories.company("Objekt GmbH", status="Kunde")
    separate = location_save(location=Location(customer=customer, name="Extra", bill_separately=True))
    location_save(location=Location(customer=customer, name="Normal"))
    response = _get(admin_client, "/desk/fortycrm/location/", bill_separately__exact="1")
    assert [loc.pk for loc in response.context["cl"].result_list] == [separate.pk]
    response = _get(admin_client, "/desk/fortycrm/location/", bill_separately__exact="0")
    assert [loc.name for loc in response.context["cl"].result_list] == ["Normal"]
    with CaptureQueriesContext(connection) as captured:
        _get(admin_client, "/desk/fortycrm/location/", bill_separately__exact="1")
    assert any("bill_separately` IN" in q["sql"] or '"bill_separately" IN' in q["sql"] for q in captured.captured_queries)


def _list_found(client, url: str, query: str) -> set:
    return {row.pk for row in _get(client, url, q=query).context["cl"].result_list}


@pytest.mark.parametrize("path", ["literal ids", "subquery", "rows probed"])
def test_list_searches_use_terms_fold_umlauts_and_prefixes(db, admin_client, monkeypatch, path):
    """The same answers whichever way a word's matches are used: few as a literal id list, many as a
    subquery (SQLite: EXISTS; MariaDB: materialised), many and common on MariaDB: each row probed."""
    from fortycrm import search

    if path != "literal ids":
        monkeypatch.setattr(search, "LITERAL_IDS", 0)
        monkeypatch.setattr(search, "DENSE_MATCH", 0 if path == "rows probed" else 10**9)
    mueller = factories.company("Müller Straßenbau GmbH", status="Kunde", number=10030)
    other = factories.company("Beta AG", status="Kunde", number=20040)
    jorg = contact_save(contact=Contact(customer=other, first_name="Jörg", last_name="Weißmann", email="jw@beta.example"))
    plain = contact_save(contact=Contact(customer=mueller, first_name="Anna", last_name="Schulz"))
    street = location_save(location=Location(customer=other, name="Lager", street="Hauptstraße 5", city="Köln"))
    home = location_save(location=Location(customer=mueller, name="Zentrale", city="Berlin"))
    meter = Meter.objects.create(location=street, kind="gas", number="Z-88123", unit="m³")
    reading = MeterReading.objects.create(meter=meter, read_at=timezone.now() - dt.timedelta(days=1), value=Decimal("12"),
                                          comment="Zähler klemmt")
    order = Order.objects.create(customer=mueller, location=home, title="Glasreinigung Südflügel", start=timezone.localdate())
    invoice = Invoice.objects.create(customer=other, date=timezone.localdate(), number=2026000777, is_draft=False)

    contacts = "/desk/fortycrm/contact/"
    assert _list_found(admin_client, contacts, "weissmann") == {jorg.pk}
    assert _list_found(admin_client, contacts, "Jorg Weiß") == {jorg.pk}
    assert _list_found(admin_client, contacts, "muller") == {plain.pk}  # by its customer's name
    assert _list_found(admin_client, contacts, "muller weissmann") == set()  # every word must match
    locations = "/desk/fortycrm/location/"
    assert _list_found(admin_client, locations, "hauptstrasse") == {street.pk}
    assert _list_found(admin_client, locations, "koln") == {street.pk}
    assert _list_found(admin_client, locations, "strassenbau") == {home.pk}  # by its customer's name
    assert _list_found(admin_client, "/desk/fortycrm/meter/", "z-881") == {meter.pk}  # number prefix
    assert _list_found(admin_client, "/desk/fortycrm/meter/", "lager") == {meter.pk}  # by its location
    assert _list_found(admin_client, "/desk/fortycrm/meterreading/", "Z-88123") == {reading.pk}
    assert _list_found(admin_client, "/desk/fortycrm/meter/", "beta") == {meter.pk}  # by its location's customer
    assert _list_found(admin_client, "/desk/fortycrm/meterreading/", "Z-88123") == {reading.pk}
    assert _list_found(admin_client, "/desk/fortycrm/meterreading/", "zahler klemmt") == {reading.pk}  # its comment
    assert _list_found(admin_client, "/desk/fortycrm/order/", "mueller") == {order.pk}
    assert _list_found(admin_client, "/desk/fortycrm/order/", "sudflugel") == {order.pk}  # its title
    assert _list_found(admin_client, "/desk/fortycrm/order/", "glasreinigung zentrale") == {order.pk}
    order.title = "Winterdienst"
    order.save()
    assert _list_found(admin_client, "/desk/fortycrm/order/", "sudflugel") == set()
    assert _list_found(admin_client, "/desk/fortycrm/invoice/", "2026000777") == {invoice.pk}
    assert _list_found(admin_client, "/desk/fortycrm/invoice/", "beta") == {invoice.pk}

    # the terms follow saves and deletes
    jorg.last_name = "Schmidt"
    contact_save(contact=jorg)
    assert _list_found(admin_client, contacts, "weissmann") == set()
    assert _list_found(admin_client, contacts, "schmidt") == {jorg.pk}
    contact_delete(contact=jorg)
    assert not RecordSearchTerm.objects.filter(kind="contact", record_id=jorg.pk).exists()


def test_list_search_reads_an_index_not_every_row(db, admin_client):
    factories.company("Müller GmbH", status="Kunde")
    with CaptureQueriesContext(connection) as captured:
        _get(admin_client, "/desk/fortycrm/contact/", q="muller")
    sql = " ".join(q["sql"] for q in captured.captured_queries if "fortycrm_contact" in q["sql"])
    assert not re.search(r"(first_name|last_name|email|name)\W*\s+LIKE", sql)  # no LIKE '%…%' over the rows
    # the terms' index answers (MariaDB: LIKE 'muller%' on it, a range); the contacts by their ids
    # (the contacts list: its customers' terms, which hold the contacts' own words)
    assert any("customersearchterm" in q["sql"] for q in captured.captured_queries)
    with CaptureQueriesContext(connection) as captured:
        _get(admin_client, "/desk/fortycrm/location/", q="muller")
    assert any("recordsearchterm" in q["sql"] for q in captured.captured_queries)


def _old_rule(query: str) -> set:
    """Contacts every query word finds among the contact's own terms or its customer's terms (the
    rule the contacts list answered by two lists of matches per word until session 12)."""
    from fortycrm.models import CustomerSearchTerm
    from fortycrm.search import query_words

    ids = set(Contact.objects.values_list("pk", flat=True))
    for variants in query_words(query):
        own = {pk for pk, term in RecordSearchTerm.objects.filter(kind="contact").values_list("record_id", "term")
               if any(term.startswith(v) for v in variants)}
        customers = {pk for pk, term in CustomerSearchTerm.objects.values_list("customer_id", "term") if any(term.startswith(v) for v in variants)}
        ids &= own | set(Contact.objects.filter(customer_id__in=customers).values_list("pk", flat=True))
    return ids


@pytest.mark.parametrize("path", ["literal ids", "subquery", "rows probed", "materialised"])
def test_contacts_search_by_their_own_or_their_customers_words(db, admin_client, monkeypatch, path):
    """The contacts list reads its customers' terms alone, one list of matches per word (a contact's
    own words are among its customer's terms): the same contacts as the contact's own terms OR its
    customer's, whichever way a word's matches are used, and it follows renames and moves."""
    from fortycrm import search
    from fortycrm.models import CustomerSearchTerm
    from fortycrm.services.customers import customer_update

    if path != "literal ids":
        monkeypatch.setattr(search, "LITERAL_IDS", 0)
        monkeypatch.setattr(search, "DENSE_MATCH", 10**9 if path == "subquery" else 0)
    if path == "materialised":  # several dense words: each part a materialised list (MariaDB)
        monkeypatch.setattr(search, "_dense", lambda subquery, column: True)
    weber = factories.company("Weber Hausdienste GmbH", status="Kunde")
    alpha = factories.company("Alpha Straßenbau AG", status="Kunde")
    jorg = contact_save(contact=Contact(customer=weber, first_name="Jörg", last_name="Krämer", email="jk@weber.example"))
    other = contact_save(contact=Contact(customer=alpha, first_name="Jorg", last_name="Weber"))
    eva = contact_save(contact=Contact(customer=alpha, first_name="Eva", last_name="Schulz"))
    contacts = "/desk/fortycrm/contact/"
    for query in ("jorg weber", "Jörg Weber", "kramer hausdienste", "kraemer", "alpha strasse", "krämer alpha", "eva", "weber", "zzz"):
        assert _list_found(admin_client, contacts, query) == _old_rule(query), query
    # by its customer's name / by its own; Eva too: her customer's terms hold its contacts' names (as before)
    assert _list_found(admin_client, contacts, "jorg weber") == {jorg.pk, other.pk, eva.pk}
    assert _list_found(admin_client, contacts, "kramer hausdienste") == {jorg.pk}  # a word of each
    assert _list_found(admin_client, contacts, "krämer alpha") == set()

    # a customer renamed: its contacts are found by the new name, no longer by the old
    customer_update(customer=weber, name="Zeta Reinigung GmbH")
    assert _list_found(admin_client, contacts, "jorg zeta") == {jorg.pk}
    assert _list_found(admin_client, contacts, "hausdienste") == set()
    # a contact moved to another customer: found by that customer's words, not the old one's
    omega = factories.company("Omega Hausmeister GmbH", status="Kunde")
    jorg.customer = omega
    contact_save(contact=jorg)
    assert _list_found(admin_client, contacts, "kramer omega") == {jorg.pk}
    assert _list_found(admin_client, contacts, "kramer zeta") == set()
    # a contact's own terms are always among its customer's (what the contacts search relies on)
    for contact in Contact.objects.all():
        own = set(RecordSearchTerm.objects.filter(kind="contact", record_id=contact.pk).values_list("term", flat=True))
        assert own <= set(CustomerSearchTerm.objects.filter(customer_id=contact.customer_id).values_list("term", flat=True))
    for query in ("jorg weber", "kramer", "eva alpha", "zeta", "omega"):
        assert _list_found(admin_client, contacts, query) == _old_rule(query), query
    assert eva.pk in _list_found(admin_client, contacts, "eva")

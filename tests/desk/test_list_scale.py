"""Desk lists at scale (issue 13): the search through indexed terms, and a query count per
list that does not grow with the data. Run on SQLite and MariaDB (``DATABASE_URL=mysql://…``);
figures at 100,000 customers come from ``benchmarks/desk_benchmark.py``.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import re
from decimal import Decimal

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from fortycrm.listcache import customer_data_changed
from fortycrm.models import (
    Contact,
    Customer,
    CustomerSearchTerm,
    ImportLog,
    Invoice,
    Location,
    Meter,
    MeterReading,
    Order,
    Tag,
)
from fortycrm.search import query_words, terms_of
from fortycrm.services.contacts import contact_delete, contact_save
from tests import factories

CUSTOMERS = "/desk/fortycrm/customer/"


def found(client, query: str) -> set[str]:
    """Display names on the customer list for a search (German desk)."""
    response = client.get(CUSTOMERS, {"q": query}, HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == 200
    return {c.display_name for c in response.context["cl"].result_list}


def test_terms_fold_umlauts_and_sharp_s():
    assert terms_of(["Müller-Lüdenscheidt GmbH"]) == {"muller", "mueller", "ludenscheidt", "luedenscheidt", "gmbh"}
    assert terms_of(["Straße", "info@mueller.de"]) == {"strasse", "info", "mueller", "de"}
    assert query_words("  Müller,  Straße ") == [{"muller", "mueller"}, {"strasse"}]


def test_search_umlauts_contacts_and_number_prefix(db, admin_client):
    mueller = factories.company("Müller Gebäudeservice GmbH", status="Kunde", number=10030)
    street = factories.company("Café an der Straße", status="Kunde", number=10039)
    other = factories.company("Beta GmbH", status="Kunde", number=10040, city="Köln")
    contact = contact_save(contact=Contact(customer=other, first_name="Jörg", last_name="Weißmann"))

    assert found(admin_client, "muller") == {mueller.display_name}
    assert found(admin_client, "Mueller") == {mueller.display_name}
    assert found(admin_client, "Müll") == {mueller.display_name}
    assert found(admin_client, "strasse") == {street.display_name}
    assert found(admin_client, "cafe") == {street.display_name}
    assert found(admin_client, "1003") == {mueller.display_name, street.display_name}  # 10030–10039, not 10040
    assert found(admin_client, "10040") == {other.display_name}
    assert found(admin_client, "jorg weissmann") == {other.display_name}  # a contact's name finds its customer
    assert found(admin_client, "koln beta") == {other.display_name}
    assert found(admin_client, "beta muller") == set()  # every word must match

    contact.last_name = "Schulz"
    contact_save(contact=contact)
    assert found(admin_client, "weissmann") == set()
    assert found(admin_client, "schulz") == {other.display_name}
    contact_delete(contact=contact)
    assert found(admin_client, "schulz") == set()

    mueller.name = "Neumann GmbH"
    mueller.save()
    assert found(admin_client, "muller") == set()
    assert found(admin_client, "neumann") == {"Neumann GmbH"}


def test_import_writes_search_terms(db, admin_user):
    from fortycrm.imports.driver import import_file

    csv = "Status;Name *;Ort\nKunde;Bäckerei Groß;Düsseldorf\nInteressent;Zweite AG;Essen\n".encode()
    result = import_file(template="company_customers", file=io.BytesIO(csv), file_name="kunden.csv", user=admin_user)
    assert result.error_count == 0, result.problems
    baker = Customer.objects.get(name="Bäckerei Groß")
    assert {"backerei", "baeckerei", "gross", "dusseldorf", "duesseldorf", str(baker.number)} <= set(
        CustomerSearchTerm.objects.filter(customer=baker).values_list("term", flat=True)
    )


def _fill(count: int, tag: Tag, start: int) -> None:
    """``count`` customers, each with a contact, location, meter, reading, order, invoice (bulk)."""
    from fortycrm.search import terms_refresh

    status = factories.status("Kunde")
    now = timezone.now()
    customers = Customer.objects.bulk_create(
        [Customer(kind="company", name=f"Firma {start + i} GmbH", status=status, number=50000 + start + i, city="Köln") for i in range(count)]
    )
    Customer.tags.through.objects.bulk_create([Customer.tags.through(customer_id=c.pk, tag_id=tag.pk) for c in customers])
    Contact.objects.bulk_create([Contact(customer=c, first_name="Jörg", last_name=f"Weber {c.pk}") for c in customers])
    locations = Location.objects.bulk_create([Location(customer=c, name=f"Objekt {c.pk}") for c in customers])
    meters = Meter.objects.bulk_create([Meter(location=loc, kind="gas", number=f"Z{loc.pk}", unit="m³") for loc in locations])
    MeterReading.objects.bulk_create([MeterReading(meter=m, read_at=now - dt.timedelta(days=1), value=Decimal("5")) for m in meters])
    Order.objects.bulk_create([Order(customer=c, location=loc, title="Reinigung", start=now.date()) for c, loc in zip(customers, locations)])
    Invoice.objects.bulk_create([Invoice(customer=c, date=now.date(), number=70000 + c.pk, is_draft=False) for c in customers])
    ImportLog.objects.bulk_create([ImportLog(template="company_customers", file_name=f"f{start + i}.csv") for i in range(count)])
    terms_refresh([c.pk for c in customers])
    from fortycrm.search import record_terms_refresh

    for kind, model in (("contact", Contact), ("location", Location), ("meter", Meter)):
        record_terms_refresh(kind, model.objects.values_list("pk", flat=True))
    customer_data_changed()


def _queries(client, url: str) -> int:
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="de")  # warm-up: caches filled as in daily use
    assert response.status_code == 200, url
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == 200, url
    return len(captured)


def test_list_query_counts_do_not_grow_with_the_data(db, admin_client):
    tag = Tag.objects.create(name="Winterdienst")
    big = factories.company("Großkunde GmbH", status="Kunde")
    lists = [
        CUSTOMERS,
        f"{CUSTOMERS}?tags__id__exact={tag.pk}",
        f"{CUSTOMERS}?q=firma",
        f"{CUSTOMERS}?q=jorg+weber",
        f"{CUSTOMERS}?o=2",
        "/desk/fortycrm/contact/",
        "/desk/fortycrm/contact/?customer__kind__exact=company",
        "/desk/fortycrm/contact/?q=jorg+weber",
        "/desk/fortycrm/location/?q=objekt",
        "/desk/fortycrm/meter/?q=z",
        "/desk/fortycrm/meterreading/?q=objekt",
        "/desk/fortycrm/order/?q=firma",
        "/desk/fortycrm/invoice/?q=firma",
        "/desk/fortycrm/location/",
        "/desk/fortycrm/meter/",
        "/desk/fortycrm/meterreading/",
        "/desk/fortycrm/order/",
        "/desk/fortycrm/invoice/",
        "/desk/fortycrm/importlog/",
        f"{CUSTOMERS}{big.pk}/change/",
    ]
    _fill(55, tag, 0)  # more than one page of 50 already, so both runs page the same way
    small = {url: _queries(admin_client, url) for url in lists}
    _fill(55, tag, 55)
    large = {url: _queries(admin_client, url) for url in lists}
    assert large == small


def test_capped_count_and_deep_page_by_id(db, admin_client, monkeypatch):
    from fortycrm.admin import lists
    from fortycrm.admin.contacts import ContactAdmin

    monkeypatch.setattr(ContactAdmin, "list_per_page", 10)
    monkeypatch.setattr(lists, "COUNT_CAP", 20)
    monkeypatch.setattr(lists, "DEFERRED_OFFSET", 10)
    tag = Tag.objects.create(name="Nord")
    _fill(45, tag, 0)
    response = admin_client.get("/desk/fortycrm/contact/", HTTP_ACCEPT_LANGUAGE="de")
    text = re.sub(r"\s+", " ", response.content.decode())
    assert "mehr als 20 Ansprechpartner" in text
    expected = list(Contact.objects.order_by("customer_id", "priority", "last_name", "id").values_list("pk", flat=True))
    monkeypatch.setattr(lists, "COUNT_CAP", 10)
    monkeypatch.setattr(ContactAdmin, "list_per_page", 20)
    response = admin_client.get("/desk/fortycrm/contact/?p=2", HTTP_ACCEPT_LANGUAGE="de")
    assert [c.pk for c in response.context["cl"].result_list] == expected[20:40]  # page 2 read by id, same order


def test_search_and_tag_filter_with_long_match_lists(db, admin_client, monkeypatch):
    """Many matches take the other path (EXISTS probed per row in the list's order; on MariaDB with
    the outer column as ``+ 0`` so it is not turned into a semi-join that materialises every match):
    same answers, for the tag filter, the customer kind filter of the contacts and the search."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from fortycrm import search
    from fortycrm.models import Contact

    monkeypatch.setattr(search, "SMALL_MATCH", 1)
    tag = Tag.objects.create(name="Süd")
    a = factories.company("Müller Nord GmbH", tags=["Süd"])
    b = factories.company("Müller Süd GmbH", tags=["Süd"])
    schulz = factories.company("Schulz GmbH")
    private = factories.private("Privat")
    assert found(admin_client, "muller") == {a.display_name, b.display_name}
    with CaptureQueriesContext(connection) as captured:
        response = admin_client.get(CUSTOMERS, {"tags__id__exact": tag.pk})
    assert {c.pk for c in response.context["cl"].result_list} == {a.pk, b.pk}
    page_query = next(q["sql"] for q in captured if "fortycrm_customer_tags" in q["sql"] and "ORDER BY" in q["sql"])
    assert "EXISTS" in page_query

    Contact.objects.bulk_create([Contact(customer=c, first_name="X", last_name=c.display_name) for c in (a, b, schulz, private)])
    response = admin_client.get("/desk/fortycrm/contact/", {"customer__kind__exact": "company"})
    assert {c.customer_id for c in response.context["cl"].result_list} == {a.pk, b.pk, schulz.pk}
    response = admin_client.get("/desk/fortycrm/contact/", {"customer__kind__exact": "private"})
    assert {c.customer_id for c in response.context["cl"].result_list} == {private.pk}
    monkeypatch.setattr(search, "SMALL_MATCH", 2000)  # a short list: IN, same answers
    response = admin_client.get(CUSTOMERS, {"tags__id__exact": tag.pk})
    assert {c.pk for c in response.context["cl"].result_list} == {a.pk, b.pk}
    response = admin_client.get("/desk/fortycrm/contact/", {"customer__kind__exact": "private"})
    assert {c.customer_id for c in response.context["cl"].result_list} == {private.pk}


def test_page_rows_are_read_by_id_without_the_search_again(db, admin_client):
    """The page's ids carry the search; its rows are then read by id alone (on MariaDB the search's
    conditions cost as much again for 50 rows). A query that could repeat rows keeps its conditions."""
    from fortycrm.admin.lists import _rows_by_ids

    for name in ("Müller Nord GmbH", "Müller Süd GmbH", "Schulz GmbH"):
        contact_save(contact=Contact(customer=factories.company(name), first_name="Jörg", last_name=name.split()[0]))
    with CaptureQueriesContext(connection) as captured:
        response = admin_client.get("/desk/fortycrm/contact/", {"q": "jorg muller"}, HTTP_ACCEPT_LANGUAGE="de")
    assert sorted(c.last_name for c in response.context["cl"].result_list) == ["Müller", "Müller"]
    rows_query = next(q["sql"] for q in captured
                      if "last_name" in q["sql"].split(" FROM ")[0] and q["sql"].split(" FROM ")[1].strip('`"').startswith("fortycrm_contact"))
    assert "searchterm" not in rows_query.lower()  # only "id IN (…)" of the page

    tag = Tag.objects.create(name="Nord")
    customer = Customer.objects.get(name="Müller Nord GmbH")
    customer.tags.add(tag)
    repeating = Customer.objects.filter(tags__name__in=["Nord", "X"]).distinct()  # a join to many rows
    assert "fortycrm_tag" in str(_rows_by_ids(repeating, [customer.pk]).query)
    every_id = list(Contact.objects.values_list("pk", flat=True))
    assert len(_rows_by_ids(Contact.objects.filter(last_name="Schulz"), every_id)) == 3  # a plain filter: the page's ids decide


def test_list_headers_computed_once_and_row_checkbox_as_unfold_renders_it(db, admin_client, monkeypatch):
    """unfold computes the column headers again for every row; the desk's lists compute them once
    per page. The row checkbox is unfold's widget, rendered once and given each row's id."""
    from unfold.admin import checkbox
    from unfold.templatetags import unfold_list

    from fortycrm.admin import lists
    from fortycrm.admin.contacts import ContactAdmin

    for k in range(12):
        contact_save(contact=Contact(customer=factories.company(f"Firma {k}"), first_name="Eva", last_name=f"Name {k}"))
    calls = []
    original = unfold_list.result_headers
    assert getattr(original, "fortycrm_once", False)  # installed when the desk's lists are loaded
    monkeypatch.setattr(unfold_list, "result_headers", lists._headers_once(lambda cl: calls.append(cl) or original.__wrapped__(cl)))
    response = admin_client.get("/desk/fortycrm/contact/", HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == 200 and len(response.context["cl"].result_list) == 12
    assert len(calls) == 1  # unfold alone: once for the header row and once per row (13)
    contact = Contact.objects.first()
    html = response.content.decode()
    assert str(checkbox.render("_selected_action", str(contact.pk))) in html
    assert ContactAdmin.action_checkbox(None, contact) == checkbox.render("_selected_action", str(contact.pk))


def test_capped_count_from_the_ordered_ids_gives_the_same_pages(db, admin_user):
    """A search of two or more common words (materialised parts): the capped count reads the ids in
    the list's order and the pages are cut from them — same count, same pages, one query less."""
    from django.test import RequestFactory

    from fortycrm.admin.lists import FastPaginator

    for k in range(30):
        contact_save(contact=Contact(customer=factories.company(f"Firma {k:02d}"), first_name="Eva", last_name=f"Name {k:02d}"))
    ordered = Contact.objects.order_by("customer_id", "priority", "last_name", "id")
    for wanted in (1, 2, 3):
        plain = FastPaginator(ordered, 10, cap=25, wanted_page=wanted)
        by_ids = FastPaginator(ordered, 10, cap=25, wanted_page=wanted, ids_with_count=True)
        with CaptureQueriesContext(connection) as captured:
            pages = (by_ids.count, by_ids.is_estimate, [c.pk for c in by_ids.page(wanted).object_list])
        assert pages == (plain.count, plain.is_estimate, [c.pk for c in plain.page(wanted).object_list])
        assert len(captured) == (2 if wanted * 10 <= 25 else 3)  # ids (+ count beyond the cap) + the rows

    # the desk: a materialised search (MariaDB, several common words) takes that path
    from fortycrm import search

    request = RequestFactory().get("/desk/fortycrm/contact/", {"q": "eva name"})
    request.user = admin_user
    from django.contrib import admin

    model_admin = admin.site._registry[Contact]
    original = search._dense
    try:
        search._dense = lambda subquery, column: True
        old_literal, search.LITERAL_IDS = search.LITERAL_IDS, 1
        model_admin.get_search_results(request, Contact.objects.all(), "eva name")
    finally:
        search._dense, search.LITERAL_IDS = original, old_literal
    assert request.fortycrm_search_materialised is (connection.vendor != "sqlite")


def test_list_page_asks_no_missing_attribute_of_the_admin(db, admin_client, monkeypatch):
    """unfold's list templates ask ``cl.model_admin.list_sections`` twice per row and
    ``cl.is_dataset``; a missing attribute makes Django's template list the object's attributes
    (``dir()``, ~50 µs for a ModelAdmin: ~5 ms a page). The desk's lists have both, same HTML."""
    import django.template.base as template_base
    from django.contrib import admin
    from django.contrib.admin.views.main import ChangeList

    for k in range(12):
        contact_save(contact=Contact(customer=factories.company(f"Firma {k}"), first_name="Eva", last_name=f"Name {k}"))
    listed = []
    monkeypatch.setattr(template_base, "dir", lambda obj: listed.append(type(obj)) or dir(obj), raising=False)
    for url in ("/desk/fortycrm/contact/", "/desk/fortycrm/contact/?q=eva", CUSTOMERS, "/desk/fortycrm/location/"):
        response = admin_client.get(url, HTTP_ACCEPT_LANGUAGE="de")
        assert response.status_code == 200
    assert not [t for t in listed if issubclass(t, (admin.ModelAdmin, ChangeList))]


def test_row_links_built_once_give_the_same_html(db, admin_client, monkeypatch):
    """A row's change link is reversed once per list and its kept filters worked out once per list
    (Django reverses and resolves every row's link): the same HTML as Django's own per-row work."""
    import re as regex

    from django.contrib.admin.views.main import ChangeList
    from unfold.templatetags import unfold_list

    from fortycrm.admin import lists

    for k in range(12):
        contact_save(contact=Contact(customer=factories.company(f"Firma {k}", status="Kunde"), first_name="Eva", last_name=f"Name {k}"))
    urls = ["/desk/fortycrm/contact/", "/desk/fortycrm/contact/?q=eva+firma", "/desk/fortycrm/contact/?q=eva&o=2",
            f"{CUSTOMERS}?q=firma", CUSTOMERS, "/desk/fortycrm/contact/?customer__kind__exact=company&q=name"]

    def pages() -> list[str]:
        html = [admin_client.get(url, HTTP_ACCEPT_LANGUAGE="de").content.decode() for url in urls]
        return [regex.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", page) for page in html]

    fast = pages()
    assert '/change/?_changelist_filters=q%3Deva%2Bfirma"' in fast[1]
    monkeypatch.setattr(unfold_list, "add_preserved_filters", unfold_list.add_preserved_filters.__wrapped__)
    monkeypatch.setattr(lists.FastChangeList, "url_for_result", ChangeList.url_for_result)
    assert pages() == fast


def test_sidebar_asks_no_missing_key_of_its_items(db, admin_client, monkeypatch):
    """unfold's sidebar asks every navigation item for ``badge`` and ``link_callback`` and every group
    for ``collapsible``; a key missing from the dict makes Django's template list the dict's
    attributes (``dir()``) and raise two exceptions, about 60 times a page. The navigation gives
    those keys with the values unfold takes for a missing one."""
    import sys

    import django.template.base as template_base

    from fortycrm import desk_navigation

    listed = []
    monkeypatch.setattr(template_base, "dir", lambda obj: listed.append((type(obj), sys._getframe(1).f_locals.get("bit"))) or dir(obj), raising=False)
    for url in ("/desk/", CUSTOMERS):
        response = admin_client.get(url, HTTP_ACCEPT_LANGUAGE="de")
        assert response.status_code == 200
        assert "Webhooks" in response.content.decode()
    sidebar_keys = {*desk_navigation.ITEM_DEFAULTS, *desk_navigation.GROUP_DEFAULTS}
    assert [bit for kind, bit in listed if kind is dict and bit in sidebar_keys] == []
    assert len([bit for kind, bit in listed if kind is dict]) <= 2  # the title's parts (the page's heading)
    items = [item for group in desk_navigation.UNFOLD["SIDEBAR"]["navigation"] for item in group["items"]]
    assert all(set(desk_navigation.ITEM_DEFAULTS) <= set(item) for item in items)


def test_probed_search_counts_by_the_materialised_form(db, admin_client, monkeypatch):
    """MariaDB probes the rows of a common word one by one in the list's order (a page stops after its
    rows); the capped count ("mehr als 1.000") counts the same condition with the word's matches
    materialised instead (one list, not a probe per row). Same rows, same count, same pages, same
    number of queries; SQLite has no probing and no second condition."""
    from fortycrm import search
    from fortycrm.admin import lists

    for k in range(14):
        customer = factories.company(f"Weber {k:02d} GmbH" if k % 2 else f"Firma {k:02d}")
        contact_save(contact=Contact(customer=customer, first_name="Eva", last_name=f"Name {k:02d}"))
        Order.objects.create(customer=customer, title="Reinigung", start=timezone.localdate())
    monkeypatch.setattr(search, "LITERAL_IDS", 1)  # every word's matches "long" …
    monkeypatch.setattr(search, "_dense", lambda subquery, column: True)  # … and common: probed on MariaDB
    info: dict = {}
    condition = search.list_search_q("order", "weber", info=info)
    if connection.vendor == "sqlite":
        assert "count_condition" not in info
    else:
        probed = Order.objects.filter(condition)
        counted = Order.objects.filter(info["count_condition"])
        assert "IS NOT NULL" in str(probed.query) and "IS NOT NULL" not in str(counted.query)
        assert sorted(counted.values_list("pk", flat=True)) == sorted(probed.values_list("pk", flat=True))
        assert len(counted) == 7
    with monkeypatch.context() as m:  # a common word beside a rarer one: the rarer one bounds the probing
        def weber_common(subquery, column) -> bool:
            try:
                return "weber" in str(subquery.query)
            except EmptyResultSet:
                return False

        m.setattr(search, "_dense", weber_common)
        info = {}
        search.list_search_q("order", "weber firma", info=info)
        assert "count_condition" not in info and "materialised" not in info

    from django.contrib import admin

    monkeypatch.setattr(admin.site._registry[Order], "list_per_page", 2)

    def page(query: str, cap: int):
        monkeypatch.setattr(lists, "SEARCH_COUNT_CAP", cap)
        with CaptureQueriesContext(connection) as captured:
            response = admin_client.get("/desk/fortycrm/order/", {"q": query}, HTTP_ACCEPT_LANGUAGE="de")
        cl = response.context["cl"]
        counts = [q["sql"] for q in captured if q["sql"].startswith("SELECT COUNT(*) FROM (SELECT")]
        return cl.paginator.count, cl.paginator.is_estimate, [o.pk for o in cl.result_list], len(captured), counts

    for query, cap in (("weber", 1000), ("weber", 3), ("reinigung weber", 1000)):
        fast = page(query, cap)
        assert all("IS NOT NULL" not in sql for sql in fast[4])  # never a count that probes row by row
        with monkeypatch.context() as m:  # the old rule: count the page's own condition
            m.setattr(lists.FastPaginator, "__init__", functools.partialmethod(lists.FastPaginator.__init__, count_queryset=None))
            old = page(query, cap)
        assert fast[:4] == old[:4]
    assert page("weber", 3)[:2] == (4, True) and page("weber", 1000)[:2] == (7, False)  # "mehr als 3"; all 7

    # rows changed after the search (custom fields OR'ed in, a picker's customer): their own count
    from django.test import RequestFactory

    request = RequestFactory().get("/desk/fortycrm/order/", {"q": "weber"})
    model_admin = admin.site._registry[Order]
    searched, _duplicates = model_admin.get_search_results(request, Order.objects.all(), "weber")
    own = model_admin.get_paginator(request, searched.order_by("-start", "-id"), 2)
    assert (own.count_queryset is not None) is (connection.vendor != "sqlite")
    widened = model_admin.get_paginator(request, searched | Order.objects.filter(title="Reinigung"), 2)
    assert widened.count_queryset is None and widened.count == 14


def test_deep_page_of_a_long_tag_filter_reads_the_matches_materialised(db, admin_client, monkeypatch):
    """A long match list (a tag of many customers) is probed row by row in the list's order (EXISTS),
    so page 1 stops after its rows; from ``DEEP_OFFSET`` on, MariaDB reads the tag's customers once
    (IN, index (tag, customer) of migration 0035) instead of probing tens of thousands of rows.
    SQLite probes faster and keeps EXISTS. The same pages either way."""
    from django.contrib import admin

    from fortycrm import search

    tag = Tag.objects.create(name="Winterdienst")
    for k in range(13):
        factories.company(f"Firma {k:02d}", tags=["Winterdienst"] if k % 3 else [])
    monkeypatch.setattr(search, "SMALL_MATCH", 1)  # the tag's list counts as long
    monkeypatch.setattr(search, "DEEP_OFFSET", 4)
    monkeypatch.setattr(admin.site._registry[Customer], "list_per_page", 2)
    expected = list(Customer.objects.filter(tags=tag).order_by("-created_at", "-id").values_list("pk", flat=True))
    assert len(expected) == 8
    for number in (1, 2, 3, 4):
        with CaptureQueriesContext(connection) as captured:
            response = admin_client.get(CUSTOMERS, {"tags__id__exact": tag.pk, "p": number}, HTTP_ACCEPT_LANGUAGE="de")
        assert [c.pk for c in response.context["cl"].result_list] == expected[(number - 1) * 2 : number * 2]
        page_query = next(q["sql"] for q in captured if "fortycrm_customer_tags" in q["sql"] and "ORDER BY" in q["sql"])
        deep = (number - 1) * 2 >= 4 and connection.vendor != "sqlite"
        assert ("EXISTS" not in page_query) is deep, page_query

    from django.db import connection as conn

    with conn.cursor() as cursor:
        constraints = conn.introspection.get_constraints(cursor, "fortycrm_customer_tags")
    assert any(c["columns"] == ["tag_id", "customer_id"] and c["index"] for c in constraints.values())


def test_urls_reversed_once_follow_the_url_configuration_and_prefix(settings):
    """The sidebar's links and the tag column's list URL are reversed once per URL configuration
    and script prefix (~30 µs each, about 100 a customer list page), and are what ``reverse`` gives."""
    from django.urls import clear_url_caches, reverse, set_script_prefix

    from fortycrm import desk_navigation
    from fortycrm.urlcache import reverse_once

    assert reverse_once("admin:fortycrm_customer_changelist") == reverse("admin:fortycrm_customer_changelist")
    link = desk_navigation.NAVIGATION_CUSTOMERS[1]["link"]
    assert str(link) == reverse("admin:fortycrm_customer_changelist")
    set_script_prefix("/crm/")
    try:
        assert reverse_once("admin:index") == reverse("admin:index") == "/crm/desk/"
    finally:
        set_script_prefix("/")
    settings.ROOT_URLCONF = "tests.urls_elsewhere"
    clear_url_caches()
    assert reverse_once("admin:index") == "/verwaltung/" and str(link) == "/verwaltung/fortycrm/customer/"


def test_record_page_asks_no_missing_key_of_widgets_and_inline_forms(db, admin_client, monkeypatch):
    """unfold's text input asks its widget for ``prefix``/``prefix_icon``/``suffix``/``suffix_icon`` and
    its inline rows ask their form for ``nested_formsets`` once per cell; each missing one made
    Django's template list the object's attributes (``dir()``): ~70 and 78 times on a record page.
    The desk's widgets and inline forms have them (None; no nested inlines)."""
    import sys

    import django.template.base as template_base
    from django import forms

    customer = factories.company("Müller GmbH", status="Kunde")
    for k in range(3):
        contact_save(contact=Contact(customer=customer, first_name="Eva", last_name=f"Name {k}"))
    listed = []
    monkeypatch.setattr(template_base, "dir", lambda obj: listed.append((type(obj), sys._getframe(1).f_locals.get("bit"))) or dir(obj), raising=False)
    for url in (f"{CUSTOMERS}{customer.pk}/change/", f"{CUSTOMERS}{customer.pk}/tab/contacts/"):  # the contacts' inline tab
        response = admin_client.get(url, HTTP_ACCEPT_LANGUAGE="de")
        assert response.status_code == 200
    assert "Name 2" in response.content.decode()
    assert [bit for kind, bit in listed if kind is dict and bit in ("prefix", "prefix_icon", "suffix", "suffix_icon")] == []
    assert [bit for kind, bit in listed if issubclass(kind, forms.BaseForm)] == []


def test_two_long_words_count_by_their_lists_read_once_on_sqlite(db, admin_client, monkeypatch):
    """Contacts searched by two words with long match lists ("Jorg Weber"): SQLite probes each row
    for the page (EXISTS, it stops after its rows) but counts "mehr als 1.000" with each word's list
    read once (IN) — the same rows, count, pages and number of queries as counting the page's own
    condition; MariaDB materialises both lists anyway (and counts from the ordered ids)."""
    from django.contrib import admin

    from fortycrm import search
    from fortycrm.admin import lists

    for k in range(16):
        customer = factories.company(f"Weber {k:02d} GmbH" if k % 2 else f"Firma {k:02d}")
        contact_save(contact=Contact(customer=customer, first_name="Jörg" if k % 4 < 2 else "Eva", last_name=f"Name {k:02d}"))
        contact_save(contact=Contact(customer=customer, first_name="Uwe", last_name="Zweiter"))
    monkeypatch.setattr(search, "LITERAL_IDS", 1)  # every word's matches "long"
    info: dict = {}
    condition = search.list_search_q("contact", "Jorg Weber", info=info)
    if connection.vendor == "sqlite":
        searched = Contact.objects.filter(condition)
        counted = Contact.objects.filter(info["count_condition"])
        assert "EXISTS" in str(searched.query) and "EXISTS" not in str(counted.query)
        assert sorted(counted.values_list("pk", flat=True)) == sorted(searched.values_list("pk", flat=True))
        info = {}
        search.list_search_q("contact", "weber", info=info)  # one word: its count probes as before
        assert "count_condition" not in info
        info = {}
        search.list_search_q("order", "jorg weber", info=info)  # lists whose words are OR'ed lists: as before
        assert "count_condition" not in info
    monkeypatch.setattr(admin.site._registry[Contact], "list_per_page", 2)

    def page(query: str, cap: int, wanted: int = 1):
        monkeypatch.setattr(lists, "SEARCH_COUNT_CAP", cap)
        with CaptureQueriesContext(connection) as captured:
            response = admin_client.get("/desk/fortycrm/contact/", {"q": query, "p": wanted}, HTTP_ACCEPT_LANGUAGE="de")
        cl = response.context["cl"]
        return cl.paginator.count, cl.paginator.is_estimate, [c.pk for c in cl.result_list], len(captured)

    for query, cap, wanted in (("Jorg Weber", 1000, 1), ("Jorg Weber", 3, 1), ("Jorg Weber", 1000, 2), ("jörg weber name", 1000, 1)):
        fast = page(query, cap, wanted)
        with monkeypatch.context() as m:  # the old rule: count the page's own condition
            m.setattr(search, "SQLITE_COUNT_MATERIALISED", ())
            assert fast == page(query, cap, wanted)
    assert page("Jorg Weber", 1000)[:2] == (8, False) and page("Jorg Weber", 3)[:2] == (4, True)  # two contacts each; "mehr als 3"

"""The customer list costs the same number of queries for any page size and any amount of data."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fortycrm.listcache import customer_data_changed, memo_clear
from fortycrm.models import Customer, CustomerStatus, Tag
from fortycrm.search import terms_refresh
from fortycrm.services.tags import tag_save, tags_resolve
from tests.caches import clear_site_cache

pytestmark = pytest.mark.django_db
URL = "/api/v1/customers/"


def add_customers(count: int) -> None:
    kunde = CustomerStatus.objects.get(name="Kunde")
    vip, nord, sued = tags_resolve(["VIP", "Nord", "Süd"])
    start = Customer.objects.count()
    created = Customer.objects.bulk_create(
        [Customer(kind="company", name=f"Firma {i}", status=kunde, number=100000 + i) for i in range(start, start + count)]
    )
    through = Customer.tags.through
    through.objects.bulk_create(
        [through(customer_id=c.pk, tag_id=t.pk) for c in created for t in (vip, nord if c.pk % 2 else sued)]
    )
    terms_refresh([c.pk for c in created])  # the search terms, as the bulk import writes them
    customer_data_changed()  # bulk_create sends no signals; bulk writers say so themselves


def queries_for(client, params) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(URL, params)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("params", [{}, {"status": "Kunde", "tag": "VIP"}, {"tag": ["VIP", "Nord"], "search": "Firma"}])
def test_query_count_constant_in_page_size_and_data(read_api, django_assert_num_queries, params):
    add_customers(12)
    read_api.get(URL)  # records the key's last use (once a minute)
    clear_site_cache(), memo_clear()
    small_cold = queries_for(read_api, {**params, "page_size": 5})
    small_warm = queries_for(read_api, {**params, "page_size": 5})
    add_customers(150)
    clear_site_cache(), memo_clear()
    big_cold = queries_for(read_api, {**params, "page_size": 50})
    big_warm = queries_for(read_api, {**params, "page_size": 50})
    assert small_cold == big_cold  # first request of a data generation: + name lookups and the COUNT
    assert small_warm == big_warm
    # warm: API key, data generation, the page, the page's tags; the count comes from the cache
    with django_assert_num_queries(4):
        response = read_api.get(URL, {**params, "page_size": 50})
    results = response.json()["results"]
    assert len(results) == 50 and all(r["tags"] for r in results)


def test_tags_of_the_page_come_with_one_query(read_api):
    add_customers(60)
    rows = read_api.get(URL, {"page_size": 60, "ordering": "id"}).json()["results"]
    assert {name for r in rows for name in r["tags"]} == {"VIP", "Nord", "Süd"}
    assert all(r["tags"] == sorted(r["tags"], key=str.casefold) for r in rows)
    tag = Tag.objects.get(name="Süd")
    tag.name = "Sued"
    tag_save(tag=tag)  # renaming a tag starts a new data generation: no stale names
    rows = read_api.get(URL, {"page_size": 60, "ordering": "id"}).json()["results"]
    assert {name for r in rows for name in r["tags"]} == {"VIP", "Nord", "Sued"}


def test_a_tag_newer_than_the_memo_still_shows_its_name(read_api):
    add_customers(3)
    read_api.get(URL)  # memoises the tag names of this data generation
    # written without signals, as if committed a moment before the generation moved on
    fresh = Tag.objects.bulk_create([Tag(name="Frisch", normalized="frisch")])[0]
    customer = Customer.objects.order_by("-id").first()
    Customer.tags.through.objects.create(customer_id=customer.pk, tag_id=fresh.pk)
    row = next(r for r in read_api.get(URL).json()["results"] if r["id"] == customer.pk)
    assert "Frisch" in row["tags"]

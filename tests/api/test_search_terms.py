"""The API's customer search goes through the same indexed search terms as the desk (issue 13)."""

from __future__ import annotations

import re

from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests import factories


def test_api_customer_search_uses_the_terms(read_api):
    mueller = factories.company("Müller Gebäudeservice GmbH", status="Kunde", number=10030)
    numbered = factories.company("Zahl GmbH", status="Kunde", number=10039)
    factories.company("Beta GmbH", status="Kunde", number=10040)
    found = {r["id"] for r in read_api.get("/api/v1/customers/", {"search": "muller"}).json()["results"]}
    assert found == {mueller.pk}
    found = {r["id"] for r in read_api.get("/api/v1/customers/", {"search": "1003"}).json()["results"]}
    assert found == {mueller.pk, numbered.pk}  # a number by its first digits
    with CaptureQueriesContext(connection) as captured:
        read_api.get("/api/v1/customers/", {"search": "gebaudeservice"})
    sql = " ".join(q["sql"] for q in captured.captured_queries)
    assert "customersearchterm" in sql and not re.search(r"(name|email|city)\W*\s+LIKE", sql)  # no LIKE '%…%' over customers

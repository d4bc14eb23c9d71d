"""Issue 8 item 14: Redis stops while the API serves → degraded answers or JSON 503, never HTML 500."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from fortycrm.api.exceptions import api_exception_handler
from fortycrm.caching import redis_cache
from fortycrm.models import Customer, RateCounter, SiteSettings
from tests.api.conftest import client_for, make_key

pytestmark = pytest.mark.django_db
API = "/api/v1"
INTAKE = {"company_name": "Ausfall GmbH", "last_name": "Sonne"}


def serve_all(write, intake, round_: int) -> list:
    """List, create, intake: each JSON, none a 500."""
    answers = [
        write.get(f"{API}/customers/", {"page_size": 5}),
        write.post(f"{API}/customers/", {"kind": "company", "name": f"Firma {round_}", "tags": ["Ausfall"]}, format="json"),
        write.get(f"{API}/customers/", {"tag": "Ausfall"}),
        intake.post(f"{API}/intake/", INTAKE, format="json"),
    ]
    for response in answers:
        assert response.status_code < 500 or response.status_code == 503, response.content[:300]
        assert response["Content-Type"].startswith("application/json"), response.content[:300]
    return [r.status_code for r in answers]


def test_api_keeps_working_while_redis_is_down_and_recovers(redis_server, settings):
    settings.CACHES = {"default": redis_cache(redis_server.url, key_prefix="fortycrm-outage-test")}
    site = SiteSettings.load()
    site.api_rate_limit_per_minute = 3
    site.save()
    write, intake = client_for(make_key("write")), client_for(make_key("intake"))

    assert serve_all(write, intake, 1) == [200, 201, 200, 201]
    assert cache.get("fortycrm:api:customer-data") is not None  # the cache is in use
    assert not RateCounter.objects.exists()  # the rate limit counts in Redis

    redis_server.stop()
    codes = serve_all(write, intake, 2)
    assert codes[:3] == [200, 201, 200]  # degraded: counted without the cache
    assert codes[3] in (201, 503)
    assert write.get(f"{API}/customers/", {"tag": "Ausfall"}).json()["count"] == 2
    # the intake limit falls back to the database and still holds
    assert RateCounter.objects.exists()
    codes = [intake.post(f"{API}/intake/", INTAKE, format="json").status_code for _ in range(4)]
    assert 429 in codes and 500 not in codes
    limited = intake.post(f"{API}/intake/", INTAKE, format="json")
    assert limited.status_code == 429 and int(limited["Retry-After"]) >= 1

    redis_server.start()
    site.api_rate_limit_per_minute = 0
    site.save()
    for attempt in range(3):  # the pool notices the restarted server on the next command
        cache.set("fortycrm:outage-probe", attempt)
        if cache.get("fortycrm:outage-probe") == attempt:
            break
    assert cache.get("fortycrm:outage-probe") is not None
    assert serve_all(write, intake, 3) == [200, 201, 200, 201]
    assert Customer.objects.filter(name__startswith="Firma").count() == 3


def test_what_needs_redis_answers_json_503_with_retry_after():
    import redis

    response = api_exception_handler(redis.exceptions.ConnectionError("Connection refused"), {})
    assert response.status_code == 503
    assert int(response["Retry-After"]) >= 1 and "detail" in response.data

"""The cache settings fortycrm expects from its host project when Redis is used.

``CACHES = {"default": redis_cache(REDIS_URL, key_prefix=...)}`` (config/settings.py).
While Redis is unreachable the cache degrades instead of failing requests: reads miss,
writes are dropped (``IGNORE_EXCEPTIONS``), short timeouts keep a hanging Redis from
blocking workers. fortycrm copes with that: list counts are computed without the cache,
rate limits count in the database (fortycrm.ratelimit), and anything that really needs
Redis answers 503 with ``Retry-After`` in the API (fortycrm.api.exceptions). Once Redis
answers again it is used again, without a restart.
"""

from __future__ import annotations

from typing import Any

REDIS_TIMEOUT_SECONDS = 1


def redis_cache(url: str, *, key_prefix: str) -> dict[str, Any]:
    return {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": url,
        "KEY_PREFIX": key_prefix,
        "OPTIONS": {
            "IGNORE_EXCEPTIONS": True,
            "SOCKET_CONNECT_TIMEOUT": REDIS_TIMEOUT_SECONDS,
            "SOCKET_TIMEOUT": REDIS_TIMEOUT_SECONDS,
        },
    }

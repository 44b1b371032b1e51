"""Cache-aside for read tools: Redis when REDIS_URL is set, else an in-process TTL cache.

`cache.cached(owner, tool, args, compute)` answers from the cache or computes once;
`bump_version(owner)` after any write makes the next read recompute; `stats()` reports
hits, misses and errors per tool; `check_rate(owner, tool)` enforces per-owner limits.
"""

from __future__ import annotations

import logging

from tools.cache._base import CacheStats, ToolStats
from tools.cache.memory import MemoryCache
from tools.cache.redis import RedisCache
from tools.settings import Settings

Cache = MemoryCache | RedisCache

log = logging.getLogger("wallie.cache")
_said_memory = False


def make_cache(settings: Settings) -> Cache:
    """The cache the settings ask for (Redis when REDIS_URL is set)."""
    global _said_memory
    if settings.redis_url:
        return RedisCache(
            settings.redis_url, ttl=settings.cache_ttl, rate_limit=settings.rate_limit_per_minute
        )
    if not _said_memory:
        log.info("REDIS_URL is unset: using an in-process cache (figures are per process)")
        _said_memory = True
    return MemoryCache(ttl=settings.cache_ttl, rate_limit=settings.rate_limit_per_minute)


__all__ = ["Cache", "CacheStats", "MemoryCache", "RedisCache", "ToolStats", "make_cache"]

"""Cache-aside for read tools: Redis when REDIS_URL is set, else an in-process TTL cache.

`cache.cached(owner, tool, args, compute)` answers from the cache or computes once. Given
`versions` (the owners' data versions, read from the database, bumped by every write in
its own transaction), keys follow the data whoever wrote it; `bump_version(owner)` also
makes the next read recompute; `stats()` reports
hits, misses and errors per tool; `check_rate(owner, tool)` enforces per-owner limits.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from tools.cache._base import CacheStats, ToolStats, VersionSource
from tools.cache.memory import MemoryCache
from tools.settings import Settings

if TYPE_CHECKING:
    from tools.cache.redis import RedisCache

    Cache = MemoryCache | RedisCache

log = logging.getLogger("wallie.cache")
_said_memory = False


def make_cache(settings: Settings, *, versions: VersionSource | None = None) -> Cache:
    """The cache the settings ask for (Redis when REDIS_URL is set).

    Caches of stored data pass `versions` (`tools.owners.data_versions(db)`).
    """
    global _said_memory
    if settings.redis_url:
        from tools.cache.redis import RedisCache

        return RedisCache(
            settings.redis_url,
            ttl=settings.cache_ttl,
            rate_limit=settings.rate_limit_per_minute,
            versions=versions,
        )
    if not _said_memory:
        log.info("REDIS_URL is unset: using an in-process cache (figures are per process)")
        _said_memory = True
    return MemoryCache(
        ttl=settings.cache_ttl, rate_limit=settings.rate_limit_per_minute, versions=versions
    )


def __getattr__(name: str) -> Any:
    """`RedisCache` and `Cache`, imported on first use: the redis client is slow to import."""
    if name in ("RedisCache", "Cache"):
        from tools.cache.redis import RedisCache

        return RedisCache if name == "RedisCache" else MemoryCache | RedisCache
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "Cache",
    "CacheStats",
    "MemoryCache",
    "RedisCache",
    "ToolStats",
    "VersionSource",
    "make_cache",
]

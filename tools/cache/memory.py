"""The in-process cache used when REDIS_URL is unset: same behaviour, one process."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from tools.cache._base import (
    CacheStats,
    Compute,
    SingleFlight,
    VersionSource,
    args_hash,
    close_versions,
    decode,
    encode,
    entry_key,
    gcra,
    rate_message,
)
from tools.errors import RateLimited

MAX_ENTRIES = 10_000


class MemoryCache:
    """A TTL cache in this process's memory, with the Redis cache's interface.

    With `versions`, every key carries the owner's data version read from the database,
    so a write committed by any process (an import, another server) is seen at once.
    """

    backend = "memory"

    def __init__(
        self,
        *,
        ttl: int = 300,
        ttls: Mapping[str, int] | None = None,
        rate_limit: int = 120,
        versions: VersionSource | None = None,
    ) -> None:
        self.ttl = ttl
        self.versions = versions
        self.ttls = dict(ttls or {})
        self.rate_limit = rate_limit
        self._store: dict[str, tuple[float, bytes]] = {}
        self._versions: dict[str, int] = {}
        self._counts: dict[str, dict[str, int]] = {}
        self._tats: dict[str, int] = {}  # theoretical arrival times, monotonic ns
        self._flight = SingleFlight()

    def _count(self, tool: str, what: str) -> None:
        counts = self._counts.setdefault(tool, {})
        counts[what] = counts.get(what, 0) + 1

    async def cached(
        self,
        owner: str,
        tool: str,
        args: Mapping[str, Any],
        compute: Compute,
        *,
        ttl: int | None = None,
    ) -> Any:
        """The cached answer for (owner, tool, args), computed once when missing."""
        key, hit, value = await self._lookup(owner, tool, args)
        if hit:
            return value

        async def fill() -> Any:
            value = await compute()
            self._keep(key, tool, value, ttl)
            return value

        return await self._flight.run(key, fill)

    async def get(self, owner: str, tool: str, args: Mapping[str, Any]) -> tuple[bool, Any]:
        """(True, value) when cached, else (False, None); counted like `cached`."""
        _, hit, value = await self._lookup(owner, tool, args)
        return hit, value

    async def put(
        self, owner: str, tool: str, args: Mapping[str, Any], value: Any, *, ttl: int | None = None
    ) -> None:
        """Store `value` (for callers that compute in pieces, such as a stream)."""
        key = entry_key(owner, tool, await self._version(owner), args_hash(args))
        self._keep(key, tool, value, ttl)

    async def _version(self, owner: str) -> int | str:
        if self.versions is not None:
            return f"{await self.versions(owner)}.{self._versions.get(owner, 0)}"
        return self._versions.get(owner, 0)

    async def _lookup(
        self, owner: str, tool: str, args: Mapping[str, Any]
    ) -> tuple[str, bool, Any]:
        """(key, hit, value) for the entry under the owner's current version, counted."""
        key = entry_key(owner, tool, await self._version(owner), args_hash(args))
        found = self._store.get(key)
        if found is not None and found[0] > time.monotonic():
            ok, value = decode(found[1])
            if ok:
                self._count(tool, "hits")
                return key, True, value
        self._count(tool, "misses")
        return key, False, None

    def _keep(self, key: str, tool: str, value: Any, ttl: int | None) -> None:
        """Store under `key` for the tool's TTL (or `ttl`); a TTL of 0 stores nothing."""
        seconds = self.ttls.get(tool, self.ttl) if ttl is None else ttl
        if seconds > 0:
            if len(self._store) >= MAX_ENTRIES:
                self._evict()
            self._store[key] = (time.monotonic() + seconds, encode(value))

    def _evict(self) -> None:
        now = time.monotonic()
        for key in [k for k, (exp, _) in self._store.items() if exp <= now]:
            del self._store[key]
        while len(self._store) >= MAX_ENTRIES:  # still full: drop the oldest insertions
            del self._store[next(iter(self._store))]

    async def bump_version(self, owner: str) -> int:
        """Invalidate every cached answer of `owner`."""
        self._versions[owner] = self._versions.get(owner, 0) + 1
        return self._versions[owner]

    async def ping(self) -> str | None:
        """Always None: this process's memory always answers."""
        return None

    async def stats(self) -> CacheStats:
        """Hits, misses and errors per tool in this process."""
        return CacheStats.from_counts(self.backend, self._counts)

    async def clear(self, owner: str | None = None) -> int:
        """Drop cached answers (one owner's, or all with their counters)."""
        prefix = f"wallie:{owner}:" if owner else "wallie:"
        keys = [k for k in self._store if k.startswith(prefix)]
        for key in keys:
            del self._store[key]
        if owner is None:
            self._counts.clear()
        return len(keys)

    async def check_rate(
        self, owner: str, tool: str, *, limit: int | None = None, period: float = 60.0
    ) -> None:
        """Raise RateLimited when `owner` calls `tool` more than `limit` times per `period`."""
        limit = self.rate_limit if limit is None else limit
        if limit <= 0:
            return
        key = f"{owner}:{tool}"
        burst_ns = int(period * 1_000_000_000)
        tat, wait_ns = gcra(self._tats.get(key), time.monotonic_ns(), burst_ns // limit, burst_ns)
        self._tats[key] = tat
        if wait_ns > 0:
            wait = wait_ns / 1_000_000_000
            raise RateLimited(rate_message(tool, limit, period, wait), wait)

    async def aclose(self) -> None:
        """Close the version source, if it holds connections."""
        await close_versions(self.versions)

"""Cache-aside over Redis: shared by every server process, and never a reason to fail."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Mapping
from typing import Any

import redis.asyncio as aioredis
from redis.backoff import NoBackoff
from redis.exceptions import RedisError
from redis.retry import Retry

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
    rate_message,
)
from tools.errors import RateLimited

log = logging.getLogger("wallie.cache")

STATS_KEY = "wallie:stats"

# One round trip for a lookup: read the owner's cache version (prefixed by the database's
# data version, ARGV[4], when known), then the entry under that version, and count the hit
# or miss where every process can see it.
_LOOKUP = """
local version = ARGV[4] .. (redis.call('GET', KEYS[1]) or '0')
local value = redis.call('GET', ARGV[1] .. version .. ARGV[2])
if value then
  redis.call('HINCRBY', KEYS[2], ARGV[3] .. '|hits', 1)
else
  redis.call('HINCRBY', KEYS[2], ARGV[3] .. '|misses', 1)
end
return {version, value}
"""

# GCRA, atomically, on the server's clock, in integer microseconds (Lua numbers returned
# to Redis are truncated to integers): returns 0 when allowed, else microseconds to wait.
_RATE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local new_tat = tat + interval
local wait = new_tat - burst - now
if wait > 0 then return wait end
local ttl_ms = math.ceil((new_tat - now) / 1000) + 1
redis.call('SET', KEYS[1], string.format('%d', new_tat), 'PX', ttl_ms)
return 0
"""


class RedisCache:
    """A cache in Redis with per-owner versions, shared counters and rate limits.

    With `versions`, every key also carries the owner's data version read from the
    database: a write committed while Redis was unreachable, or a Redis restored from an
    old snapshot, can never bring back an answer computed before that write.
    """

    backend = "redis"

    def __init__(
        self,
        url: str,
        *,
        ttl: int = 300,
        ttls: Mapping[str, int] | None = None,
        rate_limit: int = 120,
        timeout: float = 0.25,
        retry_after_failure: float = 1.0,
        lock_wait: float = 1.0,
        versions: VersionSource | None = None,
    ) -> None:
        self.url = url
        self.versions = versions
        self.ttl = ttl
        self.ttls = dict(ttls or {})
        self.rate_limit = rate_limit
        self.retry_after_failure = retry_after_failure
        self.lock_wait = lock_wait
        # Short timeouts and no client-side retries: a sick Redis must cost little.
        self.redis = aioredis.from_url(
            url,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            retry=Retry(NoBackoff(), 0),
            health_check_interval=0,
        )
        self._lookup = self.redis.register_script(_LOOKUP)
        self._rate = self.redis.register_script(_RATE)
        self._flight = SingleFlight()
        self._down_until = 0.0
        self._unflushed_errors: dict[str, int] = {}

    # -- availability -------------------------------------------------------

    def _available(self) -> bool:
        return time.monotonic() >= self._down_until

    def _failed(self, tool: str, exc: Exception) -> None:
        """Count an error and skip Redis for a moment (a circuit breaker)."""
        self._unflushed_errors[tool] = self._unflushed_errors.get(tool, 0) + 1
        if self._available():
            log.warning("Redis unavailable (%s); answering from the database", exc)
        self._down_until = time.monotonic() + self.retry_after_failure

    async def _flush_errors(self) -> None:
        errors, self._unflushed_errors = self._unflushed_errors, {}
        try:
            async with self.redis.pipeline(transaction=False) as pipe:
                for tool, n in errors.items():
                    pipe.hincrby(STATS_KEY, f"{tool}|errors", n)
                await pipe.execute()
        except RedisError:
            for tool, n in errors.items():
                self._unflushed_errors[tool] = self._unflushed_errors.get(tool, 0) + n

    # -- cache-aside --------------------------------------------------------

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
        key, hit, value = await self._find(owner, tool, args)
        if hit:
            return value
        if key is None:  # Redis unavailable: answer from the source
            return await compute()
        seconds = self.ttls.get(tool, self.ttl) if ttl is None else ttl
        return await self._flight.run(key, lambda: self._fill(key, tool, compute, seconds))

    async def get(self, owner: str, tool: str, args: Mapping[str, Any]) -> tuple[bool, Any]:
        """(True, value) when cached, else (False, None); counted like `cached`."""
        _, hit, value = await self._find(owner, tool, args)
        return hit, value

    async def _find(
        self, owner: str, tool: str, args: Mapping[str, Any]
    ) -> tuple[str | None, bool, Any]:
        """(key, hit, value) in one round trip; key is None when Redis is unavailable."""
        if not self._available():
            self._unflushed_errors[tool] = self._unflushed_errors.get(tool, 0) + 1
            return None, False, None
        digest = args_hash(args)
        prefix = f"{await self.versions(owner)}." if self.versions is not None else ""
        try:
            reply = await self._lookup(
                keys=[f"wallie:{owner}:version", STATS_KEY],
                args=[f"wallie:{owner}:{tool}:v", f":{digest}", tool, prefix],
            )
        except (RedisError, OSError) as exc:
            self._failed(tool, exc)
            return None, False, None
        if self._unflushed_errors:
            await self._flush_errors()
        key = entry_key(owner, tool, _text(reply[0]), digest)
        if len(reply) > 1 and reply[1] is not None:
            ok, value = decode(reply[1])
            if ok:
                return key, True, value
            await self._recount_as_miss(tool)  # corrupt or foreign: a miss, overwritten
        return key, False, None

    async def put(
        self, owner: str, tool: str, args: Mapping[str, Any], value: Any, *, ttl: int | None = None
    ) -> None:
        """Store `value` (for callers that compute in pieces, such as a stream)."""
        seconds = self.ttls.get(tool, self.ttl) if ttl is None else ttl
        if seconds <= 0 or not self._available():
            return
        try:
            prefix = f"{await self.versions(owner)}." if self.versions is not None else ""
            version = _text(await self.redis.get(f"wallie:{owner}:version") or b"0")
            key = entry_key(owner, tool, prefix + version, args_hash(args))
            await self.redis.set(key, encode(value), ex=seconds)
        except (RedisError, OSError) as exc:
            self._failed(tool, exc)

    async def _recount_as_miss(self, tool: str) -> None:
        try:
            async with self.redis.pipeline(transaction=False) as pipe:
                pipe.hincrby(STATS_KEY, f"{tool}|hits", -1)
                pipe.hincrby(STATS_KEY, f"{tool}|misses", 1)
                await pipe.execute()
        except RedisError as exc:
            self._failed(tool, exc)

    async def _fill(self, key: str, tool: str, compute: Compute, ttl: int) -> Any:
        """Compute and store, letting only one process compute a key at a time."""
        lock = f"{key}:lock"
        try:
            leader = bool(await self.redis.set(lock, b"1", nx=True, px=int(self.lock_wait * 3000)))
        except RedisError as exc:
            self._failed(tool, exc)
            return await compute()
        if not leader:
            # Another process is computing this key: wait briefly for its answer.
            deadline = time.monotonic() + self.lock_wait
            while time.monotonic() < deadline:
                await asyncio.sleep(0.02)
                try:
                    raw = await self.redis.get(key)
                except RedisError as exc:
                    self._failed(tool, exc)
                    break
                if raw is not None:
                    ok, value = decode(raw)
                    if ok:
                        return value
        try:
            value = await compute()
            if ttl > 0:
                try:
                    await self.redis.set(key, encode(value), ex=ttl)
                except RedisError as exc:
                    self._failed(tool, exc)
            return value
        finally:
            if leader:
                with contextlib.suppress(RedisError):  # else it expires by itself
                    await self.redis.delete(lock)

    # -- invalidation, figures, limits ---------------------------------------

    async def bump_version(self, owner: str) -> int:
        """Invalidate every cached answer of `owner` (old entries expire unread)."""
        return int(await self.redis.incr(f"wallie:{owner}:version"))

    async def ping(self) -> str | None:
        """None when Redis answers, else why it does not."""
        try:
            await self.redis.ping()
        except (RedisError, OSError) as exc:
            return str(exc) or type(exc).__name__
        return None

    async def stats(self) -> CacheStats:
        """Hits, misses and errors per tool, as every process sees them."""
        counts: dict[str, dict[str, int]] = {}
        try:
            raw = await self.redis.hgetall(STATS_KEY)
        except RedisError:
            raw = {}
        for field, value in raw.items():
            tool, _, what = _text(field).rpartition("|")
            counts.setdefault(tool, {})[what] = int(value)
        for tool, n in self._unflushed_errors.items():
            counts.setdefault(tool, {})["errors"] = counts.get(tool, {}).get("errors", 0) + n
        return CacheStats.from_counts(self.backend, counts)

    async def clear(self, owner: str | None = None) -> int:
        """Drop cached answers: one owner's, or every Wallie key (counters too)."""
        pattern = f"wallie:{_glob_escape(owner)}:*" if owner else "wallie:*"
        removed = 0
        batch: list[bytes] = []
        async for key in self.redis.scan_iter(match=pattern, count=1000):
            batch.append(key)
            if len(batch) >= 500:
                removed += await self.redis.unlink(*batch)
                batch.clear()
        if batch:
            removed += await self.redis.unlink(*batch)
        return removed

    async def check_rate(
        self, owner: str, tool: str, *, limit: int | None = None, period: float = 60.0
    ) -> None:
        """Raise RateLimited when `owner` calls `tool` more than `limit` times per `period`."""
        limit = self.rate_limit if limit is None else limit
        if limit <= 0 or not self._available():
            return  # no Redis: fail open rather than refuse work
        interval_us = int(period * 1_000_000 / limit)
        try:
            wait_us = await self._rate(
                keys=[f"wallie:{owner}:rate:{tool}"], args=[interval_us, int(period * 1_000_000)]
            )
        except (RedisError, OSError) as exc:
            self._failed(tool, exc)
            return
        wait = int(wait_us) / 1_000_000
        if wait > 0:
            raise RateLimited(rate_message(tool, limit, period, wait), wait)

    async def aclose(self) -> None:
        """Close the connection pool (and the version source's)."""
        await self.redis.aclose()
        await close_versions(self.versions)


def _glob_escape(text: str) -> str:
    return "".join(f"\\{c}" if c in "*?[]\\" else c for c in text)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value

"""The cache: hits, invalidation, isolation, single flight, shared figures, outages, limits."""

from __future__ import annotations

import asyncio
import json
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import redis.asyncio as aioredis

from bench.harness import free_port as _free_port
from tools.cache import MemoryCache, RedisCache
from tools.cache._base import gcra
from tools.errors import RateLimited

Cache = MemoryCache | RedisCache


class Counter:
    """A compute function that counts its calls and can change its answer."""

    def __init__(self, delay: float = 0.0) -> None:
        self.calls = 0
        self.delay = delay
        self.answer: Any = {"clients": [{"id": 1, "name": "José"}]}

    async def __call__(self) -> Any:
        self.calls += 1
        if self.delay:
            await asyncio.sleep(self.delay)
        return self.answer


@pytest.fixture(params=["redis", "memory"])
async def cache(request: pytest.FixtureRequest) -> AsyncIterator[Cache]:
    """A cache on each backend (Redis on the test database)."""
    if request.param == "memory":
        yield MemoryCache()
        return
    c = RedisCache(request.getfixturevalue("redis_url"))
    yield c
    await c.aclose()


def owner() -> str:
    """A fresh owner name, so tests sharing the Redis database never collide."""
    return f"t-{uuid.uuid4().hex[:10]}@x.es"


@pytest.mark.anyio
async def test_a_repeated_call_is_a_hit_with_the_same_answer(cache: Cache) -> None:
    who, compute = owner(), Counter()
    first = await cache.cached(who, "search_clients", {"query": "jose", "limit": 10}, compute)
    # Argument order does not matter: the key is canonical JSON.
    second = await cache.cached(who, "search_clients", {"limit": 10, "query": "jose"}, compute)
    assert first == second == compute.answer
    assert compute.calls == 1
    stats = (await cache.stats()).tools["search_clients"]
    assert stats.hits >= 1 and stats.misses >= 1


@pytest.mark.anyio
async def test_a_write_makes_the_next_read_recompute(cache: Cache) -> None:
    who, compute = owner(), Counter()
    await cache.cached(who, "get_client", {"client_id": 1}, compute)
    compute.answer = {"name": "José (updated)"}
    await cache.bump_version(who)
    assert await cache.cached(who, "get_client", {"client_id": 1}, compute) == compute.answer
    assert compute.calls == 2


@pytest.mark.anyio
async def test_owners_never_share_entries(cache: Cache) -> None:
    ana, bob = Counter(), Counter()
    ana.answer, bob.answer = {"owner": "ana"}, {"owner": "bob"}
    args = {"query": "garcia"}
    assert await cache.cached(owner(), "search_clients", args, ana) == {"owner": "ana"}
    assert await cache.cached(owner(), "search_clients", args, bob) == {"owner": "bob"}


@pytest.mark.anyio
async def test_concurrent_misses_compute_once(cache: Cache) -> None:
    who, compute = owner(), Counter(delay=0.05)
    results = await asyncio.gather(
        *[cache.cached(who, "search_messages", {"query": "precio"}, compute) for _ in range(20)]
    )
    assert compute.calls == 1
    assert all(r == compute.answer for r in results)


@pytest.mark.anyio
async def test_a_failing_compute_is_not_cached(cache: Cache) -> None:
    who = owner()

    async def boom() -> Any:
        raise ValueError("database went away")

    with pytest.raises(ValueError):
        await cache.cached(who, "get_client", {"client_id": 9}, boom)
    compute = Counter()
    assert await cache.cached(who, "get_client", {"client_id": 9}, compute) == compute.answer


def test_a_first_call_is_always_allowed_whatever_the_clock_reads() -> None:
    # One call a minute. In float seconds, (now + 60) - 60 rounds above now at some clock
    # readings (131056.17842121002 is one), and a first call was refused "for 0.0 s";
    # integer time never refuses one.
    minute = 60 * 1_000_000_000
    for now in (0, 1, 7_919, 3_999_999_999_999, 123_456_789_123_456_789, 2**62 + 12_345):
        tat, wait = gcra(None, now, minute, minute)
        assert (tat, wait) == (now + minute, 0)
        assert gcra(tat, now, minute, minute) == (tat, minute)  # a second one waits a minute


@pytest.mark.anyio
async def test_rate_limit_trips_and_resets(cache: Cache) -> None:
    who = owner()
    for _ in range(3):
        await cache.check_rate(who, "search_messages", limit=3, period=0.5)
    with pytest.raises(RateLimited) as tripped:
        await cache.check_rate(who, "search_messages", limit=3, period=0.5)
    assert 0 < tripped.value.retry_after <= 0.5
    assert "retry after" in str(tripped.value) and "search_messages" in str(tripped.value)
    # Another owner is not affected.
    await cache.check_rate(owner(), "search_messages", limit=3, period=0.5)
    await asyncio.sleep(tripped.value.retry_after + 0.05)
    await cache.check_rate(who, "search_messages", limit=3, period=0.5)


@pytest.mark.anyio
async def test_clear_removes_one_owners_entries(cache: Cache) -> None:
    ana, bob, compute = owner(), owner(), Counter()
    await cache.cached(ana, "t", {"a": 1}, compute)
    await cache.cached(bob, "t", {"a": 1}, compute)
    assert await cache.clear(ana) >= 1
    await cache.cached(ana, "t", {"a": 1}, compute)
    await cache.cached(bob, "t", {"a": 1}, compute)
    assert compute.calls == 3  # ana recomputed, bob was still cached


# -- Redis only: shared between processes, corrupt values, outages -----------------------


@pytest.mark.anyio
async def test_two_processes_share_entries_figures_and_single_flight(redis_url: str) -> None:
    a, b = RedisCache(redis_url), RedisCache(redis_url)
    try:
        tool = f"tool-{uuid.uuid4().hex[:6]}"
        who, compute = owner(), Counter(delay=0.2)
        # Two caches stand for two server processes: the Redis lock lets one compute.
        await asyncio.gather(
            a.cached(who, tool, {"q": 1}, compute), b.cached(who, tool, {"q": 1}, compute)
        )
        assert compute.calls == 1
        await b.cached(who, tool, {"q": 1}, compute)
        assert (await a.stats()).tools[tool] == (await b.stats()).tools[tool]
        assert (await a.stats()).tools[tool].hits >= 1
    finally:
        await a.aclose()
        await b.aclose()


@pytest.mark.anyio
async def test_corrupt_or_foreign_values_are_misses(redis_url: str) -> None:
    cache = RedisCache(redis_url)
    raw = aioredis.from_url(redis_url)
    try:
        who, compute = owner(), Counter()
        await cache.cached(who, "get_client", {"client_id": 1}, compute)
        keys = [k async for k in raw.scan_iter(match=f"wallie:{who}:get_client:*")]
        entry = next(k for k in keys if not k.endswith(b":lock"))
        for garbage in (b"\x80\x04not json", b'{"some": "other app"}', b"[1, 2]"):
            await raw.set(entry, garbage)
            assert (
                await cache.cached(who, "get_client", {"client_id": 1}, compute) == compute.answer
            )
        assert compute.calls == 4
        # The garbage was overwritten by a good entry: the next call is a hit.
        await cache.cached(who, "get_client", {"client_id": 1}, compute)
        assert compute.calls == 4
    finally:
        await cache.aclose()
        await raw.aclose()


class OwnRedis:
    """A redis-server owned by the test, to stop and restart on the same port."""

    def __init__(self) -> None:
        self.port = _free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        assert binary, "redis-server is not installed (CI installs it)"
        self.proc = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise AssertionError("test redis-server did not start")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(10)
            self.proc = None


@pytest.fixture
def own_redis(redis_url: str) -> Iterator[OwnRedis]:
    """A private Redis (the shared one must answer too: CI has redis-server installed)."""
    server = OwnRedis()
    server.start()
    yield server
    server.stop()


@pytest.mark.anyio
async def test_redis_down_answers_from_compute_and_recovers(own_redis: OwnRedis) -> None:
    cache = RedisCache(own_redis.url, timeout=0.2, retry_after_failure=0.3)
    try:
        who, compute = owner(), Counter()
        await cache.cached(who, "search_clients", {"q": "ana"}, compute)
        await cache.cached(who, "search_clients", {"q": "ana"}, compute)
        assert compute.calls == 1

        own_redis.stop()
        started = time.monotonic()
        for i in range(10):
            answer = await cache.cached(who, "search_clients", {"q": f"x{i}"}, compute)
            assert answer == compute.answer
        # Ten calls with Redis gone: each pays at most one short timeout, most pay none.
        assert time.monotonic() - started < 10 * 0.2 + 1.0
        assert compute.calls == 11
        assert (await cache.stats()).tools["search_clients"].errors >= 10
        await cache.check_rate(who, "search_clients", limit=1)  # fails open
        await cache.check_rate(who, "search_clients", limit=1)

        own_redis.start()  # same port, empty: the same Cache object must use it again
        await asyncio.sleep(0.35)
        await cache.cached(who, "search_clients", {"q": "back"}, compute)
        await cache.cached(who, "search_clients", {"q": "back"}, compute)
        assert compute.calls == 12
        stats = (await cache.stats()).tools["search_clients"]
        assert stats.hits >= 1
        assert stats.errors >= 10  # the outage's errors were flushed to Redis
    finally:
        await cache.aclose()


@pytest.mark.anyio
async def test_redis_that_never_answers_costs_one_short_timeout() -> None:
    port = _free_port()  # nothing listens here
    cache = RedisCache(f"redis://127.0.0.1:{port}/0", timeout=0.1, retry_after_failure=5)
    try:
        compute = Counter()
        started = time.monotonic()
        for _ in range(20):
            assert await cache.cached(owner(), "t", {}, compute) == compute.answer
        assert time.monotonic() - started < 1.0
        assert (await cache.stats()).tools["t"].errors == 20
    finally:
        await cache.aclose()


def test_cache_stats_with_redis_down_says_redis_is_unreachable(
    tmp_path: Any, redis_url: str
) -> None:
    import os
    import sys
    from pathlib import Path

    wallie = str(Path(sys.executable).with_name("wallie"))
    env = {**os.environ, "WALLIE_HOME": str(tmp_path)}
    down = subprocess.run(
        [wallie, "cache", "stats"],
        env={**env, "REDIS_URL": f"redis://user:pw-{_free_port()}@127.0.0.1:{_free_port()}/0"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert down.returncode == 2
    assert "is unreachable" in down.stderr and "no cached calls yet" not in down.stderr
    assert "pw-" not in down.stderr and "user:***@127.0.0.1" in down.stderr
    up = subprocess.run(
        [wallie, "cache", "stats", "--json"],
        env={**env, "REDIS_URL": redis_url},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert up.returncode == 0, up.stderr
    assert json.loads(up.stdout)["backend"] == "redis"

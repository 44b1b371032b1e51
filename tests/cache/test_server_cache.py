"""The cache behind the MCP tools: hits, and never an answer computed before a committed write.

The owner's data version lives in the database and is bumped in each write's transaction,
so these hold for the in-process cache and for Redis alike, whoever wrote.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis
from mcp import Client

from server.app import build_server
from tools.db import Database
from tools.ingest import ClientIn, ConversationIn, MessageIn, ingest
from tools.owners import ensure_owner
from tools.settings import Settings

pytestmark = pytest.mark.anyio
WALLIE = str(Path(sys.executable).with_name("wallie"))


def _msg(name: str, ext: str) -> MessageIn:
    return MessageIn(
        client=ClientIn(key=ext, name=name),
        conversation=ConversationIn(key=f"{ext}-c", channel="whatsapp"),  # type: ignore[arg-type]
        external_id=ext,
        direction="inbound",  # type: ignore[arg-type]
        sender=name,
        sent_at=datetime(2026, 11, 20, tzinfo=UTC),
        text="hola",
    )


async def _seeded(url: str) -> tuple[Database, str, int]:
    owner = f"o-{uuid.uuid4().hex[:8]}@example.es"
    db = Database.from_url(url)
    await db.upgrade()
    owner_id = await ensure_owner(db, owner)
    await ingest(db, owner_id, [_msg("Lucía Pérez", "a")])
    return db, owner, owner_id


async def _names(client: Client) -> list[str]:
    found = await client.call_tool("search_clients", {"query": "lucia"})
    assert not found.is_error, found.content
    return sorted(c["name"] for c in found.structured_content["clients"])


def _import(
    tmp_path: Path, url: str, owner: str, redis: str | None
) -> subprocess.CompletedProcess[str]:
    """`wallie import jsonl` in another process, adding the client Lucía Gómez."""
    line = {
        "client": {"id": "b", "name": "Lucía Gómez"},
        "conversation": {"channel": "whatsapp"},
        "message": {
            "id": "b1",
            "direction": "inbound",
            "sent_at": "2026-11-21T10:00:00Z",
            "text": "hola",
        },
    }
    file = tmp_path / "more.jsonl"
    file.write_text(json.dumps(line, ensure_ascii=False) + "\n")
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    env.update(DATABASE_URL=url, WALLIE_HOME=str(tmp_path))
    if redis:
        env["REDIS_URL"] = redis
    return subprocess.run(
        [WALLIE, "import", "jsonl", str(file), "--owner", owner, "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(params=["redis", "memory"])
def cache_backend(request: pytest.FixtureRequest) -> dict[str, Any]:
    """Server settings for each cache backend."""
    if request.param == "memory":
        return {}
    return {"REDIS_URL": request.getfixturevalue("redis_url")}


async def test_a_write_between_two_calls_is_never_served_stale(
    tmp_path: Path, cache_backend: dict[str, Any]
) -> None:
    url = f"sqlite:///{tmp_path / 'w.db'}"
    db, owner, owner_id = await _seeded(url)
    settings = Settings(DATABASE_URL=url, WALLIE_OWNER=owner, **cache_backend)
    async with Client(build_server(settings)) as client, Client(build_server(settings)) as other:
        assert await _names(client) == await _names(client) == ["Lucía Pérez"]
        stats = (await client.call_tool("cache_stats", {})).structured_content
        assert stats["tools"]["search_clients"]["hits"] >= 1
        if cache_backend:
            # A second server process sees the same entries and the same figures.
            await _names(other)
            theirs = (await other.call_tool("cache_stats", {})).structured_content
            assert theirs["backend"] == "redis"
            assert theirs["tools"]["search_clients"]["hits"] >= 2
        # The write tells no cache: its data version is enough.
        await ingest(db, owner_id, [_msg("Lucía Gómez", "b")])
        assert await _names(client) == await _names(other) == ["Lucía Gómez", "Lucía Pérez"]
    await db.dispose()


@pytest.mark.parametrize(
    "server_uses_redis",
    [False, True],
    ids=["no REDIS_URL anywhere", "Redis unreachable from the import"],
)
async def test_an_import_in_another_process_is_seen_at_once_and_exits_0(
    tmp_path: Path, database_url: str, server_uses_redis: bool, request: pytest.FixtureRequest
) -> None:
    db, owner, _ = await _seeded(database_url)
    await db.dispose()
    redis = request.getfixturevalue("redis_url") if server_uses_redis else None
    settings = Settings(
        DATABASE_URL=database_url, WALLIE_OWNER=owner, WALLIE_CACHE_TTL=3600, REDIS_URL=redis
    )
    async with Client(build_server(settings)) as client:
        assert await _names(client) == await _names(client) == ["Lucía Pérez"]
        done = _import(tmp_path, database_url, owner, "redis://127.0.0.1:1/0" if redis else None)
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["messages_added"] == 1
        assert await _names(client) == ["Lucía Gómez", "Lucía Pérez"]


async def test_a_redis_restored_from_an_old_snapshot_serves_nothing_stale(
    tmp_path: Path, redis_url: str
) -> None:
    url = f"sqlite:///{tmp_path / 'w.db'}"
    db, owner, owner_id = await _seeded(url)
    settings = Settings(DATABASE_URL=url, WALLIE_OWNER=owner, REDIS_URL=redis_url)
    redis = aioredis.from_url(redis_url)
    async with Client(build_server(settings)) as client:
        assert await _names(client) == ["Lucía Pérez"]
        # The snapshot: every key of this owner, as Redis would persist it.
        snapshot = {
            key: await redis.dump(key) async for key in redis.scan_iter(f"wallie:{owner}:*")
        }
        assert snapshot
        await ingest(db, owner_id, [_msg("Lucía Gómez", "b")])
        assert await _names(client) == ["Lucía Gómez", "Lucía Pérez"]
        # Restore: the owner's keys are exactly what the snapshot held.
        await redis.delete(*[k async for k in redis.scan_iter(f"wallie:{owner}:*")])
        for key, value in snapshot.items():
            await redis.restore(key, 0, value, replace=True)
        assert await _names(client) == ["Lucía Gómez", "Lucía Pérez"]
    await redis.aclose()
    await db.dispose()


async def test_rate_limited_tools_answer_with_retry_after(tmp_path: Path, redis_url: str) -> None:
    owner = f"o-{uuid.uuid4().hex[:8]}@example.es"
    url = f"sqlite:///{tmp_path / 'w.db'}"
    db = Database.from_url(url)
    await db.upgrade()
    await ingest(db, await ensure_owner(db, owner), [_msg("Lucía", "a")])
    await db.dispose()
    settings = Settings(
        DATABASE_URL=url, WALLIE_OWNER=owner, REDIS_URL=redis_url, WALLIE_RATE_LIMIT=2
    )
    async with Client(build_server(settings)) as client:
        results = [
            await client.call_tool("search_messages", {"query": "hola", "limit": n})
            for n in (1, 2, 3)
        ]
    assert [r.is_error for r in results] == [False, False, True]
    assert "rate limit for search_messages" in results[2].content[0].text
    assert "retry after" in results[2].content[0].text

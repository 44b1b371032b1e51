"""The cache behind the MCP tools, on a real Redis: hits, and no stale answer after an import."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from mcp import Client

from server.app import build_server
from tools.db import Database
from tools.ingest import ClientIn, ConversationIn, MessageIn, ingest
from tools.owners import ensure_owner
from tools.settings import Settings
from tools.writes import data_changed

pytestmark = pytest.mark.anyio


def _msg(name: str, ext: str) -> MessageIn:
    return MessageIn(
        client=ClientIn(key=ext, name=name),
        conversation=ConversationIn(key=f"{ext}-c", channel="whatsapp"),
        external_id=ext,
        direction="inbound",
        sender=name,
        sent_at=datetime(2026, 11, 20, tzinfo=UTC),
        text="hola",
    )


async def test_import_between_two_calls_is_never_served_stale(
    tmp_path: Path, redis_url: str
) -> None:
    owner = f"o-{uuid.uuid4().hex[:8]}@example.es"
    url = f"sqlite:///{tmp_path / 'w.db'}"
    db = Database.from_url(url)
    await db.upgrade()
    owner_id = await ensure_owner(db, owner)
    await ingest(db, owner_id, [_msg("Lucía Pérez", "a")])
    settings = Settings(DATABASE_URL=url, WALLIE_OWNER=owner, REDIS_URL=redis_url)
    async with Client(build_server(settings)) as client, Client(build_server(settings)) as other:
        first = await client.call_tool("search_clients", {"query": "lucia"})
        again = await client.call_tool("search_clients", {"query": "lucia"})
        assert first.structured_content == again.structured_content
        # A second server process sees the same entries and the same figures.
        await other.call_tool("search_clients", {"query": "lucia"})
        mine = (await client.call_tool("cache_stats", {})).structured_content
        theirs = (await other.call_tool("cache_stats", {})).structured_content
        assert mine == theirs and mine["backend"] == "redis"
        assert mine["tools"]["search_clients"]["hits"] >= 2

        await ingest(db, owner_id, [_msg("Lucía Gómez", "b")])
        await data_changed(settings, owner)  # what `wallie import` and `demo seed` do
        after = await client.call_tool("search_clients", {"query": "lucia"})
        names = sorted(c["name"] for c in after.structured_content["clients"])
        assert names == ["Lucía Gómez", "Lucía Pérez"]
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

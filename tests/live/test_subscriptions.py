"""MCP resource subscriptions in one process (stdio-like), on the in-process and Redis buses."""

from __future__ import annotations

from datetime import UTC, datetime

import anyio
import pytest
from mcp import Client

from server.app import build_server
from tests.live.conftest import OTHER, OWNER, Live
from tools.db import Database
from tools.ingest import ClientIn, ConversationIn, MessageIn, ingest
from tools.owners import ensure_owner

pytestmark = pytest.mark.anyio


def _message(n: int, client: str) -> MessageIn:
    return MessageIn(
        client=ClientIn(key=client, name=client),
        conversation=ConversationIn(key=f"{client}:wa", channel="whatsapp"),
        external_id=f"m{n}",
        direction="inbound",
        sender=client,
        sent_at=datetime(2026, 11, 26, 12, n, tzinfo=UTC),
        text=f"mensaje {n}",
    )


async def test_in_process_bus_notifies_only_the_owners_listeners(live_memory: Live) -> None:
    await _notifies_only_the_owner(live_memory)


async def test_redis_bus_notifies_only_the_owners_listeners(live: Live) -> None:
    await _notifies_only_the_owner(live)


async def two_owners(world: Live) -> tuple[Database, int, int, str]:
    """The database, both owners' ids, and the URI of this owner's first conversation."""
    db = Database.from_url(world.url)
    mine, theirs = await ensure_owner(db, OWNER), await ensure_owner(db, OTHER)
    first = await ingest(db, mine, [_message(1, "Ana")])
    assert first.changes is not None
    return db, mine, theirs, f"wallie://conversations/{first.changes.messages[0].conversation_id}"


async def _notifies_only_the_owner(world: Live) -> None:
    """A write in this process reaches this owner's listen stream, another owner's does not."""
    db, mine, theirs, uri = await two_owners(world)
    heard: list[str] = []
    async with (
        Client(build_server(world.settings())) as client,
        client.listen(resource_subscriptions=[uri, "wallie://inbox"]) as sub,
    ):
        done = anyio.Event()

        async def collect() -> None:
            async for event in sub:
                heard.append(event.uri)  # type: ignore[union-attr]
                if len(heard) == 2:
                    done.set()

        async with anyio.create_task_group() as tg:
            tg.start_soon(collect)
            await anyio.sleep(0.3)  # the fan-out reader is listening
            await ingest(db, theirs, [_message(1, "Ana")])  # another owner's Ana
            await ingest(db, mine, [_message(2, "Ana")])
            with anyio.fail_after(10):
                await done.wait()
            await anyio.sleep(0.3)
            tg.cancel_scope.cancel()
    await db.dispose()
    assert sorted(heard) == sorted([uri, "wallie://inbox"])

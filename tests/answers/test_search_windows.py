"""Bounded message search: the newest matches ranked first, filters inside, pages consistent.

CANDIDATES is lowered so that the 40-client book behaves like a large archive (common words
have many times more matches than one window holds).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from server.app import build_server
from tests.answers.conftest import Book
from tests.server.test_tools import call
from tools import queries
from tools.db import Database
from tools.ingest import ClientIn, ConversationIn, MessageIn, ingest
from tools.owners import ensure_owner
from tools.search import _ranking
from tools.settings import DEMO_OWNER

pytestmark = pytest.mark.anyio


@pytest.fixture
async def client(book: Book) -> AsyncIterator[Client]:
    """A session over the 40-client demo book."""
    async with Client(build_server(book.settings(DEMO_OWNER))) as session:
        yield session


async def every_page(client: Client, query: str, limit: int, **args: Any) -> list[dict[str, Any]]:
    """All hits of a search, following next_cursor to the end."""
    hits: list[dict[str, Any]] = []
    cursor: str | None = None
    for _ in range(200):
        page = await call(
            client, "search_messages", query=query, limit=limit, cursor=cursor, **args
        )
        hits += page["hits"]
        cursor = page.get("next_cursor")
        if not cursor:
            return hits
    raise AssertionError("the cursor never ran out")


def newest(hits: list[dict[str, Any]], n: int) -> set[int]:
    """The ids of the n most recently stored hits (the order both indexes are read in)."""
    return set(sorted((h["message_id"] for h in hits), reverse=True)[:n])


@pytest.mark.parametrize("query", ["gracias", "gracias precio"])
async def test_pages_across_windows_neither_repeat_nor_skip(
    client: Client, monkeypatch: pytest.MonkeyPatch, query: str
) -> None:
    exact = {h["message_id"] for h in await every_page(client, query, 50)}
    assert len(exact) > 20  # many windows' worth once CANDIDATES is 6
    monkeypatch.setattr(_ranking, "CANDIDATES", 6)
    ids = [h["message_id"] for h in await every_page(client, query, 7)]
    assert len(ids) == len(set(ids)), "a hit came back on two pages"
    assert set(ids) == exact, "some matches were never reached"


async def test_the_first_window_holds_the_newest_matches(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    everything = await every_page(client, "gracias", 50)
    monkeypatch.setattr(_ranking, "CANDIDATES", 5)
    first = await call(client, "search_messages", query="gracias", limit=5)
    assert {h["message_id"] for h in first["hits"]} == newest(everything, 5)
    scores = [h["score"] for h in first["hits"]]
    assert scores == sorted(scores, reverse=True)  # the window is ranked, not just recent


@pytest.mark.parametrize("small", [0, _ranking.SMALL])  # SQLite: stream, or test each one
async def test_filters_apply_inside_the_windows(
    client: Client, monkeypatch: pytest.MonkeyPatch, small: int
) -> None:
    everything = await every_page(client, "gracias", 50)
    some_client = everything[-1]["client_id"]
    by_client = {h["message_id"] for h in everything if h["client_id"] == some_client}
    exact_email = {
        h["message_id"] for h in await every_page(client, "gracias", 50, channel="email")
    }
    assert by_client and exact_email
    monkeypatch.setattr(_ranking, "CANDIDATES", 3)
    monkeypatch.setattr(_ranking, "SMALL", small)
    hits = await every_page(client, "gracias", 4, client_id=some_client)
    assert {h["message_id"] for h in hits} == by_client
    email = await every_page(client, "gracias", 4, channel="email")
    assert all(h["channel"] == "email" for h in email)
    assert {h["message_id"] for h in email} == exact_email
    pair = await every_page(client, "gracias precio", 4, channel="email")
    exact_pair = await every_page(client, "gracias precio", 50, channel="email")
    assert sorted(h["message_id"] for h in pair) == sorted(h["message_id"] for h in exact_pair)


async def test_another_owners_newer_matches_never_fill_the_window(
    book: Book, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The other salesperson's "proveedor" messages are stored after Laura's (newer rowids).
    monkeypatch.setattr(_ranking, "CANDIDATES", 1)
    async with Client(build_server(book.settings())) as laura:
        hits = await every_page(laura, "proveedor", 1)
    texts = [h["snippet"].lower() for h in hits]
    assert any("cambiar de proveedor" in t for t in texts)
    assert not any("otro proveedor" in t or "secreta" in t for t in texts)


async def test_sqlite_sees_index_words_stored_after_a_search(tmp_path: Path) -> None:
    # The index words of a prefix are kept between searches; a new word must still be found.
    db = Database.from_url(f"sqlite:///{tmp_path / 'words.db'}")
    await db.upgrade()
    owner = await ensure_owner(db, "words@example.com")
    ana = ClientIn(key="a", name="Ana Ruiz")
    thread = ConversationIn(key="a-w", channel="whatsapp")

    def message(key: str, text: str) -> MessageIn:
        return MessageIn(
            client=ana,
            conversation=thread,
            external_id=key,
            direction="inbound",
            sent_at=datetime(2026, 11, 1, tzinfo=UTC),
            text=text,
        )

    await ingest(db, owner, [message("1", "El pedido llegó bien")])
    first = await queries.search_messages(db, owner, "pedido")
    await ingest(db, owner, [message("2", "Dos pedidos más, por favor")])
    second = await queries.search_messages(db, owner, "pedido")
    await db.dispose()
    assert len(first.hits) == 1
    assert {h.snippet for h in second.hits} >= {"Dos pedidos más, por favor"}
    assert len(second.hits) == 2

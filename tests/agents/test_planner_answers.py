"""Retrieval-only answers over a real MCP server (in-process) on SQLite and PostgreSQL.

The book is the demo (40 clients ending today) plus a second client with the first demo
client's name; every expectation is read from the same records or the database.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from pydantic_ai.mcp import MCPToolset

from agents.events import Event
from agents.retrieval._planner import LIST_LIMIT
from agents.runtime import AskOptions, ask
from server.app import build_server
from tools.db import Database
from tools.demo import DemoSpec, generate
from tools.ingest import ingest
from tools.models import UTCDateTime
from tools.owners import ensure_owner
from tools.records import MessageIn
from tools.settings import DEMO_OWNER, Settings

ANCHOR = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


@dataclass
class Book:
    """The seeded database, its settings and the records it was seeded from."""

    settings: Settings
    db: Database
    records: list[MessageIn]


def _twin(records: list[MessageIn]) -> list[MessageIn]:
    """The first client's messages again, for another client with the same name."""
    first = records[0].client.key
    return [
        m.model_copy(
            update={
                "client": m.client.model_copy(
                    update={"key": "twin", "email": None, "phone": None, "company": None}
                ),
                "conversation": m.conversation.model_copy(update={"key": "twin"}),
                "external_id": f"twin-{m.external_id}",
            }
        )
        for m in records
        if m.client.key == first
    ]


@pytest.fixture
async def book(database_url: str, tmp_path: Path) -> AsyncIterator[Book]:
    """The demo plus a namesake, on each backend."""
    records = list(generate(DemoSpec(clients=40, anchor=ANCHOR)))
    db = Database.from_url(database_url)
    await db.upgrade()
    owner = await ensure_owner(db, DEMO_OWNER)
    await ingest(db, owner, [*records, *_twin(records)], scorer=None)
    settings = Settings(
        DATABASE_URL=database_url, WALLIE_OWNER=DEMO_OWNER, REDIS_URL=None, WALLIE_HOME=tmp_path
    )
    yield Book(settings, db, records)
    await db.dispose()


async def _ask(book: Book, question: str) -> list[Event]:
    toolset = MCPToolset(build_server(book.settings), id="wallie")
    options = AskOptions(model="retrieval", toolsets=[toolset])
    return [e async for e in ask(question, options, settings=book.settings)]


def _calls(events: list[Event]) -> list[tuple[str, dict[str, Any]]]:
    return [(e.tool, e.args) for e in events if e.type == "tool_call"]


def _final(events: list[Event]) -> Any:
    final = events[-1]
    assert final.type == "final", final
    # Every id cited came from a tool result of this run.
    cited = set(re.findall(r"\[(?:msg|client|conversation):\d+\]", final.answer))
    assert cited and cited == {s.ref for s in final.sources}
    return final


async def _scalar(db: Database, sql: str, **params: Any) -> Any:
    async with db.connect() as conn:
        return (await conn.execute(sa.text(sql), params)).scalar_one()


@pytest.mark.anyio
async def test_a_name_two_clients_share_is_surfaced(book: Book) -> None:
    name = book.records[0].client.name
    final = _final(await _ask(book, f"¿Cómo va {name}?"))
    ids = {s.id for s in final.sources if s.kind == "client" and s.label == name}
    assert len(ids) == 2  # both namesakes, each with its own id
    assert f"2 clientes coinciden con «{name}»" in final.answer
    assert all(f"[client:{i}]" in final.answer for i in ids)


@pytest.mark.anyio
async def test_a_phone_in_the_question_finds_its_client(book: Book) -> None:
    client = next(m.client for m in book.records if m.client.phone)
    events = await _ask(book, f"Who has the phone number {client.phone}?")
    assert _calls(events)[0] == ("search_clients", {"query": client.phone, "limit": 5})
    final = _final(events)
    assert final.answer.startswith("_Retrieval-only mode")  # the question was in English
    assert any(s.kind == "client" and s.label == client.name for s in final.sources)


@pytest.mark.anyio
async def test_a_cut_list_says_how_many_more(book: Book) -> None:
    total = await _scalar(book.db, "SELECT count(*) FROM client")
    events = await _ask(book, "How many clients do I have?")
    assert _calls(events) == [("list_clients", {"limit": LIST_LIMIT})]
    final = _final(events)
    assert f"You have {total} client(s)." in final.answer
    assert f"…and {total - LIST_LIMIT} more (total {total})." in final.answer
    assert len({s.id for s in final.sources if s.kind == "client"}) == LIST_LIMIT


@pytest.mark.anyio
async def test_the_in_process_server_closes_its_pool_when_cancelled(
    book: Book, caplog: pytest.LogCaptureFixture
) -> None:
    # The toolset ends the in-process server by cancelling it; an unshielded shutdown left
    # the pool's connections unclosed (aiosqlite threads outliving the loop).
    caplog.set_level(logging.ERROR, logger="sqlalchemy.pool")
    await _ask(book, "How many clients do I have?")
    failed = [r.getMessage() for r in caplog.records if r.name.startswith("sqlalchemy.pool")]
    assert failed == []


@pytest.mark.anyio
async def test_a_count_of_open_deals_comes_from_the_pipeline(book: Book) -> None:
    opened = await _scalar(book.db, "SELECT count(*) FROM conversation WHERE outcome = 'open'")
    events = await _ask(book, "¿Cuántas negociaciones abiertas tengo?")
    assert [name for name, _ in _calls(events)] == ["pipeline_summary"]
    final = _final(events)
    assert f"- abierta: {opened} conversación(es)" in final.answer


@pytest.mark.anyio
async def test_who_i_talked_to_yesterday(book: Book) -> None:
    yesterday = (ANCHOR - timedelta(days=1)).date().isoformat()
    events = await _ask(book, "¿Con quién hablé ayer?")
    (name, args), *_ = _calls(events)
    assert name == "list_clients"
    # A message yesterday, not a last contact yesterday: who wrote again today still counts.
    assert (args["messages_since"], args["messages_until"]) == (yesterday, yesterday)
    assert "messages_from" not in args and "last_contact_after" not in args
    final = _final(events)
    assert final.answer.startswith("_Modo solo recuperación")
    talked = {
        r.client_id
        for r in await _rows(
            book.db,
            "SELECT DISTINCT client_id FROM message WHERE sent_at >= :a AND sent_at < :b",
            a=ANCHOR - timedelta(days=1),
            b=ANCHOR,
        )
    }
    assert f"{len(talked)} cliente(s) coinciden entre" in final.answer
    cited = {s.id for s in final.sources if s.kind == "client"}
    assert cited and cited <= talked


@pytest.mark.anyio
async def test_who_wrote_to_me_counts_only_the_clients_messages(book: Book) -> None:
    events = await _ask(book, "How many clients wrote to me in the last 7 days?")
    (name, args), *_ = _calls(events)
    assert name == "list_clients" and args["messages_from"] == "client"
    start = ANCHOR + timedelta(days=1) - timedelta(days=7)
    wrote = await _rows(
        book.db,
        "SELECT DISTINCT client_id FROM message WHERE direction = 'inbound' AND sent_at >= :a",
        a=start,
    )
    assert f"You have {len(wrote)} client(s)" in _final(events).answer


@pytest.mark.anyio
async def test_a_named_client_since_a_day_cites_only_that_window(book: Book) -> None:
    start = ANCHOR + timedelta(days=1) - timedelta(days=7)
    recent = await _rows(
        book.db,
        "SELECT c.name, c.id FROM client c JOIN message m ON m.client_id = c.id "
        "WHERE m.sent_at >= :a AND m.direction = 'inbound' GROUP BY c.id, c.name "
        "HAVING (SELECT count(*) FROM client d WHERE d.name = c.name) = 1 ORDER BY c.id",
        a=start,
    )
    client = recent[0]
    events = await _ask(book, f"¿Qué me ha dicho {client.name} en los últimos 7 días?")
    history = next(args for name, args in _calls(events) if name == "get_conversation_history")
    assert history["since"] == start.date().isoformat()
    window = {
        r.id
        for r in await _rows(
            book.db,
            "SELECT id FROM message WHERE client_id = :c AND sent_at >= :a",
            c=client.id,
            a=start,
        )
    }
    final = _final(events)
    cited = {s.id for s in final.sources if s.kind == "msg"}
    assert cited and cited <= window, final.answer


@pytest.mark.anyio
async def test_an_industry_in_the_question_filters_the_list(book: Book) -> None:
    hotels = await _rows(book.db, "SELECT id FROM client WHERE industry = 'hostelería'")
    events = await _ask(book, "Which restaurants and hotels do I work with?")
    (name, args), *_ = _calls(events)
    assert name == "list_clients" and args["industry"] == "hosteleria"
    final = _final(events)
    assert final.answer.startswith("_Retrieval-only mode")
    assert f"{len(hotels)} client(s) match" in final.answer
    cited = {s.id for s in final.sources if s.kind == "client"}
    assert cited and cited <= {r.id for r in hotels}


async def _rows(db: Database, sql: str, **params: Any) -> list[Any]:
    """Rows of `sql`; datetime parameters bound as the models store them (UTC)."""
    times = [
        sa.bindparam(k, type_=UTCDateTime()) for k, v in params.items() if isinstance(v, datetime)
    ]
    async with db.connect() as conn:
        return list((await conn.execute(sa.text(sql).bindparams(*times), params)).all())


@pytest.mark.anyio
async def test_a_comparison_ends_in_a_verdict(book: Book) -> None:
    async with book.db.connect() as conn:
        rows = (
            await conn.execute(
                sa.text(
                    "SELECT c.name, c.id, max(v.success_score) AS best FROM client c "
                    "JOIN conversation v ON v.client_id = c.id "
                    "WHERE v.outcome = 'open' AND v.success_score IS NOT NULL "
                    "GROUP BY c.id, c.name ORDER BY best DESC"
                )
            )
        ).all()
    names = [r.name for r in rows]
    unique = [r for r in rows if names.count(r.name) == 1]
    high, low = unique[0], unique[-1]
    assert high.best > low.best
    final = _final(await _ask(book, f"Who is closer to signing, {low.name} or {high.name}?"))
    verdict = next(line for line in final.answer.splitlines() if "Verdict" in line)
    assert verdict.startswith(f"**Verdict: {high.name} [client:{high.id}] is closer to closing**")
    assert f"{high.best:.2f} against {low.best:.2f} for {low.name} [client:{low.id}]" in verdict


@pytest.mark.anyio
async def test_an_unknown_capitalised_word_is_still_searched_in_messages(book: Book) -> None:
    word = "Provexa"  # the demo's competitor: in the messages, not a client's name
    events = await _ask(book, f"Which clients mentioned {word}?")
    calls = _calls(events)
    assert calls[0] == ("search_clients", {"query": word, "limit": 5})
    search = next(args for name, args in calls if name == "search_messages")
    assert "provexa" in search["query"]
    final = _final(events)
    assert f"No client is called “{word}”; I searched the messages for it instead." in final.answer
    quoted = [line for line in final.answer.splitlines() if "[msg:" in line]
    assert quoted and "provexa" in quoted[0].lower()


@pytest.mark.anyio
async def test_contact_details_are_given_when_asked(book: Book) -> None:
    client = next(m.client for m in book.records if m.client.phone and m.client.email)
    final = _final(await _ask(book, f"What's the phone number of {client.name}?"))
    assert client.phone in final.answer and client.email in final.answer
    assert "conversation(s) with" not in final.answer  # not a pipeline count

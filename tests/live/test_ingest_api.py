"""`POST /api/messages`: one record or a batch, idempotent, validated, owner-scoped, evented."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import sqlalchemy as sa

from tests.live.conftest import Live, in_process
from tools import events as ev
from tools.db import Database

pytestmark = pytest.mark.anyio


def record(n: int, **message: Any) -> dict[str, Any]:
    return {
        "client": {"name": "Lucía Prieto", "email": "lucia@prieto.es", "company": "Prieto SL"},
        "conversation": {"channel": "email", "subject": "Pedido de otoño"},
        "message": {
            "id": f"crm-{n}",
            "direction": "inbound",
            "sent_at": f"2026-11-26T09:{n:02d}:00+01:00",
            "text": f"Nota {n}: el presupuesto me parece bien",
            **message,
        },
    }


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def _count(live: Live, table: str) -> int:
    db = Database.from_url(live.url)
    try:
        async with db.connect() as conn:
            return int(await conn.scalar(sa.text(f"SELECT count(*) FROM {table}")) or 0)
    finally:
        await db.dispose()


async def test_one_record_and_a_batch_answer_with_what_was_stored(live: Live) -> None:
    async with in_process(live) as client:
        one = await client.post("/api/messages", json=record(1), headers=auth(live.key))
        batch = await client.post(
            "/api/messages", json=[record(1), record(2), record(3)], headers=auth(live.key)
        )
    assert one.status_code == 200
    body = one.json()
    assert (body["messages_added"], body["clients_added"], body["conversations_added"]) == (1, 1, 1)
    [stored] = body["messages"]
    assert stored["created"] is True and stored["external_id"] == "crm-1"
    assert isinstance(stored["message_id"], int) and isinstance(stored["conversation_id"], int)
    again = batch.json()
    assert (again["messages_added"], again["messages_skipped"], again["clients_added"]) == (2, 1, 0)
    assert [(m["external_id"], m["created"]) for m in again["messages"]] == [
        ("crm-1", False),
        ("crm-2", True),
        ("crm-3", True),
    ]
    assert {m["conversation_id"] for m in again["messages"][1:]} == {stored["conversation_id"]}
    assert await _count(live, "message") == 3


async def test_a_bad_batch_is_422_with_field_and_reason_and_stores_nothing(live: Live) -> None:
    bad = [
        record(1),
        record(2, sent_at="2026-11-26T09:00:00"),
        record(3, direction="sideways"),
        {"client": {"name": "Sin contacto"}, "conversation": {"channel": "email"}, "message": {}},
        "not an object",
    ]
    async with in_process(live) as client:
        response = await client.post("/api/messages", json=bad, headers=auth(live.key))
        not_json = await client.post("/api/messages", content=b"{nope", headers=auth(live.key))
        empty = await client.post("/api/messages", json=[], headers=auth(live.key))
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert [(e["index"], e["field"]) for e in errors] == [
        (1, "message.sent_at"),
        (2, "message.direction"),
        (3, "client"),
        (3, "message.direction"),
        (3, "message.sent_at"),
        (3, "message.text"),
        (4, "record"),
    ]
    assert "timezone" in errors[0]["reason"] and "add Z or +01:00" in errors[0]["reason"]
    assert "'inbound' or 'outbound'" in errors[1]["reason"] and "sideways" in errors[1]["reason"]
    assert not_json.status_code == 422 and not_json.json()["errors"][0]["field"] == "body"
    assert empty.status_code == 422
    assert await _count(live, "message") == 0
    assert await _count(live, "client") == 0


async def test_the_key_decides_the_owner(live: Live) -> None:
    async with in_process(live) as client:
        missing = await client.post("/api/messages", json=record(1))
        wrong = await client.post("/api/messages", json=record(1), headers=auth("wal_not_a_key"))
        mine = await client.post("/api/messages", json=record(1), headers=auth(live.key))
        theirs = await client.post("/api/messages", json=record(1), headers=auth(live.other_key))
    assert (missing.status_code, wrong.status_code) == (401, 401)
    assert mine.json()["messages_added"] == theirs.json()["messages_added"] == 1
    assert mine.json()["messages"][0]["client_id"] != theirs.json()["messages"][0]["client_id"]


async def test_each_change_is_one_event_in_its_owners_stream(live: Live) -> None:
    bus = ev.get_bus(live.settings())
    async with in_process(live) as client:
        await client.post("/api/messages", json=[record(1), record(2)], headers=auth(live.key))
        await client.post("/api/messages", json=record(3), headers=auth(live.key))
        await client.post("/api/messages", json=record(1), headers=auth(live.other_key))
    mine = await bus.read(1, "0-0", wait=0.1)  # owner 1: the first key's
    assert [e.type for e in mine] == [
        "client.created",
        "message.created",
        "message.created",
        "message.created",
        "client.updated",
    ]
    created = [e for e in mine if isinstance(e, ev.MessageCreated)]
    assert [e.external_id for e in created] == ["crm-1", "crm-2", "crm-3"]
    assert created[0].preview == "Nota 1: el presupuesto me parece bien"
    theirs = await bus.read(2, "0-0", wait=0.1)
    assert [e.type for e in theirs] == ["client.created", "message.created"]
    assert {e.owner_id for e in mine} == {1} and {e.owner_id for e in theirs} == {2}


async def test_without_redis_events_stay_in_process(live_memory: Live) -> None:
    bus = ev.get_bus(live_memory.settings())
    assert isinstance(bus, ev.MemoryEventBus)
    async with in_process(live_memory, auth=False) as client:
        response = await client.post("/api/messages", json=record(1))
    assert response.status_code == 200
    assert [e.type for e in await bus.read(1, "0-0", wait=0.1)] == [
        "client.created",
        "message.created",
    ]


async def test_the_inbox_resource_and_sentiment_are_ready_before_the_event(live: Live) -> None:
    from mcp import Client

    from server.app import build_server

    async with in_process(live) as client:
        await client.post(
            "/api/messages",
            json=record(1, text="Estoy muy enfadada, el pedido llegó roto"),
            headers=auth(live.key),
        )
    db = Database.from_url(live.url)
    try:
        async with db.connect() as conn:
            label = await conn.scalar(sa.text("SELECT sentiment_label FROM message"))
    finally:
        await db.dispose()
    assert label == "negative"
    async with Client(build_server(live.settings())) as mcp:
        inbox = await mcp.read_resource("wallie://inbox")
    text = inbox.contents[0].text  # type: ignore[union-attr]
    assert "el pedido llegó roto" in text and "Lucía Prieto" in text


async def test_http_client_errors_are_clean(live: Live) -> None:
    async with in_process(live) as client:
        huge = await client.post(
            "/api/messages", json=[record(i % 60) for i in range(1001)], headers=auth(live.key)
        )
    assert huge.status_code == 422
    assert "1 to 1000 records" in huge.json()["errors"][0]["reason"]


async def test_concurrent_batches_creating_the_same_clients_all_succeed(live: Live) -> None:
    def batch(start: int) -> list[dict[str, Any]]:
        # Every batch names the same five new clients, so their writers race to create them.
        return [
            {
                "client": {"name": f"Nuevo {i % 5}", "phone": f"+34 699 000 00{i % 5}"},
                "conversation": {"channel": "whatsapp"},
                "message": {
                    "id": f"race-{start}-{i}",
                    "direction": "inbound",
                    "sent_at": "2026-11-26T11:00:00Z",
                    "text": f"hola {i}",
                },
            }
            for i in range(20)
        ]

    async with in_process(live) as client:
        responses = await asyncio.gather(
            *(client.post("/api/messages", json=batch(n), headers=auth(live.key)) for n in range(4))
        )
    assert [r.status_code for r in responses] == [200, 200, 200, 200]
    assert sum(r.json()["messages_added"] for r in responses) == 80
    assert await _count(live, "client") == 5
    assert await _count(live, "message") == 80

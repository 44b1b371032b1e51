"""Imports stored and read back through the real MCP tools, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from mcp import Client

from server.app import build_server
from tests.importers.conftest import MAIL, ME, ME_MAIL, WA
from tools.db import Database
from tools.importers import ImportSummary, run_import
from tools.importers.email import parse_archives
from tools.importers.whatsapp import parse_chats
from tools.ingest import ClientIn, ConversationIn, MessageIn, default_scorer, ingest
from tools.models import Client as ClientRow
from tools.models import Message
from tools.owners import ensure_owner
from tools.settings import Settings

pytestmark = pytest.mark.anyio
MADRID = ZoneInfo("Europe/Madrid")
PHONE_CHAT = WA / "Chat de WhatsApp con +34 600 12 34 56.txt"
NEWER_CHAT = WA / "Chat de WhatsApp con +34 600 12 34 56 (2).txt"


async def wa(db: Database, *paths: Path, dry_run: bool = False, **kw: Any) -> ImportSummary:
    owner = await ensure_owner(db, ME_MAIL)
    files = parse_chats(list(paths), me=kw.pop("me", [ME]), tz=MADRID, **kw)
    return await run_import(db, owner, files, scorer=default_scorer(), dry_run=dry_run)


async def mail(db: Database, *paths: Path, **kw: Any) -> ImportSummary:
    owner = await ensure_owner(db, ME_MAIL)
    files = parse_archives(list(paths), me=[ME_MAIL], **kw)
    return await run_import(db, owner, files, scorer=default_scorer())


async def call(session: Client, tool: str, **args: Any) -> dict[str, Any]:
    result = await session.call_tool(tool, args)
    assert not result.is_error, result.content[0].text
    return result.structured_content  # type: ignore[return-value]


async def history(session: Client, query: str) -> list[dict[str, Any]]:
    page = await call(session, "search_clients", query=query)
    assert page["clients"], f"no client for {query!r}"
    cid = page["clients"][0]["id"]
    return (await call(session, "get_conversation_history", client_id=cid, limit=200))["messages"]


def server(url: str) -> Client:
    return Client(build_server(Settings(DATABASE_URL=url, WALLIE_OWNER=ME_MAIL, REDIS_URL=None)))


async def count(db: Database) -> int:
    async with db.connect() as conn:
        return int(
            (await conn.execute(sa.select(sa.func.count()).select_from(Message))).scalar_one()
        )


async def test_whatsapp_round_trip_through_mcp(db: Database, database_url: str) -> None:
    summary = await wa(db, PHONE_CHAT)
    totals = summary.totals()
    assert totals["messages_new"] == 6 and totals["clients_new"] == 1
    assert totals["system_lines"] == 2 and totals["attachments"] == 1
    async with server(database_url) as session:
        for query in ("+34 600 12 34 56", "600123456", "0034 600 12 34 56"):
            page = await call(session, "search_clients", query=query)
            assert [c["name"] for c in page["clients"]] == ["+34 600 12 34 56"]
        messages = await history(session, "+34 600 12 34 56")
    assert [(m["direction"], m["text"]) for m in messages] == [
        ("inbound", "Hola Laura, ¿me pasas el presupuesto de las toallas?"),
        ("outbound", "Claro, te lo envío hoy.\nSon 200 unidades:\n\n- 100 grandes\n- 100 pequeñas"),
        ("outbound", "[attachment: media]"),
        ("inbound", "El precio es demasiado caro 😡"),
        ("inbound", "El precio es demasiado caro 😡"),
        ("outbound", "Puedo hacerte un 10% de descuento."),
    ]
    times = [m["sent_at"] for m in messages]
    assert times == sorted(times) and times[0].startswith("2026-11-02T08:01:00")


async def test_reimport_adds_nothing_and_a_newer_export_only_new_messages(db: Database) -> None:
    await wa(db, PHONE_CHAT)
    again = (await wa(db, PHONE_CHAT)).totals()
    assert again["messages_new"] == 0 and again["messages_already_stored"] == 6
    assert again["clients_new"] == 0 and again["clients_matched"] == 1
    newer = (await wa(db, NEWER_CHAT)).totals()
    assert newer["messages_new"] == 2 and newer["messages_already_stored"] == 3
    assert await count(db) == 8
    async with db.connect() as conn:
        assert (
            await conn.execute(sa.select(sa.func.count()).select_from(ClientRow))
        ).scalar_one() == 1


async def test_dry_run_counts_and_writes_nothing(db: Database) -> None:
    summary = await wa(db, PHONE_CHAT, dry_run=True)
    assert summary.dry_run and summary.totals()["messages_new"] == 6
    assert await count(db) == 0


async def test_a_failing_file_changes_nothing_and_skip_invalid_keeps_the_good(
    db: Database,
) -> None:
    bad = WA / "WhatsApp Chat with Bad Line.txt"
    await wa(db, PHONE_CHAT)
    summary = await wa(db, bad, PHONE_CHAT)
    assert [f.ok for f in summary.files] == [False, True]
    assert summary.files[0].errors == [
        f"{bad}:2: invalid date or time (day is out of range for month)"
    ]
    assert await count(db) == 6
    kept = await wa(db, bad, skip_invalid=True)
    assert kept.files[0].ok and kept.files[0].messages_new == 2 and kept.files[0].skipped == 1
    assert await count(db) == 8


async def test_group_chat_zip_and_existing_client_matching(db: Database, database_url: str) -> None:
    owner = await ensure_owner(db, ME_MAIL)
    known = ClientIn(key="crm-7", name="John Smith", email="john@acme.co.uk")
    seed = MessageIn(
        client=known,
        conversation=ConversationIn(key="crm-conv", channel="email"),
        external_id="seed-1",
        direction="inbound",
        sender="John Smith",
        sent_at=datetime(2026, 10, 1, tzinfo=UTC),
        text="Old email",
    )
    await ingest(db, owner, [seed])
    summary = await wa(
        db, WA / "Conversa do WhatsApp com Equipe Vendas.txt", WA / "WhatsApp Chat - John Smith.zip"
    )
    group, zipped = summary.files
    assert group.clients_new == 1 and zipped.clients_new == 0 and zipped.clients_matched == 1
    assert zipped.attachments == 2
    async with server(database_url) as session:
        team = await history(session, "Equipe Vendas")
        john = await history(session, "John Smith")
    assert [(m["sender"], m["text"]) for m in team] == [
        ("Marta Lima", "Bom dia a todos!"),
        ("Pedro Alves", "Bom dia, qual é o preço final?"),
        (ME, "1.200 € com entrega."),
        ("Marta Lima", "Fechado ✅"),
    ]
    assert john[0]["text"] == "Old email" and john[-1]["text"] == "I can do 10% off."
    assert "[attachment: 00000012-PHOTO-2026-11-02-12-15-30.jpg]" in [m["text"] for m in john]
    async with db.connect() as conn:
        stored = (await conn.execute(sa.select(Message.attachments))).scalars().all()
    assert sorted(tuple(a) for a in stored if a) == [
        ("00000012-PHOTO-2026-11-02-12-15-30.jpg",),
        ("image",),
    ]


async def test_email_thread_across_files_bodies_and_skips(db: Database, database_url: str) -> None:
    summary = await mail(db, MAIL / "inbox.mbox", MAIL / "sent-reply.eml", MAIL / "Maildir")
    inbox, sent, maildir = summary.files
    assert (inbox.messages_new, inbox.skipped_bulk, inbox.attachments) == (4, 3, 1)
    assert inbox.replaced_chars == 2  # the latin-1 bytes of a message labelled utf-8
    assert sent.conversations_new == 0 and sent.clients_matched == 1  # joins the mbox's thread
    assert maildir.messages_new == 2
    async with server(database_url) as session:
        jose = await history(session, "jose.garcia@hotelsol.es")
        john = await history(session, "John Smith")
        ana = await history(session, "Ana Ruiz")
    assert len({m["conversation_id"] for m in jose}) == 1
    assert [(m["direction"], m["text"]) for m in jose] == [
        (
            "inbound",
            "Hola Laura, ¿me pasas el presupuesto de las toallas?\nFrom now on we order monthly.",
        ),
        ("outbound", "Te adjunto el presupuesto: 1.200 €.\n[attachment: presupuesto_año.pdf]"),
        ("inbound", "El precio es demasiado caro para nosotros, a\ufffdo tras a\ufffdo sube."),
        ("outbound", "Puedo hacerte un 10% de descuento si cerramos esta semana."),
    ]
    assert [m["text"] for m in john] == [
        "Hi Laura,\n\nThe price is too high, we need a better offer."
    ]
    assert [m["text"] for m in ana] == [
        "¿Quedan plazas para el curso de inglés?",
        "Sí, quedan 3 plazas.",
    ]
    again = (await mail(db, MAIL / "sent-reply.eml", MAIL / "inbox.mbox")).totals()
    assert again["messages_new"] == 0 and again["messages_already_stored"] == 5


async def test_email_bad_message_is_atomic_per_file(db: Database) -> None:
    summary = await mail(db, MAIL / "bad-date.mbox")
    assert not summary.files[0].ok
    assert summary.files[0].errors == [
        f"{MAIL / 'bad-date.mbox'}: message 2: no valid Date header ('')"
    ]
    assert await count(db) == 0
    kept = await mail(db, MAIL / "bad-date.mbox", skip_invalid=True)
    assert kept.files[0].messages_new == 2 and kept.files[0].skipped == 1


async def test_email_thread_joined_across_separate_imports(db: Database, database_url: str) -> None:
    first = (await mail(db, MAIL / "sent-reply.eml")).totals()
    later = (await mail(db, MAIL / "inbox.mbox")).totals()
    assert first["conversations_new"] == 1 and later["clients_new"] == 1  # John; José matched
    async with server(database_url) as session:
        jose = await history(session, "José García")
    assert len(jose) == 4 and len({m["conversation_id"] for m in jose}) == 1
    assert jose[-1]["text"] == "Puedo hacerte un 10% de descuento si cerramos esta semana."

"""Demo data and JSONL import: deterministic, idempotent, all-or-nothing."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from tools.db import Database
from tools.demo import DemoSpec, generate
from tools.ingest import ingest
from tools.jsonl import parse_file
from tools.models import Client, Conversation, Message
from tools.owners import ensure_owner

pytestmark = pytest.mark.anyio
ANCHOR = datetime(2026, 11, 25, tzinfo=UTC)


def _rows(spec: DemoSpec) -> list[tuple[object, ...]]:
    return [
        (
            m.client.key,
            m.client.name,
            m.client.phone,
            m.conversation.key,
            m.external_id,
            m.direction,
            m.sent_at,
            m.text,
        )
        for m in generate(spec)
    ]


def test_same_seed_same_data_other_seed_other_data() -> None:
    spec = DemoSpec(clients=50, seed=7, anchor=ANCHOR)
    assert _rows(spec) == _rows(spec)
    assert _rows(spec) != _rows(DemoSpec(clients=50, seed=8, anchor=ANCHOR))


def test_demo_data_looks_like_a_real_pipeline() -> None:
    messages = list(generate(DemoSpec(clients=200, seed=42, anchor=ANCHOR)))
    clients = {m.client.key for m in messages}
    assert len(clients) == 200
    assert 6 <= len(messages) / 200 <= 15
    texts = " ".join(m.text for m in messages)
    assert any(ch in texts for ch in "😡👍🎉😊")
    assert "precio" in texts and "price" in texts  # Spanish and English
    assert {m.conversation.channel for m in messages} >= {"whatsapp", "email", "sms"}
    assert {m.conversation.outcome for m in messages} == {"won", "lost", "open"}
    assert any(ch in m.client.name for m in messages for ch in "áéíóúñÁÉÍÓÚÑ")
    assert len({m.client.phone[:3] for m in messages if m.client.phone}) > 3  # mixed formats
    assert all(m.sent_at <= ANCHOR for m in messages)
    threads: dict[str, list[datetime]] = {}
    for m in messages:
        threads.setdefault(m.conversation.key, []).append(m.sent_at)
    assert all(times == sorted(times) for times in threads.values())


async def _table(db: Database) -> list[tuple[object, ...]]:
    async with db.connect() as conn:
        rows = await conn.execute(
            sa.select(
                Client.external_id,
                Client.name,
                Client.phone_digits,
                Conversation.external_id,
                Conversation.outcome,
                Message.external_id,
                Message.sent_at,
                Message.text,
                Message.sentiment_label,
            )
            .join(Conversation, Conversation.client_id == Client.id)
            .join(Message, Message.conversation_id == Conversation.id)
            .order_by(Message.external_id)
        )
        return [tuple(r) for r in rows]


async def test_seeding_twice_gives_identical_databases_and_adds_nothing(
    tmp_path: Path, postgres_url: str
) -> None:
    from tools.ingest import default_scorer

    spec = DemoSpec(clients=30, seed=3, anchor=ANCHOR)
    tables = []
    for url in (f"sqlite:///{tmp_path / 'a.db'}", postgres_url):
        db = Database.from_url(url)
        await db.upgrade()
        owner = await ensure_owner(db, "demo@wallie.local")
        report = await ingest(db, owner, generate(spec), scorer=default_scorer())
        assert report.clients_added == 30
        again = await ingest(db, owner, generate(spec), scorer=default_scorer())
        assert again.messages_added == 0 and again.messages_skipped == report.messages_added
        tables.append(await _table(db))
        await db.dispose()
    assert tables[0] == tables[1]
    assert all(row[-1] in {"positive", "neutral", "negative"} for row in tables[0])


def _line(**overrides: object) -> str:
    record: dict[str, dict[str, object]] = {
        "client": {"id": "crm-1", "name": "Ana García", "phone": "+34 600 12 34 56"},
        "conversation": {"id": "wa-1", "channel": "whatsapp", "outcome": "open"},
        "message": {
            "id": "m1",
            "direction": "inbound",
            "sent_at": "2026-11-20T10:15:00+01:00",
            "text": "Hola",
        },
    }
    for path, value in overrides.items():
        section, key = path.split("__")
        if value is None:
            record[section].pop(key, None)
        else:
            record[section][key] = value
    return json.dumps(record, ensure_ascii=False)


async def test_jsonl_import_is_idempotent(db: Database, tmp_path: Path) -> None:
    file = tmp_path / "chats.jsonl"
    file.write_text(
        "\n".join(
            [
                _line(),
                _line(message__id="m2", message__text="¿Precio?"),
                _line(message__id=None, message__text="sin id"),  # idempotent by content
                _line(
                    client__id="crm-2",
                    client__name="John",
                    conversation__id="e-1",
                    conversation__channel="email",
                    message__id="x1",
                ),
            ]
        )
        + "\n"
    )
    parsed = parse_file(file)
    assert parsed.errors == [] and len(parsed.messages) == 4
    owner = await ensure_owner(db, "laura@example.es")
    first = await ingest(db, owner, parsed.messages)
    assert (first.clients_added, first.conversations_added, first.messages_added) == (2, 2, 4)
    second = await ingest(db, owner, parse_file(file).messages)
    assert second.messages_added == 0 and second.messages_skipped == 4


def test_bad_lines_are_reported_with_file_line_and_reason(tmp_path: Path) -> None:
    file = tmp_path / "bad.jsonl"
    file.write_text(
        "\n".join(
            [
                _line(),
                "{not json",
                _line(client__name=None),
                _line(conversation__channel="fax"),
                _line(message__sent_at="2026-11-20T10:15:00"),
                _line(conversation__success_score=1.5),
                "[1, 2]",
                _line(client__id=None, client__phone=None),
                _line(message__sent_at="0001-01-01T00:00:00+01:00"),
                _line(client__email="ana.example.es"),
            ]
        )
    )
    errors = parse_file(file).errors
    assert errors == [
        f"{file}:2: invalid JSON: Expecting property name enclosed in double quotes (column 2)",
        f"{file}:3: client.name: Field required",
        f"{file}:4: conversation.channel: Input should be 'whatsapp', 'email', 'sms', 'call' "
        "or 'other' (got 'fax')",
        f"{file}:5: message.sent_at: Input should have timezone info; add Z or +01:00 "
        "(got '2026-11-20T10:15:00')",
        f"{file}:6: conversation.success_score: Input should be less than or equal to 1 (got 1.5)",
        f"{file}:7: a line must be a JSON object",
        f"{file}:8: client: needs an id, an email or a phone to be identified",
        f"{file}:9: message.sent_at: is out of range once converted to UTC "
        "(got '0001-01-01T00:00:00+01:00')",
        f"{file}:10: client.email: is not an email address (got 'ana.example.es')",
    ]


async def test_ingest_reports_committed_changes_to_after_commit_hooks(db: Database) -> None:
    from tools.ingest import Changes, ClientIn, ConversationIn, MessageIn

    owner = await ensure_owner(db, "laura@example.es")
    ana = ClientIn(key="crm-1", name="Ana")
    chat = ConversationIn(key="wa-1", channel="whatsapp")
    seen: list[Changes] = []

    async def hook(changes: Changes) -> None:
        seen.append(changes)

    def message(ext: str, **extra: object) -> MessageIn:
        return MessageIn.model_validate(
            {
                "client": ana,
                "conversation": chat,
                "id": ext,
                "direction": "inbound",
                "sent_at": "2026-11-20T10:15:00+01:00",
                "text": "Hola",
                **extra,
            }
        )

    first = await ingest(
        db, owner, [message("m1", attachments=["IMG-001.jpg"])], after_commit=[hook]
    )
    assert first.as_dict() == {
        "clients_added": 1,
        "conversations_added": 1,
        "messages_added": 1,
        "messages_skipped": 0,
        "statuses_updated": 0,
    }
    again = await ingest(db, owner, [message("m1"), message("m2")], after_commit=[hook])
    nothing = await ingest(db, owner, [message("m2")], after_commit=[hook])
    assert nothing.messages_added == 0

    async with db.connect() as conn:
        rows = (
            await conn.execute(
                sa.select(Message.id, Message.external_id, Message.attachments).order_by(
                    Message.external_id
                )
            )
        ).all()
        client_id = await conn.scalar(sa.select(Client.id))
        conversation_id = await conn.scalar(sa.select(Conversation.id))
    assert [(r.external_id, r.attachments) for r in rows] == [("m1", ["IMG-001.jpg"]), ("m2", None)]
    assert len(seen) == 2  # nothing stored: no hook call
    assert (seen[0].clients_added, seen[0].clients_updated) == ([client_id], [])
    assert seen[0].conversations_added == seen[0].conversations_touched == [conversation_id]
    assert seen[0].messages_added == [rows[0].id]
    assert (seen[1].clients_added, seen[1].clients_updated) == ([], [client_id])
    assert seen[1].messages_added == [rows[1].id] and again.messages_skipped == 1
    assert seen[1].data_version == seen[0].data_version + 1


async def test_a_failing_hook_never_undoes_a_commit(db: Database) -> None:
    from tools.ingest import Changes, ClientIn, ConversationIn, MessageIn

    owner = await ensure_owner(db, "laura@example.es")

    async def broken(_changes: Changes) -> None:
        raise RuntimeError("event bus down")

    report = await ingest(
        db,
        owner,
        [
            MessageIn(
                client=ClientIn(key="c", name="Ana"),
                conversation=ConversationIn(channel="email"),  # type: ignore[arg-type]
                external_id="m1",
                direction="outbound",  # type: ignore[arg-type]
                sent_at=datetime(2026, 11, 20, tzinfo=UTC),
                text="Hi",
            )
        ],
        after_commit=[broken],
    )
    assert report.messages_added == 1
    async with db.connect() as conn:
        assert await conn.scalar(sa.select(Conversation.external_id)) == "c:email"


def _overlapping_files(tmp_path: Path) -> tuple[Path, Path]:
    """Two files sharing half their clients, conversations and messages."""

    def lines(clients: range) -> str:
        return "\n".join(
            _line(
                client__id=f"crm-{c}",
                client__name=f"Cliente {c}",
                client__phone=f"+34 600 000 {c:03d}",
                conversation__id=f"wa-{c}",
                message__id=f"m{c}-{k}",
                message__text=f"mensaje {k} de {c}",
            )
            for c in clients
            for k in range(3)
        )

    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    first.write_text(lines(range(0, 400)) + "\n")
    second.write_text(lines(range(200, 600)) + "\n")
    return first, second


async def _counts(db: Database) -> tuple[int, int, int, int]:
    async with db.connect() as conn:
        return (
            int(await conn.scalar(sa.select(sa.func.count()).select_from(Client)) or 0),
            int(await conn.scalar(sa.select(sa.func.count()).select_from(Conversation)) or 0),
            int(await conn.scalar(sa.select(sa.func.count()).select_from(Message)) or 0),
            int(await conn.scalar(sa.select(sa.func.count(sa.distinct(Client.external_id)))) or 0),
        )


async def test_concurrent_ingests_of_overlapping_files_both_succeed(
    db: Database, database_url: str, tmp_path: Path
) -> None:
    import asyncio

    first, second = _overlapping_files(tmp_path)
    owner = await ensure_owner(db, "laura@example.es")
    # Separate engines, as two processes would have; small batches interleave the writes.
    engines = [Database.from_url(database_url), Database.from_url(database_url)]
    reports = await asyncio.gather(
        *(
            ingest(engine, owner, parse_file(file).messages, batch_size=20)
            for engine, file in zip(engines, (first, second), strict=True)
        )
    )
    for engine in engines:
        await engine.dispose()
    assert await _counts(db) == (600, 600, 1800, 600)
    assert sum(r.clients_added for r in reports) == 600
    assert sum(r.messages_added for r in reports) == 1800
    assert sum(r.messages_skipped for r in reports) == 600


def test_two_import_processes_of_overlapping_files_both_exit_0(
    database_url: str, tmp_path: Path
) -> None:
    import asyncio
    import os
    import subprocess
    import sys

    first, second = _overlapping_files(tmp_path)
    setup = Database.from_url(database_url)
    asyncio.run(setup.upgrade())
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    # Redis unreachable: the rows are committed, so that is no failure.
    env.update(
        DATABASE_URL=database_url, WALLIE_HOME=str(tmp_path), REDIS_URL="redis://127.0.0.1:1/0"
    )
    wallie = str(Path(sys.executable).with_name("wallie"))
    procs = [
        subprocess.Popen(
            [wallie, "import", "jsonl", str(f), "--owner", "laura@example.es", "--json"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for f in (first, second)
    ]
    outputs = [p.communicate(timeout=180) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [err for _, err in outputs]
    added = [json.loads(out)["messages_added"] for out, _ in outputs]
    assert sum(added) == 1800

    async def check() -> tuple[int, int, int, int]:
        db = Database.from_url(database_url)
        try:
            return await _counts(db)
        finally:
            await db.dispose()

    assert asyncio.run(check()) == (600, 600, 1800, 600)

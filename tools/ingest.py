"""Bulk, idempotent writes of clients, conversations and messages (imports and demo seed)."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from tools import events as ev
from tools.db import Database
from tools.models import Client, Conversation, Message, Owner, client_search_fields, utcnow
from tools.statuses import StatusIn, apply_statuses
from tools.text import phone_digits

ANALYZE_AFTER = 10_000

Scorer = Callable[[Sequence[str]], list[tuple[str, float]]]


@dataclass(slots=True)
class ClientIn:
    """A client as an import line describes it; `key` identifies it within the owner."""

    key: str
    name: str
    email: str | None = None
    phone: str | None = None
    company: str | None = None
    industry: str | None = None
    tags: list[str] = field(default_factory=list)
    notes: str | None = None


@dataclass(slots=True)
class ConversationIn:
    """A conversation as an import line describes it; `key` identifies it within the owner."""

    key: str
    channel: str
    subject: str | None = None
    status: str = "active"
    outcome: str = "open"
    success_score: float | None = None


@dataclass(slots=True)
class MessageIn:
    """One message to store, with the client and conversation it belongs to."""

    client: ClientIn
    conversation: ConversationIn
    external_id: str
    direction: str
    sender: str
    sent_at: datetime
    text: str


@dataclass
class IngestReport:
    """What an ingest added; `messages_skipped` were already stored."""

    clients_added: int = 0
    conversations_added: int = 0
    messages_added: int = 0
    messages_skipped: int = 0
    statuses_updated: int = 0
    events: list[ev.Event] = field(default_factory=list, repr=False)

    def as_dict(self) -> dict[str, int]:
        """The counts as a plain dict."""
        return {
            "clients_added": self.clients_added,
            "conversations_added": self.conversations_added,
            "messages_added": self.messages_added,
            "messages_skipped": self.messages_skipped,
            "statuses_updated": self.statuses_updated,
        }


def default_scorer() -> Scorer | None:
    """The offline sentiment scorer, when the sentiment package is available."""
    try:
        from tools.sentiment import analyze_many
    except ImportError:
        return None

    def score(texts: Sequence[str]) -> list[tuple[str, float]]:
        return [(r.label, r.score) for r in analyze_many(texts)]

    return score


def _batches(items: Iterable[MessageIn], size: int) -> Iterator[list[MessageIn]]:
    it = iter(items)
    while batch := list(islice(it, size)):
        yield batch


def _chunks(values: Sequence[Any], size: int = 500) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


async def ingest(
    db: Database,
    owner_id: int,
    messages: Iterable[MessageIn],
    *,
    batch_size: int = 5000,
    scorer: Scorer | None = None,
    progress: Callable[[int], None] | None = None,
    statuses: Iterable[StatusIn] = (),
) -> IngestReport:
    """Store `messages` (and `statuses`) for one owner in one transaction, then publish events.

    Already-stored messages are skipped; after the commit, caches are invalidated and one
    event per change goes out (`tools.events`).
    """
    report = IngestReport()
    async with db.engine.begin() as conn:
        writer = _Writer(conn, owner_id, report, scorer)
        for batch in _batches(messages, batch_size):
            await writer.write(batch)
            if progress:
                progress(len(batch))
        await writer.update_statuses(list(statuses))
        await writer.finish()
        owner_email = await _owner_email(conn, owner_id)
    # After the commit: readers that react to an event must find the rows.
    dropped = max(0, writer.event_count - len(writer.events))
    changes = ev.Changes(owner_id, list(writer.events), dropped)
    report.events = await ev.after_commit(changes, owner_email)
    if report.messages_added >= ANALYZE_AFTER:
        # Fresh statistics after a bulk load, or the planner may pick full scans.
        async with db.engine.begin() as conn:
            await conn.exec_driver_sql("ANALYZE")
    return report


_owner_emails: dict[tuple[str, int], str | None] = {}


async def _owner_email(conn: AsyncConnection, owner_id: int) -> str | None:
    """The owner's email (owners are never renamed: remembered per database)."""
    key = (str(conn.engine.url), owner_id)
    if key not in _owner_emails:
        _owner_emails[key] = await conn.scalar(sa.select(Owner.email).where(Owner.id == owner_id))
    return _owner_emails[key]


class _Writer:
    """Writes batches on one connection, remembering the ids it has already resolved."""

    def __init__(
        self, conn: AsyncConnection, owner_id: int, report: IngestReport, scorer: Scorer | None
    ) -> None:
        self.conn = conn
        self.owner_id = owner_id
        self.report = report
        self.scorer = scorer
        self.client_ids: dict[str, int] = {}
        self.conversation_ids: dict[str, int] = {}
        self.touched_conversations: set[int] = set()
        self.touched_clients: set[int] = set()
        self.created_clients: set[int] = set()
        self.events: deque[ev.Event] = deque(maxlen=ev.MAX_EVENTS_PER_WRITE)
        self.event_count = 0
        dialect = conn.dialect.name
        self._insert = postgresql.insert if dialect == "postgresql" else sqlite.insert

    async def write(self, batch: list[MessageIn]) -> None:
        await self._resolve_clients(batch)
        await self._resolve_conversations(batch)
        scores = self.scorer([m.text for m in batch]) if self.scorer else None
        rows = []
        for i, m in enumerate(batch):
            client_id = self.client_ids[m.client.key]
            rows.append(
                {
                    "owner_id": self.owner_id,
                    "client_id": client_id,
                    "conversation_id": self.conversation_ids[m.conversation.key],
                    "channel": m.conversation.channel,
                    "direction": m.direction,
                    "sender": m.sender,
                    "sent_at": m.sent_at,
                    "text": m.text,
                    "external_id": m.external_id,
                    "sentiment_label": scores[i][0] if scores else None,
                    "sentiment_score": scores[i][1] if scores else None,
                }
            )
        stmt = (
            self._insert(Message)
            .on_conflict_do_nothing(index_elements=["conversation_id", "external_id"])
            .returning(Message.id, Message.conversation_id, Message.external_id)
        )
        result = await self.conn.execute(stmt, rows)
        added = result.all()
        self.report.messages_added += len(added)
        self.report.messages_skipped += len(rows) - len(added)
        by_key = {(r["conversation_id"], r["external_id"]): r for r in rows}
        for message_id, conversation_id, external_id in added:
            row = by_key[(conversation_id, external_id)]
            self.touched_conversations.add(conversation_id)
            self.touched_clients.add(row["client_id"])
            self._event(
                ev.MessageCreated(
                    owner_id=self.owner_id,
                    message_id=message_id,
                    conversation_id=conversation_id,
                    client_id=row["client_id"],
                    channel=row["channel"],
                    direction=row["direction"],
                    sender=row["sender"],
                    sent_at=row["sent_at"],
                    external_id=external_id,
                    preview=ev.preview(row["text"]),
                )
            )

    async def update_statuses(self, statuses: list[StatusIn]) -> None:
        """Move outbound messages' delivery status forward; unknown ids are ignored."""
        for event in await apply_statuses(self.conn, self.owner_id, statuses):
            self.report.statuses_updated += 1
            self._event(event)

    async def _resolve_clients(self, batch: list[MessageIn]) -> None:
        wanted: dict[str, ClientIn] = {}
        for m in batch:
            if m.client.key not in self.client_ids:
                wanted.setdefault(m.client.key, m.client)
        if not wanted:
            return
        keys = list(wanted)
        for chunk in _chunks(keys):
            found = await self.conn.execute(
                sa.select(Client.external_id, Client.id).where(
                    Client.owner_id == self.owner_id, Client.external_id.in_(chunk)
                )
            )
            self.client_ids.update({k: i for k, i in found.all()})
        missing = [wanted[k] for k in keys if k not in self.client_ids]
        if not missing:
            return
        now = utcnow()
        rows = [
            {
                "owner_id": self.owner_id,
                "external_id": c.key,
                "name": c.name,
                "email": c.email,
                "phone": c.phone,
                "phone_digits": phone_digits(c.phone),
                "company": c.company,
                "industry": c.industry,
                "tags": c.tags,
                "notes": c.notes,
                **client_search_fields(
                    {
                        "name": c.name,
                        "email": c.email,
                        "company": c.company,
                        "industry": c.industry,
                        "tags": c.tags,
                    }
                ),
                "created_at": now,
                "updated_at": now,
            }
            for c in missing
        ]
        stmt = sa.insert(Client).returning(
            Client.external_id, Client.id, sort_by_parameter_order=True
        )
        result = await self.conn.execute(stmt, rows)
        created = result.all()
        self.client_ids.update({k: i for k, i in created})
        self.created_clients.update(i for _k, i in created)
        for _k, i in created:
            self._event(ev.ClientCreated(owner_id=self.owner_id, client_id=i))
        self.report.clients_added += len(rows)

    async def _resolve_conversations(self, batch: list[MessageIn]) -> None:
        wanted: dict[str, MessageIn] = {}
        for m in batch:
            if m.conversation.key not in self.conversation_ids:
                wanted.setdefault(m.conversation.key, m)
        if not wanted:
            return
        keys = list(wanted)
        for chunk in _chunks(keys):
            found = await self.conn.execute(
                sa.select(Conversation.external_id, Conversation.id).where(
                    Conversation.owner_id == self.owner_id, Conversation.external_id.in_(chunk)
                )
            )
            self.conversation_ids.update({k: i for k, i in found.all()})
        missing = [wanted[k] for k in keys if k not in self.conversation_ids]
        if not missing:
            return
        rows = [
            {
                "owner_id": self.owner_id,
                "client_id": self.client_ids[m.client.key],
                "external_id": m.conversation.key,
                "channel": m.conversation.channel,
                "subject": m.conversation.subject,
                "status": m.conversation.status,
                "outcome": m.conversation.outcome,
                "success_score": m.conversation.success_score,
            }
            for m in missing
        ]
        stmt = sa.insert(Conversation).returning(
            Conversation.external_id, Conversation.id, sort_by_parameter_order=True
        )
        result = await self.conn.execute(stmt, rows)
        self.conversation_ids.update({k: i for k, i in result.all()})
        self.report.conversations_added += len(rows)

    async def finish(self) -> None:
        """Refresh first/last message times of what this ingest touched."""
        m = Message.__table__
        for chunk in _chunks(sorted(self.touched_conversations)):
            first = (
                sa.select(sa.func.min(m.c.sent_at))
                .where(m.c.conversation_id == Conversation.id)
                .scalar_subquery()
            )
            last = (
                sa.select(sa.func.max(m.c.sent_at))
                .where(m.c.conversation_id == Conversation.id)
                .scalar_subquery()
            )
            await self.conn.execute(
                sa.update(Conversation)
                .where(Conversation.id.in_(chunk))
                .values(first_message_at=first, last_message_at=last)
            )
        for chunk in _chunks(sorted(self.touched_clients)):
            last = (
                sa.select(sa.func.max(m.c.sent_at))
                .where(m.c.client_id == Client.id)
                .scalar_subquery()
            )
            await self.conn.execute(
                sa.update(Client)
                .where(Client.id.in_(chunk))
                .values(last_contact_at=last, updated_at=utcnow())
            )
        for i in sorted(self.touched_clients - self.created_clients):
            self._event(ev.ClientUpdated(owner_id=self.owner_id, client_id=i))

    def _event(self, event: ev.Event) -> None:
        self.event_count += 1
        self.events.append(event)

"""The ingest writer: batched idempotent upserts on one connection, and what they report."""

from __future__ import annotations

import dataclasses
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from tools import events as ev
from tools.models import (
    client_search_fields,
    client_table,
    conversation_table,
    message_table,
    owner_table,
    utcnow,
)
from tools.records import ClientIn, MessageIn
from tools.text import phone_digits, search_text

Scorer = Callable[[Sequence[str]], list[tuple[str, float]]]


@dataclass(slots=True)
class Changes:
    """What one ingest committed, by database id: the input of after-commit work (events)."""

    owner_id: int
    data_version: int = 0
    clients_added: list[int] = field(default_factory=list)
    clients_updated: list[int] = field(default_factory=list)
    conversations_added: list[int] = field(default_factory=list)
    conversations_touched: list[int] = field(default_factory=list)
    messages_added: list[int] = field(default_factory=list)
    # What events say about them; a bulk write keeps the newest (a stream holds no more).
    messages: deque[ev.MessageCreated] = field(
        default_factory=lambda: deque(maxlen=ev.MAX_EVENTS_PER_WRITE)
    )
    statuses: list[ev.MessageStatus] = field(default_factory=list)


@dataclass
class IngestReport:
    """What an ingest added; `messages_skipped` were already stored."""

    clients_added: int = 0
    conversations_added: int = 0
    messages_added: int = 0
    messages_skipped: int = 0
    statuses_updated: int = 0
    changes: Changes | None = field(default=None, repr=False, compare=False)

    def as_dict(self) -> dict[str, int]:
        """The counts as a plain dict."""
        counts = dataclasses.asdict(self)
        del counts["changes"]
        return counts


def _chunks(values: Sequence[Any], size: int = 500) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


class _Writer:
    """Writes batches on one connection, remembering the ids it has already resolved."""

    def __init__(
        self,
        conn: AsyncConnection,
        owner_id: int,
        report: IngestReport,
        scorer: Scorer | None,
        region: str,
        match_clients: bool = False,
    ) -> None:
        self.region = region
        self.match_clients = match_clients
        self.conn = conn
        self.owner_id = owner_id
        self.report = report
        self.scorer = scorer
        self.changes = Changes(owner_id=owner_id)
        self.client_ids: dict[str, int] = {}
        self.conversation_ids: dict[str, int] = {}
        self.touched_conversations: set[int] = set()
        self.touched_clients: set[int] = set()
        # The dialect's own INSERT (ON CONFLICT), imported here: the other one is never loaded.
        self._insert: Any
        if conn.dialect.name == "postgresql":
            from sqlalchemy.dialects import postgresql

            self._insert = postgresql.insert
        else:
            from sqlalchemy.dialects import sqlite

            self._insert = sqlite.insert

    async def write(self, batch: list[MessageIn]) -> None:
        """Store one batch of messages, resolving (or creating) their clients and conversations."""
        await self._resolve_clients(batch)
        await self._resolve_conversations(batch)
        scores = self.scorer([m.text for m in batch]) if self.scorer else None
        version = getattr(self.scorer, "version", None) if scores else None
        rows = [
            {
                "owner_id": self.owner_id,
                "client_id": self.client_ids[m.client.key],
                "conversation_id": self.conversation_ids[m.conversation.key],
                "channel": m.conversation.channel.value,
                "direction": m.direction.value,
                "sender": m.sender,
                "sent_at": m.sent_at,
                "text": m.text,
                "attachments": m.attachments or None,
                "external_id": m.external_id,
                "sentiment_label": scores[i][0] if scores else None,
                "sentiment_score": scores[i][1] if scores else None,
                "sentiment_version": version,
            }
            for i, m in enumerate(batch)
        ]
        stmt = (
            self._insert(_MESSAGE)
            .on_conflict_do_nothing(index_elements=["conversation_id", "external_id"])
            .returning(
                _MESSAGE.c.id,
                _MESSAGE.c.conversation_id,
                _MESSAGE.c.client_id,
                _MESSAGE.c.external_id,
            )
        )
        added = (await self.conn.execute(stmt, rows)).all()
        self.report.messages_added += len(added)
        self.report.messages_skipped += len(rows) - len(added)
        by_key = {(r["conversation_id"], r["external_id"]): r for r in rows}
        for message_id, conversation_id, client_id, external_id in added:
            row = by_key[(conversation_id, external_id)]
            self.changes.messages_added.append(message_id)
            self.changes.messages.append(ev.message_created(self.owner_id, message_id, row))
            self.touched_conversations.add(conversation_id)
            self.touched_clients.add(client_id)

    async def _known(self, table: sa.Table, keys: list[str]) -> dict[str, int]:
        found: dict[str, int] = {}
        for chunk in _chunks(keys):
            rows = await self.conn.execute(
                sa.select(table.c.external_id, table.c.id).where(
                    table.c.owner_id == self.owner_id, table.c.external_id.in_(chunk)
                )
            )
            found.update({k: i for k, i in rows.all()})
        return found

    async def _upsert(self, table: sa.Table, rows: list[dict[str, Any]]) -> dict[str, int]:
        """Insert rows that are new; a row a concurrent writer added first is left alone."""
        stmt = (
            self._insert(table)
            .on_conflict_do_nothing(index_elements=["owner_id", "external_id"])
            .returning(table.c.external_id, table.c.id)
        )
        result = await self.conn.execute(stmt, rows)
        return {k: i for k, i in result.all()}

    async def _resolve_clients(self, batch: list[MessageIn]) -> None:
        wanted: dict[str, ClientIn] = {}
        for m in batch:
            if m.client.key not in self.client_ids:
                wanted.setdefault(m.client.key, m.client)
        if not wanted:
            return
        # Sorted keys: concurrent writers lock rows in the same order.
        keys = sorted(wanted)
        self.client_ids.update(await self._known(_CLIENT, keys))
        missing = [wanted[k] for k in keys if k not in self.client_ids]
        if missing and self.match_clients:
            await self._match_existing(missing)
            missing = [c for c in missing if c.key not in self.client_ids]
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
                "phone_digits": phone_digits(c.phone, self.region),
                "company": c.company,
                "industry": c.industry,
                "tags": c.tags,
                "notes": c.notes,
                **client_search_fields(c.model_dump(include=_SEARCHED)),
                "created_at": now,
                "updated_at": now,
            }
            for c in missing
        ]
        added = await self._upsert(_CLIENT, rows)
        self.client_ids.update(added)
        self.changes.clients_added.extend(added.values())
        self.report.clients_added += len(added)
        if len(added) < len(rows):  # a concurrent writer stored some first
            self.client_ids.update(await self._known(_CLIENT, [c.key for c in missing]))

    async def _match_existing(self, clients: list[ClientIn]) -> None:
        """Map new keys to clients already stored with the same phone, else email, else name."""
        probes: list[tuple[sa.Column[Any], Callable[[ClientIn], str | None]]] = [
            (_CLIENT.c.phone_digits, lambda c: phone_digits(c.phone, self.region)),
            (_CLIENT.c.email, lambda c: c.email.lower() if c.email else None),
            # A name alone only identifies clients that bring no phone or email of their own.
            (_CLIENT.c.search_name, lambda c: None if c.phone or c.email else search_text(c.name)),
        ]
        for column, value_of in probes:
            pending = {v: c for c in clients if c.key not in self.client_ids and (v := value_of(c))}
            for chunk in _chunks(list(pending)):
                found = await self.conn.execute(
                    sa.select(column, sa.func.min(_CLIENT.c.id))
                    .where(_CLIENT.c.owner_id == self.owner_id, column.in_(chunk))
                    .group_by(column)
                )
                for value, client_id in found.all():
                    self.client_ids[pending[value].key] = client_id

    async def _resolve_conversations(self, batch: list[MessageIn]) -> None:
        wanted: dict[str, MessageIn] = {}
        for m in batch:
            if m.conversation.key not in self.conversation_ids:
                wanted.setdefault(m.conversation.key, m)
        if not wanted:
            return
        keys = sorted(wanted)
        self.conversation_ids.update(await self._known(_CONVERSATION, keys))
        missing = [wanted[k] for k in keys if k not in self.conversation_ids]
        if not missing:
            return
        rows = [
            {
                "owner_id": self.owner_id,
                "client_id": self.client_ids[m.client.key],
                "external_id": m.conversation.key,
                "channel": m.conversation.channel.value,
                "subject": m.conversation.subject,
                "status": m.conversation.status,
                "outcome": m.conversation.outcome.value,
                "success_score": m.conversation.success_score,
            }
            for m in missing
        ]
        added = await self._upsert(_CONVERSATION, rows)
        self.conversation_ids.update(added)
        self.changes.conversations_added.extend(added.values())
        self.report.conversations_added += len(added)
        if len(added) < len(rows):
            keys = [m.conversation.key for m in missing]
            self.conversation_ids.update(await self._known(_CONVERSATION, keys))

    async def finish(self) -> None:
        """Refresh first/last message times of what this ingest touched."""
        m, conv, client = _MESSAGE, _CONVERSATION, _CLIENT
        for chunk in _chunks(sorted(self.touched_conversations)):
            # Correlated scalar subqueries: a FROM-subquery would not correlate with the
            # updated row and gave every conversation the batch's overall first/last time.
            def edge(fn: Any) -> Any:
                return (
                    sa.select(fn(m.c.sent_at))
                    .where(m.c.conversation_id == conv.c.id)
                    .scalar_subquery()
                )

            await self.conn.execute(
                sa.update(conv)
                .where(conv.c.id.in_(chunk))
                .values(first_message_at=edge(sa.func.min), last_message_at=edge(sa.func.max))
            )
        for chunk in _chunks(sorted(self.touched_clients)):
            last = (
                sa.select(sa.func.max(m.c.sent_at))
                .where(m.c.client_id == client.c.id)
                .scalar_subquery()
            )
            await self.conn.execute(
                sa.update(client)
                .where(client.c.id.in_(chunk))
                .values(last_contact_at=last, updated_at=utcnow())
            )
        added = set(self.changes.clients_added)
        self.changes.clients_updated = sorted(self.touched_clients - added)
        self.changes.conversations_touched = sorted(self.touched_conversations)


_SEARCHED = {"name", "email", "company", "industry", "tags"}
_CLIENT = client_table
_CONVERSATION = conversation_table
_MESSAGE = message_table
_OWNER = owner_table

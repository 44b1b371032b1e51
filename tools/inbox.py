"""The inbox: an owner's latest messages across every conversation."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from pydantic import BaseModel, Field

from tools.db import Database
from tools.models import client_table, message_table

INBOX_LIMIT = 50
INBOX_TEXT_CHARS = 500


class InboxItem(BaseModel):
    """One message in the inbox; `text` is third-party data, cut to a preview."""

    message_id: int
    conversation_id: int
    client_id: int
    client_name: str
    channel: str
    direction: str
    sent_at: datetime
    status: str | None = None
    text: str


class Inbox(BaseModel):
    """The owner's latest messages, newest first."""

    messages: list[InboxItem] = Field(default_factory=list)


async def latest_messages(db: Database, owner_id: int, limit: int = INBOX_LIMIT) -> Inbox:
    """The owner's `limit` newest messages across conversations, newest first."""
    limit = max(1, min(limit, 200))
    m, c = message_table, client_table
    async with db.connect() as conn:
        rows = await conn.execute(
            sa.select(
                m.c.id,
                m.c.conversation_id,
                m.c.client_id,
                c.c.name,
                m.c.channel,
                m.c.direction,
                m.c.sent_at,
                m.c.status,
                m.c.text,
            )
            .join(c, c.c.id == m.c.client_id)
            .where(m.c.owner_id == owner_id)
            .order_by(m.c.sent_at.desc(), m.c.id.desc())
            .limit(limit)
        )
        items = [
            InboxItem(
                message_id=r[0],
                conversation_id=r[1],
                client_id=r[2],
                client_name=r[3],
                channel=r[4],
                direction=r[5],
                sent_at=r[6],
                status=r[7],
                text=r[8] if len(r[8]) <= INBOX_TEXT_CHARS else r[8][: INBOX_TEXT_CHARS - 1] + "…",
            )
            for r in rows.all()
        ]
    return Inbox(messages=items)

"""What an AI feature is shown: a conversation's newest messages, as quoted JSON data."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlmodel import SQLModel, col

from tools.db import Database
from tools.errors import NotFound
from tools.models import Client, Conversation, Message
from tools.schemas import clip

_MESSAGE = SQLModel.metadata.tables["message"]
WINDOW = 40  # newest messages shown to the model: bounds tokens and cost
CONTEXT_BEFORE = 12  # messages before the analysed one


@dataclass
class AiContext:
    """A conversation slice and what the cache key needs from it."""

    conversation_id: int
    channel: str
    subject: str | None
    client_name: str
    last_message_id: int | None
    messages: list[dict[str, Any]] = field(default_factory=list)
    focus_message_id: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # kept with the answer

    @property
    def message_ids(self) -> set[int]:
        """The ids a citation may name."""
        return {int(m["id"]) for m in self.messages}

    def as_json(self, **extra: Any) -> str:
        """The data the model reads (message texts stay in their own fields)."""
        data = {
            "conversation": {
                "id": self.conversation_id,
                "channel": self.channel,
                "subject": self.subject,
                "client": self.client_name,
            },
            **({"message_to_analyse": self.focus_message_id} if self.focus_message_id else {}),
            **{k: v for k, v in extra.items() if v is not None},
            "messages": self.messages,
        }
        return json.dumps(data, ensure_ascii=False, default=str)


def _message(row: Any) -> dict[str, Any]:
    text, _ = clip(row.text, 1500)
    return {
        "id": row.id,
        "from": "client" if row.direction == "inbound" else "salesperson",
        "sender": row.sender,
        "sent_at": row.sent_at.isoformat(),
        "text": text,
    }


async def _conversation(conn: Any, owner_id: int, conversation_id: int) -> Any:
    row = (
        await conn.execute(
            sa.select(
                col(Conversation.id),
                col(Conversation.channel),
                col(Conversation.subject),
                col(Client.name),
            )
            .join(Client, col(Client.id) == col(Conversation.client_id))
            .where(col(Conversation.id) == conversation_id, col(Conversation.owner_id) == owner_id)
        )
    ).first()
    if row is None:
        raise NotFound(
            f"no conversation with id {conversation_id}; get_client lists a client's conversations"
        )
    return row


def _newest_first(conversation_id: int) -> Any:
    m = _MESSAGE
    return (
        sa.select(m)
        .where(m.c.conversation_id == conversation_id)
        .order_by(m.c.sent_at.desc(), m.c.id.desc())
    )


async def conversation_context(db: Database, owner_id: int, conversation_id: int) -> AiContext:
    """The conversation's newest messages, oldest first, or NotFound."""
    async with db.connect() as conn:
        conv = await _conversation(conn, owner_id, conversation_id)
        rows = (await conn.execute(_newest_first(conversation_id).limit(WINDOW))).all()
    return AiContext(
        conversation_id=conversation_id,
        channel=conv.channel,
        subject=conv.subject,
        client_name=conv.name,
        last_message_id=rows[0].id if rows else None,
        messages=[_message(r) for r in reversed(rows)],
    )


async def message_context(db: Database, owner_id: int, message_id: int) -> AiContext:
    """A message with the messages before it, or NotFound."""
    m = _MESSAGE
    async with db.connect() as conn:
        target = (
            await conn.execute(sa.select(m).where(m.c.id == message_id, m.c.owner_id == owner_id))
        ).first()
        if target is None:
            raise NotFound(
                f"no message with id {message_id}; search_messages and "
                "get_conversation_history return message ids"
            )
        conv = await _conversation(conn, owner_id, target.conversation_id)
        newest = _newest_first(target.conversation_id)
        last_id = await conn.scalar(newest.with_only_columns(m.c.id).limit(1))
        before = (
            await conn.execute(
                newest.where(
                    sa.or_(
                        m.c.sent_at < target.sent_at,
                        sa.and_(m.c.sent_at == target.sent_at, m.c.id <= target.id),
                    )
                ).limit(CONTEXT_BEFORE + 1)
            )
        ).all()
    return AiContext(
        conversation_id=target.conversation_id,
        channel=conv.channel,
        subject=conv.subject,
        client_name=conv.name,
        last_message_id=last_id,
        messages=[_message(r) for r in reversed(before)],
        focus_message_id=message_id,
    )


@dataclass(frozen=True)
class Target:
    """What an AI answer is about, and the newest message that keys it."""

    conversation_id: int
    last_message_id: int | None


def _last_id(conversation_id: Any) -> Any:
    m = _MESSAGE
    return (
        sa.select(m.c.id)
        .where(m.c.conversation_id == conversation_id)
        .order_by(m.c.sent_at.desc(), m.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )


async def locate(
    db: Database,
    owner_id: int,
    *,
    conversation_id: int | None = None,
    message_id: int | None = None,
) -> Target:
    """The conversation and its newest message id in one query (all a cache hit needs)."""
    if message_id is not None:
        stmt = sa.select(
            col(Message.conversation_id), _last_id(col(Message.conversation_id))
        ).where(col(Message.id) == message_id, col(Message.owner_id) == owner_id)
        missing = (
            f"no message with id {message_id}; search_messages and "
            "get_conversation_history return message ids"
        )
    else:
        stmt = sa.select(col(Conversation.id), _last_id(col(Conversation.id))).where(
            col(Conversation.id) == conversation_id, col(Conversation.owner_id) == owner_id
        )
        missing = (
            f"no conversation with id {conversation_id}; get_client lists a client's conversations"
        )
    async with db.connect() as conn:
        row = (await conn.execute(stmt)).first()
    if row is None:
        raise NotFound(missing)
    return Target(conversation_id=row[0], last_message_id=row[1])

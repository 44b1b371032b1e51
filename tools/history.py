"""Owner-scoped reads of a client's profile, conversations and message history."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from tools.cursors import (
    MAX_ID,
    check_channel,
    check_limit,
    decode_cursor,
    history_cursor,
    parse_when,
)
from tools.db import Database
from tools.errors import InvalidArgument, NotFound
from tools.schemas import ClientProfile, ConversationSummary, HistoryPage, MessageOut, Mood, clip
from tools.tables import CLIENTS, CONVERSATIONS, MESSAGES


async def client_row(conn: Any, owner_id: int, client_id: int) -> Any:
    """The owner's client row `client_id`, or NotFound."""
    row = (
        await conn.execute(
            sa.select(CLIENTS).where(CLIENTS.c.id == client_id, CLIENTS.c.owner_id == owner_id)
        )
    ).first()
    if row is None:
        raise NotFound(f"no client with id {client_id}; use search_clients to find a client's id")
    return row


async def get_client(db: Database, owner_id: int, client_id: int) -> ClientProfile:
    """A client's profile with counts, channels, contact times and open conversations."""
    async with db.connect() as conn:
        client = await client_row(conn, owner_id, client_id)
        conversations = await conversation_summaries(conn, owner_id, client_id=client_id)
        by_direction = (
            await conn.execute(
                sa.select(
                    MESSAGES.c.direction,
                    sa.func.count(),
                    sa.func.min(MESSAGES.c.sent_at),
                    sa.func.max(MESSAGES.c.sent_at),
                )
                .where(MESSAGES.c.client_id == client_id, MESSAGES.c.owner_id == owner_id)
                .group_by(MESSAGES.c.direction)
            )
        ).all()
        mood_row = (
            await conn.execute(
                sa.select(
                    MESSAGES.c.id,
                    MESSAGES.c.sentiment_label,
                    MESSAGES.c.sentiment_score,
                    MESSAGES.c.sent_at,
                )
                .where(
                    MESSAGES.c.client_id == client_id,
                    MESSAGES.c.owner_id == owner_id,
                    MESSAGES.c.direction == "inbound",
                    MESSAGES.c.sentiment_label.is_not(None),
                )
                .order_by(MESSAGES.c.sent_at.desc(), MESSAGES.c.id.desc())
                .limit(1)
            )
        ).first()
    counts = {d: n for d, n, _, _ in by_direction}
    firsts = [f for _, _, f, _ in by_direction if f is not None]
    outcomes: dict[str, int] = {}
    for c in conversations:
        outcomes[c.outcome] = outcomes.get(c.outcome, 0) + 1
    return ClientProfile(
        id=client.id,
        name=client.name,
        email=client.email,
        phone=client.phone,
        phone_e164=f"+{client.phone_digits}" if client.phone_digits else None,
        company=client.company,
        industry=client.industry,
        tags=list(client.tags or []),
        notes=client.notes,
        channels=sorted({c.channel for c in conversations}),
        conversation_count=len(conversations),
        message_count=sum(counts.values()),
        inbound_count=counts.get("inbound", 0),
        outbound_count=counts.get("outbound", 0),
        first_contact_at=min(firsts) if firsts else None,
        last_contact_at=client.last_contact_at,
        outcomes=outcomes,
        open_conversations=[c for c in conversations if c.outcome == "open"],
        latest_mood=Mood(
            label=mood_row.sentiment_label,
            score=mood_row.sentiment_score,
            message_id=mood_row.id,
            sent_at=mood_row.sent_at,
        )
        if mood_row
        else None,
    )


async def conversation_summaries(
    conn: Any, owner_id: int, *, client_id: int | None = None, conversation_id: int | None = None
) -> list[ConversationSummary]:
    """Summaries (with message counts) of the owner's conversations, newest first."""
    counts = (
        sa.select(MESSAGES.c.conversation_id, sa.func.count().label("n"))
        .where(MESSAGES.c.owner_id == owner_id)
        .group_by(MESSAGES.c.conversation_id)
    )
    if client_id is not None:
        counts = counts.where(MESSAGES.c.client_id == client_id)
    if conversation_id is not None:
        counts = counts.where(MESSAGES.c.conversation_id == conversation_id)
    sub = counts.subquery()
    conv = CONVERSATIONS
    stmt = (
        sa.select(conv, sa.func.coalesce(sub.c.n, 0).label("message_count"))
        .outerjoin(sub, sub.c.conversation_id == conv.c.id)
        .where(conv.c.owner_id == owner_id)
        .order_by(conv.c.last_message_at.desc().nulls_last(), conv.c.id)
    )
    if client_id is not None:
        stmt = stmt.where(conv.c.client_id == client_id)
    if conversation_id is not None:
        stmt = stmt.where(conv.c.id == conversation_id)
    rows = (await conn.execute(stmt)).all()
    return [ConversationSummary.model_validate(dict(r._mapping)) for r in rows]


async def get_conversation(
    db: Database, owner_id: int, conversation_id: int
) -> ConversationSummary:
    """One conversation's summary, or NotFound."""
    async with db.connect() as conn:
        found = await conversation_summaries(conn, owner_id, conversation_id=conversation_id)
    if not found:
        raise NotFound(
            f"no conversation with id {conversation_id}; get_client lists a client's conversations"
        )
    return found[0]


def _message_out(row: Any) -> MessageOut:
    text, cut = clip(row.text)
    return MessageOut(
        id=row.id,
        conversation_id=row.conversation_id,
        client_id=row.client_id,
        channel=row.channel,
        direction=row.direction,
        sender=row.sender,
        sent_at=row.sent_at,
        text=text,
        truncated=cut,
    )


async def conversation_history(
    db: Database,
    owner_id: int,
    *,
    client_id: int | None = None,
    conversation_id: int | None = None,
    limit: int = 50,
    before: str | None = None,
    channel: str | None = None,
    since: str | None = None,
    until: str | None = None,
) -> HistoryPage:
    """A page of messages in time order, newest page first; `before` pages back.

    `since` (inclusive) and `until` (a bare date: inclusive; a time: exclusive) bound the
    messages by when they were sent, as in search_messages.
    """
    if (client_id is None) == (conversation_id is None):
        raise InvalidArgument(
            "give exactly one of client_id or conversation_id "
            "(search_clients finds a client_id; get_client lists conversation ids)"
        )
    check_limit(limit, 200)
    check_channel(channel)
    start = parse_when(since, "since") if since else None
    end = parse_when(until, "until", end_of_day=True) if until else None
    if start is not None and end is not None and start >= end:
        raise InvalidArgument(f"since ({since}) must be before until ({until})")
    m = MESSAGES
    stmt = sa.select(m).where(m.c.owner_id == owner_id)
    async with db.connect() as conn:
        if client_id is not None:
            await client_row(conn, owner_id, client_id)
            stmt = stmt.where(m.c.client_id == client_id)
        else:
            exists = await conn.scalar(
                sa.select(CONVERSATIONS.c.id).where(
                    CONVERSATIONS.c.id == conversation_id, CONVERSATIONS.c.owner_id == owner_id
                )
            )
            if exists is None:
                raise NotFound(
                    f"no conversation with id {conversation_id}; "
                    "get_client lists a client's conversations"
                )
            stmt = stmt.where(m.c.conversation_id == conversation_id)
        if channel is not None:
            stmt = stmt.where(m.c.channel == channel)
        if start is not None:
            stmt = stmt.where(m.c.sent_at >= start)
        if end is not None:
            stmt = stmt.where(m.c.sent_at < end)
        if before:
            at, last_id = _before(before)
            stmt = stmt.where(
                sa.or_(m.c.sent_at < at, sa.and_(m.c.sent_at == at, m.c.id < last_id))
            )
        stmt = stmt.order_by(m.c.sent_at.desc(), m.c.id.desc()).limit(limit + 1)
        rows = (await conn.execute(stmt)).all()
    more = len(rows) > limit
    page = list(reversed(rows[:limit]))
    next_cursor = None
    if more and page:
        oldest = page[0]
        next_cursor = history_cursor(oldest.sent_at, oldest.id)
    return HistoryPage(
        client_id=client_id,
        conversation_id=conversation_id,
        messages=[_message_out(r) for r in page],
        next_cursor=next_cursor,
    )


def _before(before: str) -> tuple[datetime, int]:
    """`before` as (time, id): a cursor from a previous page, or an ISO-8601 time."""
    if before[:2].isdigit() and "-" in before:
        # A plain time: strictly earlier messages (no id at that instant is below 0).
        return parse_when(before, "before"), 0
    payload = decode_cursor(before, "history")
    at, last_id = payload.get("t"), payload.get("id")
    try:
        if not isinstance(at, str) or type(last_id) is not int or not 0 <= last_id <= MAX_ID:
            raise ValueError(before)
        moment = datetime.fromisoformat(at)
        return (moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment), last_id
    except (ValueError, OverflowError):
        raise InvalidArgument(
            "before is not a cursor returned by this tool nor an ISO-8601 time"
        ) from None

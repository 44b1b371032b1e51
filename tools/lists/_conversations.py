"""list_conversations: the owner's conversations across clients, filtered and sorted."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from tools import insights
from tools.cursors import check_channel, offset_cursor, page_offset
from tools.db import Database
from tools.errors import InvalidArgument
from tools.lists._common import (
    IDS_PER_ROW,
    ConversationSort,
    MoodLabel,
    Outcome,
    Status,
    _check_choice,
    _check_limit,
    _chunks,
    _given,
    _in_ids,
    _industries,
    _page,
    _range,
)
from tools.lists._signals import (
    _signals,
)
from tools.models import utcnow
from tools.schemas import (
    ConversationList,
    ConversationListRow,
    Mood,
)
from tools.tables import CLIENTS, CONVERSATIONS, MESSAGES


async def list_conversations(
    db: Database,
    owner_id: int,
    *,
    outcome: str | None = None,
    status: str | None = None,
    channel: str | None = None,
    industry: str | None = None,
    client_id: int | None = None,
    since: str | None = None,
    until: str | None = None,
    period: str | None = None,
    mood: str | None = None,
    unanswered: bool | None = None,
    min_success_score: float | None = None,
    sort: str = "last_message",
    limit: int = 20,
    cursor: str | None = None,
    now: datetime | None = None,
) -> ConversationList:
    """The owner's conversations that pass every filter, sorted, one page with the total."""
    now = now or utcnow()
    _check_limit(limit)
    check_channel(channel)
    _check_choice("sort", sort, ConversationSort)
    _check_choice("outcome", outcome, Outcome)
    _check_choice("status", status, Status)
    _check_choice("mood", mood, MoodLabel)
    if min_success_score is not None and not 0 <= min_success_score <= 1:
        raise InvalidArgument("min_success_score must be between 0 and 1")
    offset = page_offset(cursor, "conversation_list")
    start, end = _range(since, until, period, now)
    c = CLIENTS
    cv = CONVERSATIONS
    m = MESSAGES
    counts = (
        sa.select(
            m.c.conversation_id,
            sa.func.count().label("n"),
            sa.func.max(m.c.id).label("last_id"),
        )
        .where(m.c.owner_id == owner_id)
        .group_by(m.c.conversation_id)
        .subquery()
    )
    stmt = (
        sa.select(
            cv.c.id,
            cv.c.client_id,
            c.c.name,
            c.c.company,
            c.c.industry,
            cv.c.channel,
            cv.c.subject,
            cv.c.status,
            cv.c.outcome,
            cv.c.success_score,
            cv.c.first_message_at,
            cv.c.last_message_at,
            sa.func.coalesce(counts.c.n, 0).label("n"),
        )
        .join(c, c.c.id == cv.c.client_id)
        .outerjoin(counts, counts.c.conversation_id == cv.c.id)
        .where(cv.c.owner_id == owner_id)
    )
    for column, value in (
        (cv.c.outcome, outcome),
        (cv.c.channel, channel),
        (cv.c.client_id, client_id),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    if status is not None:
        stmt = stmt.where(
            (cv.c.outcome == "open") if status == "open" else (cv.c.outcome != "open")
        )
    if start is not None:
        stmt = stmt.where(cv.c.last_message_at >= start)
    if end is not None:
        stmt = stmt.where(cv.c.last_message_at < end)
    if min_success_score is not None:
        stmt = stmt.where(cv.c.success_score >= min_success_score)
    async with db.connect() as conn:
        if industry is not None:
            stmt = stmt.where(c.c.industry.in_(await _industries(conn, owner_id, industry)))
        convs = (await conn.execute(stmt)).all()
        client_ids = sorted({r.client_id for r in convs})
        signals = await _signals(
            conn, owner_id, None if len(client_ids) > 2000 else client_ids, now
        )
        last_ids = await _last_message_ids(conn, owner_id, [r.id for r in convs])
        moods = await _conversation_moods(conn, owner_id, [r.id for r in convs])
    waiting: dict[int, list[int]] = {}
    for s in signals.values():
        for mid, conv_id, _ in s.unanswered:
            waiting.setdefault(conv_id, []).append(mid)
    rows: list[ConversationListRow] = []
    for r in convs:
        latest = moods.get(r.id)
        if mood is not None and (latest is None or latest.label != mood):
            continue
        if unanswered is not None and bool(waiting.get(r.id)) != unanswered:
            continue
        rows.append(
            ConversationListRow(
                conversation_id=r.id,
                client_id=r.client_id,
                client_name=r.name,
                company=r.company,
                industry=r.industry,
                channel=r.channel,
                subject=r.subject,
                status=r.status,
                outcome=r.outcome,
                success_score=r.success_score,
                message_count=r.n,
                first_message_at=r.first_message_at,
                last_message_at=r.last_message_at,
                last_message_id=last_ids.get(r.id),
                latest_mood=latest,
                unanswered_message_ids=waiting.get(r.id, [])[-IDS_PER_ROW:],
            )
        )

    def last(row: ConversationListRow) -> float:
        return row.last_message_at.timestamp() if row.last_message_at else float("-inf")

    if sort == "success_score":
        rows.sort(key=lambda r: (r.success_score is None, -(r.success_score or 0), -last(r)))
    elif sort == "messages":
        rows.sort(key=lambda r: (-r.message_count, -last(r), r.conversation_id))
    else:
        rows.sort(key=lambda r: (-last(r), r.conversation_id))
    page, taken = _page(rows, offset, limit)
    more = offset + taken < len(rows)
    return ConversationList(
        total=len(rows),
        offset=offset,
        conversations=page,
        filters=_given(
            outcome=outcome,
            status=status,
            channel=channel,
            industry=industry,
            client_id=client_id,
            since=start.isoformat() if start else None,
            until=end.isoformat() if end else None,
            period=period,
            mood=mood,
            unanswered=unanswered,
            min_success_score=min_success_score,
        ),
        sort=sort,
        next_cursor=offset_cursor("conversation_list", offset + taken) if more else None,
    )


async def _last_message_ids(
    conn: AsyncConnection, owner_id: int, conversation_ids: Sequence[int]
) -> dict[int, int]:
    m = MESSAGES
    ranked = (
        sa.select(
            m.c.id,
            m.c.conversation_id,
            sa.func.row_number()
            .over(partition_by=m.c.conversation_id, order_by=(m.c.sent_at.desc(), m.c.id.desc()))
            .label("rn"),
        )
        .where(m.c.owner_id == owner_id)
        .subquery()
    )
    found: dict[int, int] = {}
    for ids in _chunks(list(conversation_ids)):
        rows = await conn.execute(
            sa.select(ranked.c.conversation_id, ranked.c.id).where(
                ranked.c.rn == 1, _in_ids(ranked.c.conversation_id, ids)
            )
        )
        found.update({conv: mid for conv, mid in rows.all()})
    return found


async def _conversation_moods(
    conn: AsyncConnection, owner_id: int, conversation_ids: Sequence[int]
) -> dict[int, Mood]:
    """The client's latest message mood in each conversation."""
    m = MESSAGES
    ranked = (
        sa.select(
            m.c.id,
            m.c.conversation_id,
            m.c.sent_at,
            m.c.text,
            m.c.sentiment_label,
            m.c.sentiment_score,
            sa.func.row_number()
            .over(partition_by=m.c.conversation_id, order_by=(m.c.sent_at.desc(), m.c.id.desc()))
            .label("rn"),
        )
        .where(m.c.owner_id == owner_id, m.c.direction == "inbound")
        .subquery()
    )
    found: dict[int, Mood] = {}
    for ids in _chunks(list(conversation_ids)):
        rows = (
            await conn.execute(
                sa.select(ranked).where(ranked.c.rn == 1, _in_ids(ranked.c.conversation_id, ids))
            )
        ).all()
        for r, label, score in insights._scored(rows):
            found[r.conversation_id] = Mood(
                label=label, score=round(score, 4), message_id=r.id, sent_at=r.sent_at
            )
    return found


# -- pipeline_summary ---------------------------------------------------------------------

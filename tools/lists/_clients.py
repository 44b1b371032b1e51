"""list_clients: the owner's clients with their signals, filtered and sorted."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from tools.cursors import check_channel, offset_cursor, page_offset, parse_when
from tools.db import Database
from tools.errors import InvalidArgument
from tools.lists._common import (
    IDS_PER_ROW,
    ClientSort,
    MoodLabel,
    Outcome,
    Status,
    Trend,
    _check_choice,
    _check_limit,
    _given,
    _industries,
    _page,
    _range,
)
from tools.lists._signals import (
    _assess,
    _Signals,
    _signals,
)
from tools.models import utcnow
from tools.schemas import (
    ClientList,
    ClientListRow,
)
from tools.tables import CLIENTS, CONVERSATIONS, MESSAGES
from tools.text import fold


async def list_clients(
    db: Database,
    owner_id: int,
    *,
    churn_risk: bool | None = None,
    mood: str | None = None,
    mood_trend: str | None = None,
    outcome: str | None = None,
    status: str | None = None,
    channel: str | None = None,
    industry: str | None = None,
    last_contact_after: str | None = None,
    last_contact_before: str | None = None,
    unanswered: bool | None = None,
    messages_since: str | None = None,
    messages_until: str | None = None,
    messages_from: str | None = None,
    sort: str = "last_contact",
    limit: int = 20,
    cursor: str | None = None,
    now: datetime | None = None,
) -> ClientList:
    """The owner's clients that pass every filter, sorted, one page with the total count.

    `messages_since`/`messages_until` keep clients with a message sent in that window (by
    `messages_from`: "client", "us", or either when unset): "who wrote to me last week",
    which the last contact alone cannot tell once the client wrote again since.
    """
    now = now or utcnow()
    _check_limit(limit)
    check_channel(channel)
    _check_choice("sort", sort, ClientSort)
    _check_choice("mood", mood, MoodLabel)
    _check_choice("mood_trend", mood_trend, Trend)
    _check_choice("outcome", outcome, Outcome)
    _check_choice("status", status, Status)
    offset = page_offset(cursor, "client_list")
    after = parse_when(last_contact_after, "last_contact_after") if last_contact_after else None
    before = parse_when(last_contact_before, "last_contact_before") if last_contact_before else None
    if messages_from is not None and messages_from not in ("client", "us"):
        raise InvalidArgument(f"messages_from {messages_from[:40]!r} is not one of: client, us")
    window = _range(messages_since, messages_until, None, now)
    c = CLIENTS
    cv = CONVERSATIONS
    stmt = sa.select(
        c.c.id, c.c.name, c.c.company, c.c.industry, c.c.last_contact_at, c.c.tags
    ).where(c.c.owner_id == owner_id)
    if after is not None:
        stmt = stmt.where(c.c.last_contact_at >= after)
    if before is not None:
        stmt = stmt.where(c.c.last_contact_at < before)
    conv_filter = []
    if channel is not None:
        conv_filter.append(cv.c.channel == channel)
    if outcome is not None:
        conv_filter.append(cv.c.outcome == outcome)
    if window != (None, None) or messages_from is not None:
        m = MESSAGES
        said = [m.c.client_id == c.c.id, m.c.owner_id == owner_id]
        if window[0] is not None:
            said.append(m.c.sent_at >= window[0])
        if window[1] is not None:
            said.append(m.c.sent_at < window[1])
        if messages_from is not None:
            said.append(m.c.direction == ("inbound" if messages_from == "client" else "outbound"))
        stmt = stmt.where(sa.exists(sa.select(m.c.id).where(*said)))
    if conv_filter:
        stmt = stmt.where(
            sa.exists(sa.select(cv.c.id).where(cv.c.client_id == c.c.id, *conv_filter))
        )
    if status is not None:
        has_open = sa.exists(
            sa.select(cv.c.id).where(cv.c.client_id == c.c.id, cv.c.outcome == "open")
        )
        stmt = stmt.where(has_open if status == "open" else ~has_open)
    async with db.connect() as conn:
        if industry is not None:
            stmt = stmt.where(c.c.industry.in_(await _industries(conn, owner_id, industry)))
        clients = (await conn.execute(stmt)).all()
        everyone = len(clients) > 2000  # cheaper to read every client's signals at once
        signals = await _signals(conn, owner_id, None if everyone else [r.id for r in clients], now)
    rows: list[ClientListRow] = []
    for r in clients:
        s = signals.get(r.id, _Signals())
        latest, trend, signs, waiting, churn = _assess(s, now)
        if churn_risk is not None and churn != churn_risk:
            continue
        if mood is not None and (latest is None or latest.label != mood):
            continue
        if mood_trend is not None and trend != mood_trend:
            continue
        if unanswered is not None and bool(waiting) != unanswered:
            continue
        outcomes: dict[str, int] = {}
        for conv in s.conversations:
            outcomes[conv.outcome] = outcomes.get(conv.outcome, 0) + 1
        scores = [x.success_score for x in s.conversations if x.success_score is not None]
        rows.append(
            ClientListRow(
                client_id=r.id,
                name=r.name,
                company=r.company,
                industry=r.industry,
                channels=sorted({x.channel for x in s.conversations}),
                last_contact_at=r.last_contact_at,
                conversation_ids=sorted(x.id for x in s.conversations)[-IDS_PER_ROW:],
                open_conversations=outcomes.get("open", 0),
                outcomes=outcomes,
                best_success_score=max(scores) if scores else None,
                latest_mood=latest,
                mood_trend=trend,
                unanswered_message_ids=waiting[-IDS_PER_ROW:],
                churn_risk=churn,
                risk_signs=signs,
            )
        )
    rows.sort(key=_client_key(sort))
    page, taken = _page(rows, offset, limit)
    more = offset + taken < len(rows)
    filters = _given(
        churn_risk=churn_risk,
        mood=mood,
        mood_trend=mood_trend,
        outcome=outcome,
        status=status,
        channel=channel,
        industry=industry,
        last_contact_after=last_contact_after,
        last_contact_before=last_contact_before,
        unanswered=unanswered,
        messages_since=messages_since,
        messages_until=messages_until,
        messages_from=messages_from,
    )
    return ClientList(
        total=len(rows),
        offset=offset,
        clients=page,
        filters=filters,
        sort=sort,
        next_cursor=offset_cursor("client_list", offset + taken) if more else None,
    )


def _client_key(sort: str) -> Any:
    def last(row: ClientListRow) -> float:
        return row.last_contact_at.timestamp() if row.last_contact_at else float("-inf")

    if sort == "risk":
        return lambda r: (
            not r.churn_risk,
            -len(r.risk_signs),
            r.latest_mood.score if r.latest_mood else 0.0,
            -last(r),
            r.client_id,
        )
    if sort == "success_score":
        return lambda r: (
            r.best_success_score is None,
            -(r.best_success_score or 0.0),
            -last(r),
            r.client_id,
        )
    if sort == "name":
        return lambda r: (fold(r.name), r.client_id)
    return lambda r: (-last(r), r.client_id)

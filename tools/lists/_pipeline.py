"""pipeline_summary: conversations active in a period, counted per outcome."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from tools.cursors import check_channel
from tools.db import Database
from tools.lists._common import (
    _industries,
    _range,
)
from tools.models import utcnow
from tools.schemas import (
    PipelineBucket,
    PipelineSummary,
)
from tools.tables import CLIENTS, CONVERSATIONS


async def pipeline_summary(
    db: Database,
    owner_id: int,
    *,
    since: str | None = None,
    until: str | None = None,
    period: str | None = None,
    channel: str | None = None,
    industry: str | None = None,
    now: datetime | None = None,
) -> PipelineSummary:
    """Conversations active in a period (last message inside it), counted per outcome."""
    now = now or utcnow()
    check_channel(channel)
    start, end = _range(since, until, period, now)
    c = CLIENTS
    cv = CONVERSATIONS
    stmt = (
        sa.select(
            cv.c.id,
            cv.c.client_id,
            cv.c.channel,
            cv.c.status,
            cv.c.outcome,
            cv.c.success_score,
            cv.c.last_message_at,
        )
        .join(c, c.c.id == cv.c.client_id)
        .where(cv.c.owner_id == owner_id)
    )
    if channel is not None:
        stmt = stmt.where(cv.c.channel == channel)
    if start is not None:
        stmt = stmt.where(cv.c.last_message_at >= start)
    if end is not None:
        stmt = stmt.where(cv.c.last_message_at < end)
    async with db.connect() as conn:
        if industry is not None:
            stmt = stmt.where(c.c.industry.in_(await _industries(conn, owner_id, industry)))
        rows = list((await conn.execute(stmt)).all())
    rows.sort(key=lambda r: (-(r.last_message_at.timestamp() if r.last_message_at else 0), r.id))
    buckets: list[PipelineBucket] = []
    for outcome in ("open", "won", "lost"):
        mine = [r for r in rows if r.outcome == outcome]
        scores = [r.success_score for r in mine if r.success_score is not None]
        by_channel: dict[str, int] = {}
        for r in mine:
            by_channel[r.channel] = by_channel.get(r.channel, 0) + 1
        clients = list(dict.fromkeys(r.client_id for r in mine))
        buckets.append(
            PipelineBucket(
                outcome=outcome,
                conversations=len(mine),
                clients=len(clients),
                mean_success_score=round(sum(scores) / len(scores), 3) if scores else None,
                expected_wins=round(sum(scores), 2) if outcome == "open" else None,
                by_channel=by_channel,
                conversation_ids=[r.id for r in mine[:20]],
                client_ids=clients[:20],
            )
        )
    by_status: dict[str, int] = {}
    for r in rows:
        by_status[r.status] = by_status.get(r.status, 0) + 1
    return PipelineSummary(
        since=start,
        until=end,
        period=period,
        total_conversations=len(rows),
        total_clients=len({r.client_id for r in rows}),
        by_outcome=buckets,
        by_status=by_status,
        note="A conversation counts in the period when its last message falls inside it. "
        "No deal amounts are stored: values are success scores (0..1); expected_wins "
        "sums them over open conversations.",
    )

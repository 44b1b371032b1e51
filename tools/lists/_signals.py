"""Per-client signals (mood, trend, unanswered, churn risk), read in bulk."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from tools import insights
from tools.lists._common import (
    IDS_PER_ROW,
    TREND_WINDOW,
    _chunks,
    _in_ids,
)
from tools.schemas import (
    Mood,
    RiskSign,
)
from tools.tables import CONVERSATIONS, MESSAGES

# -- per-client signals, in bulk ----------------------------------------------------


@dataclass
class _ConversationFact:
    id: int
    client_id: int
    channel: str
    outcome: str
    success_score: float | None
    last_message_at: datetime | None


@dataclass
class _Signals:
    """What the churn rules read about one client."""

    conversations: list[_ConversationFact] = field(default_factory=list)
    inbound: list[tuple[int, datetime, str, float]] = field(default_factory=list)  # old->new
    unanswered: list[tuple[int, int, datetime]] = field(default_factory=list)
    churn_words: list[int] = field(default_factory=list)


async def _signals(
    conn: AsyncConnection,
    owner_id: int,
    client_ids: Sequence[int] | None,
    now: datetime,
) -> dict[int, _Signals]:
    """Signals for the given clients (None: all the owner's) in four queries per chunk."""
    out: dict[int, _Signals] = {}
    m = MESSAGES
    cv = CONVERSATIONS
    for ids in _chunks(client_ids):
        for r in await conn.execute(
            sa.select(
                cv.c.id,
                cv.c.client_id,
                cv.c.channel,
                cv.c.outcome,
                cv.c.success_score,
                cv.c.last_message_at,
            ).where(cv.c.owner_id == owner_id, _in_ids(cv.c.client_id, ids))
        ):
            out.setdefault(r.client_id, _Signals()).conversations.append(_ConversationFact(*r))

        # The newest inbound messages per client: latest mood and its trend.
        ranked = (
            sa.select(
                m.c.id,
                m.c.client_id,
                m.c.sent_at,
                m.c.text,
                m.c.sentiment_label,
                m.c.sentiment_score,
                sa.func.row_number()
                .over(partition_by=m.c.client_id, order_by=(m.c.sent_at.desc(), m.c.id.desc()))
                .label("rn"),
            )
            .where(
                m.c.owner_id == owner_id,
                m.c.direction == "inbound",
                _in_ids(m.c.client_id, ids),
            )
            .subquery()
        )
        rows = (
            await conn.execute(
                sa.select(ranked).where(ranked.c.rn <= TREND_WINDOW).order_by(ranked.c.rn.desc())
            )
        ).all()
        for r, label, score in insights._scored(rows):
            out.setdefault(r.client_id, _Signals()).inbound.append((r.id, r.sent_at, label, score))

        # Client messages after our last reply in an open conversation.
        o = m.alias("o")
        later_reply = sa.select(o.c.id).where(
            o.c.conversation_id == m.c.conversation_id,
            o.c.direction == "outbound",
            sa.or_(o.c.sent_at > m.c.sent_at, sa.and_(o.c.sent_at == m.c.sent_at, o.c.id > m.c.id)),
        )
        unanswered = (
            sa.select(m.c.id, m.c.client_id, m.c.conversation_id, m.c.sent_at)
            .join(cv, cv.c.id == m.c.conversation_id)
            .where(
                m.c.owner_id == owner_id,
                m.c.direction == "inbound",
                cv.c.outcome == "open",
                _in_ids(m.c.client_id, ids),
                ~sa.exists(later_reply),
            )
            .order_by(m.c.sent_at, m.c.id)
        )
        for waiting in await conn.execute(unanswered):
            out.setdefault(waiting.client_id, _Signals()).unanswered.append(
                (waiting.id, waiting.conversation_id, waiting.sent_at)
            )

        # Leaving / competitor language in recent client messages (verified in Python).
        recent = (
            sa.select(m.c.id, m.c.client_id, m.c.text)
            .where(
                m.c.owner_id == owner_id,
                m.c.direction == "inbound",
                m.c.sent_at > now - timedelta(days=insights.CHURN_LANGUAGE_DAYS),
                _in_ids(m.c.client_id, ids),
            )
            .order_by(m.c.sent_at, m.c.id)
        )
        for said in await conn.execute(recent):
            if insights.has_churn_language(said.text):
                out.setdefault(said.client_id, _Signals()).churn_words.append(said.id)
    return out


def _assess(s: _Signals, now: datetime) -> tuple[Mood | None, str, list[RiskSign], list[int], bool]:
    """Latest mood, trend, risk signs, unanswered ids and the churn verdict for one client."""
    signs: list[RiskSign] = []
    latest = None
    if s.inbound:
        mid, sent_at, label, score = s.inbound[-1]
        latest = Mood(label=label, score=round(score, 4), message_id=mid, sent_at=sent_at)
    trend = insights.mood_trend([x[3] for x in s.inbound])
    unanswered = [u[0] for u in s.unanswered]
    if s.unanswered:
        hours = (now - s.unanswered[0][2]).total_seconds() / 3600
        if hours > insights.UNANSWERED_HOURS:
            signs.append(
                RiskSign(
                    kind="unanswered",
                    message_ids=unanswered[-IDS_PER_ROW:],
                    conversation_ids=sorted({u[1] for u in s.unanswered}),
                )
            )
    if latest is not None and latest.score <= insights.NEGATIVE_MOOD:
        signs.append(RiskSign(kind="negative_mood", message_ids=[latest.message_id or 0]))
    if trend == "worsening":
        signs.append(RiskSign(kind="worsening", message_ids=[x[0] for x in s.inbound[-3:]]))
    if s.churn_words:
        signs.append(RiskSign(kind="churn_language", message_ids=s.churn_words[-5:]))
    ordered = sorted(
        s.conversations,
        key=lambda c: (c.last_message_at is None, -(c.last_message_at or now).timestamp(), c.id),
    )
    if ordered and ordered[0].outcome == "lost":
        signs.append(RiskSign(kind="lost", conversation_ids=[ordered[0].id]))
    has_open = any(c.outcome == "open" for c in s.conversations)
    if has_open and s.inbound and now - s.inbound[-1][1] > timedelta(days=insights.SILENCE_DAYS):
        signs.append(RiskSign(kind="silence", message_ids=[s.inbound[-1][0]]))
    churn = insights.is_churn_risk({x.kind for x in signs})
    return latest, trend, signs, unanswered, churn


# -- list_clients ----------------------------------------------------------------------

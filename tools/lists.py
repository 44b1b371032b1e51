"""Questions across clients: filtered client and conversation lists and a pipeline summary.

Every signal (mood, trend, unanswered messages, churn risk) is computed for all the
owner's matching clients in a handful of SQL queries, with the same rules as
`insights.client_insights` uses for one client.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from tools import insights
from tools.cursors import check_channel, offset_cursor, page_offset, parse_when
from tools.db import Database
from tools.errors import InvalidArgument
from tools.models import utcnow
from tools.schemas import (
    ClientList,
    ClientListRow,
    ConversationList,
    ConversationListRow,
    Mood,
    PipelineBucket,
    PipelineSummary,
    RiskSign,
)
from tools.tables import CLIENTS, CONVERSATIONS, MESSAGES
from tools.text import fold

Period = Literal[
    "today",
    "yesterday",
    "this_week",
    "last_week",
    "this_month",
    "last_month",
    "last_7_days",
    "last_30_days",
    "last_90_days",
    "this_year",
]
PERIODS: tuple[str, ...] = Period.__args__  # type: ignore[attr-defined]
ClientSort = Literal["risk", "last_contact", "success_score", "name"]
ConversationSort = Literal["last_message", "success_score", "messages"]
MoodLabel = Literal["positive", "neutral", "negative"]
Trend = Literal["improving", "worsening", "stable", "unknown"]
Status = Literal["open", "closed"]
Outcome = Literal["open", "won", "lost"]

OUTPUT_BUDGET = 40_000  # characters of JSON per page, on top of the row limit
MAX_LIMIT = 100
TREND_WINDOW = 6  # mood_trend reads at most the last 6 inbound scores
IDS_PER_ROW = 10  # cited ids per list row (the newest ones)


# -- periods -------------------------------------------------------------------


def period_range(period: str, now: datetime | None = None) -> tuple[datetime, datetime]:
    """[start, end) in UTC for a named period such as this_month or last_week."""
    now = (now or utcnow()).astimezone(UTC)
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    week = today - timedelta(days=today.weekday())
    month = today.replace(day=1)
    match period:
        case "today":
            return today, today + timedelta(days=1)
        case "yesterday":
            return today - timedelta(days=1), today
        case "this_week":
            return week, week + timedelta(days=7)
        case "last_week":
            return week - timedelta(days=7), week
        case "this_month":
            nxt = (month + timedelta(days=32)).replace(day=1)
            return month, nxt
        case "last_month":
            return (month - timedelta(days=1)).replace(day=1), month
        case "last_7_days" | "last_30_days" | "last_90_days":
            days = int(period.split("_")[1])
            return today + timedelta(days=1) - timedelta(days=days), today + timedelta(days=1)
        case "this_year":
            return today.replace(month=1, day=1), today.replace(year=today.year + 1, month=1, day=1)
    raise InvalidArgument(f"period {period!r} is not one of: {', '.join(PERIODS)}")


def _range(
    since: str | None, until: str | None, period: str | None, now: datetime | None
) -> tuple[datetime | None, datetime | None]:
    if period and (since or until):
        raise InvalidArgument("give either period or since/until, not both")
    if period:
        return period_range(period, now)
    start = parse_when(since, "since") if since else None
    end = parse_when(until, "until", end_of_day=True) if until else None
    if start and end and start >= end:
        raise InvalidArgument(f"since ({since}) must be before until ({until})")
    return start, end


def _check_limit(limit: int) -> None:
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidArgument(f"limit must be between 1 and {MAX_LIMIT}, got {limit}")


def _page(rows: Sequence[Any], offset: int, limit: int) -> tuple[list[Any], int]:
    """The rows of one page that fit the output budget, and how many were taken."""
    page: list[Any] = []
    used = 0
    for row in rows[offset : offset + limit]:
        size = len(row.model_dump_json())
        if page and used + size > OUTPUT_BUDGET:
            break
        page.append(row)
        used += size
    return page, len(page)


async def _industries(conn: AsyncConnection, owner_id: int, industry: str) -> list[str]:
    """The stored spellings of `industry` (accents and case ignored), or InvalidArgument."""
    c = CLIENTS
    known = (
        await conn.scalars(
            sa.select(c.c.industry)
            .where(c.c.owner_id == owner_id, c.c.industry.is_not(None))
            .distinct()
        )
    ).all()
    wanted = fold(industry.strip())
    found = [k for k in known if k and fold(k) == wanted]
    if not found:
        listed = ", ".join(sorted({k for k in known if k})[:30]) or "none recorded"
        raise InvalidArgument(f"industry {industry[:60]!r} is not known; known: {listed}")
    return found


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


def _in_ids(column: Any, ids: Sequence[int] | None) -> Any:
    return sa.true() if ids is None else column.in_(ids)


def _chunks(ids: Sequence[int] | None, size: int = 900) -> Iterable[Sequence[int] | None]:
    if ids is None:
        yield None
        return
    for i in range(0, len(ids), size):
        yield ids[i : i + size]


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
    sort: str = "last_contact",
    limit: int = 20,
    cursor: str | None = None,
    now: datetime | None = None,
) -> ClientList:
    """The owner's clients that pass every filter, sorted, one page with the total count."""
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


def _check_choice(name: str, value: str | None, choices: Any) -> None:
    allowed = choices.__args__
    if value is not None and value not in allowed:
        raise InvalidArgument(f"{name} {value[:40]!r} is not one of: {', '.join(allowed)}")


def _given(**values: Any) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


# -- list_conversations ------------------------------------------------------------------


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

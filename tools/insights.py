"""Sentiment over stored conversations and the facts an agent reasons with."""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from tools.db import Database
from tools.errors import InvalidArgument, NotFound
from tools.history import client_row, conversation_summaries
from tools.models import utcnow
from tools.records import MAX_TEXT as STORED_TEXT
from tools.schemas import (
    ClientInsights,
    ConversationMood,
    Fact,
    MessageMood,
    Mood,
    SentimentOut,
    TurningPoint,
)
from tools.settings import Settings
from tools.tables import MESSAGES
from tools.text import fold

# As long as a stored message: a stored one is analysed whole, as import scored it (the
# analyser's cost grows with the text's length, 20,000 characters in about 20 ms).
MAX_TEXT = STORED_TEXT
HISTORY_CAP = 500  # the newest messages considered per client: bounds time and output
ALPHA = 0.5  # weight of the newest inbound message in the rolling mood
TURN = 0.35  # a rolling-mood move this large (or a change of sign) is a turning point
CHURN_PHRASES = (
    "cambiar de proveedor",
    "otro proveedor",
    "cambiar de empresa",
    "darnos de baja",
    "dar de baja",
    "cancelar",
    "no estamos contentos",
    "la estamos valorando",
    "nos vamos con",
    "switch supplier",
    "another supplier",
    "cancel",
    "not happy",
    "go with",
)
# Churn-risk thresholds, shared with the cross-client lists (tools/lists.py).
UNANSWERED_HOURS = 48  # an unanswered client message older than this is a risk sign
NEGATIVE_MOOD = -0.3  # a latest client mood at or below this is a risk sign
SILENCE_DAYS = 60  # no client message for this long while a conversation is open
CHURN_LANGUAGE_DAYS = 90  # how far back leaving/competitor language counts


def has_churn_language(text: str) -> bool:
    """Whether `text` talks about leaving, cancelling or a competitor's offer."""
    folded = fold(text)
    return any(p in folded for p in CHURN_PHRASES)


def is_churn_risk(kinds: set[str]) -> bool:
    """The churn verdict from the kinds of risk sign found for one client."""
    # One sign alone is noise; two together, or strong language with a bad mood, is a risk.
    return len(kinds) >= 2 or {"churn_language", "negative_mood"} <= kinds


def check_text(text: str) -> str:
    """`text` when it can be analysed, else InvalidArgument."""
    if not text.strip():
        raise InvalidArgument("text must not be empty")
    if len(text) > MAX_TEXT:
        raise InvalidArgument(f"text is longer than {MAX_TEXT} characters; send a shorter excerpt")
    return text


def sentiment_out(r: Any, message_id: int | None = None) -> SentimentOut:
    """A SentimentResult as the tool's output model."""
    return SentimentOut(
        label=r.label,
        score=round(r.score, 4),
        confidence=round(r.confidence, 4),
        language=r.language,
        emotions={k: round(v, 4) for k, v in r.emotions.items()},
        drivers=[str(d) for d in r.drivers],
        message_id=message_id,
    )


async def text_sentiment(
    text: str, settings: Settings, cache: Any = None, message_id: int | None = None
) -> SentimentOut:
    """Sentiment of `text` by the configured analyser (an LLM when WALLIE_SENTIMENT=llm)."""
    check_text(text)
    if settings.sentiment_mode == "llm":
        from tools.sentiment.llm import analyze_with_llm

        return sentiment_out(await analyze_with_llm(text, settings, cache), message_id)
    from tools.sentiment import analyze

    return sentiment_out(analyze(text), message_id)


async def message_text(db: Database, owner_id: int, message_id: int) -> str:
    """The text of one of the owner's messages (cut to what the analyser takes)."""
    async with db.connect() as conn:
        text = await conn.scalar(
            sa.select(MESSAGES.c.text).where(
                MESSAGES.c.id == message_id, MESSAGES.c.owner_id == owner_id
            )
        )
    if text is None:
        raise NotFound(f"no message with id {message_id}; search_messages returns message ids")
    return str(text)[:MAX_TEXT]


async def message_sentiment(
    db: Database, owner_id: int, message_id: int, settings: Settings, cache: Any = None
) -> SentimentOut:
    """Sentiment of one stored message by the configured analyser."""
    text = await message_text(db, owner_id, message_id)
    return await text_sentiment(text, settings, cache, message_id)


async def _rows(conn: Any, owner_id: int, **where: int) -> list[Any]:
    m = MESSAGES
    stmt = sa.select(
        m.c.id,
        m.c.conversation_id,
        m.c.direction,
        m.c.sent_at,
        m.c.text,
        m.c.sentiment_label,
        m.c.sentiment_score,
    ).where(m.c.owner_id == owner_id)
    for column, value in where.items():
        stmt = stmt.where(m.c[column] == value)
    stmt = stmt.order_by(m.c.sent_at.desc(), m.c.id.desc()).limit(HISTORY_CAP)
    return list(reversed((await conn.execute(stmt)).all()))


def _scored(rows: Sequence[Any]) -> list[tuple[Any, str, float]]:
    """Each row with its label and score; missing ones are computed (not stored) here."""
    missing = [r.text for r in rows if r.sentiment_label is None]
    computed = []
    if missing:
        from tools.sentiment import score_many

        computed = score_many(missing)
    it = iter(computed)
    out = []
    for r in rows:
        label, score = (
            (r.sentiment_label, r.sentiment_score) if r.sentiment_label is not None else next(it)
        )
        out.append((r, label, float(score)))
    return out


def mood_series(
    rows: Sequence[Any],
) -> tuple[list[MessageMood], list[TurningPoint], str, Mood | None]:
    """Per-message moods, turning points, trend and latest mood of the client's messages."""
    moods: list[MessageMood] = []
    turns: list[TurningPoint] = []
    rolling: float | None = None
    inbound: list[float] = []
    latest: Mood | None = None
    for row, label, score in _scored(rows):
        if row.direction == "inbound":
            before = rolling
            rolling = score if rolling is None else ALPHA * score + (1 - ALPHA) * rolling
            inbound.append(score)
            latest = Mood(
                label=label, score=round(score, 4), message_id=row.id, sent_at=row.sent_at
            )
            if before is not None:
                crossed = (before > 0.05 and rolling < -0.05) or (before < -0.05 and rolling > 0.05)
                if crossed or abs(rolling - before) >= TURN:
                    turns.append(
                        TurningPoint(
                            message_id=row.id,
                            sent_at=row.sent_at,
                            before=round(before, 4),
                            after=round(rolling, 4),
                            change="improved" if rolling > before else "worsened",
                        )
                    )
        moods.append(
            MessageMood(
                message_id=row.id,
                sent_at=row.sent_at,
                direction=row.direction,
                label=label,
                score=round(score, 4),
                rolling=round(rolling, 4) if rolling is not None else None,
            )
        )
    return moods, turns, mood_trend(inbound), latest


def mood_trend(scores: list[float]) -> str:
    """improving, worsening, stable or unknown, from a client's inbound scores in time order."""
    if len(scores) < 2:
        return "unknown"
    half = max(1, min(3, len(scores) // 2))
    recent, earlier = scores[-half:], scores[:-half][-3:]
    delta = statistics.fmean(recent) - statistics.fmean(earlier)
    if delta > 0.15:
        return "improving"
    if delta < -0.15:
        return "worsening"
    return "stable"


async def conversation_mood(db: Database, owner_id: int, conversation_id: int) -> ConversationMood:
    """Per-message sentiment of one conversation with the client's trend and turning points."""
    async with db.connect() as conn:
        rows = await _rows(conn, owner_id, conversation_id=conversation_id)
        if not rows:
            found = await conversation_summaries(conn, owner_id, conversation_id=conversation_id)
            if not found:
                raise NotFound(
                    f"no conversation with id {conversation_id}; "
                    "get_client lists a client's conversations"
                )
        client_id = await conn.scalar(
            sa.select(MESSAGES.c.client_id)
            .where(MESSAGES.c.conversation_id == conversation_id)
            .limit(1)
        )
    moods, turns, trend, latest = mood_series(rows)
    return ConversationMood(
        conversation_id=conversation_id,
        client_id=client_id or 0,
        messages=moods,
        latest_mood=latest,
        trend=trend,
        turning_points=turns,
    )


def _minutes(delta: timedelta) -> float:
    return delta.total_seconds() / 60


async def client_insights(
    db: Database, owner_id: int, client_id: int, *, now: datetime | None = None
) -> ClientInsights:
    """Computed facts about a client, each with the message or conversation ids behind it."""
    now = now or utcnow()
    async with db.connect() as conn:
        client = await client_row(conn, owner_id, client_id)
        rows = await _rows(conn, owner_id, client_id=client_id)
        conversations = await conversation_summaries(conn, owner_id, client_id=client_id)
    _, turns, trend, latest = mood_series(rows)
    facts: list[Fact] = []
    reasons: list[Fact] = []

    # Reply times and unanswered messages, conversation by conversation.
    client_replies: list[float] = []
    our_replies: list[float] = []
    unanswered: list[int] = []
    by_conversation: dict[int, list[Any]] = {}
    for r in rows:
        by_conversation.setdefault(r.conversation_id, []).append(r)
    open_ids = {c.id for c in conversations if c.outcome == "open"}
    for conversation_id, thread in by_conversation.items():
        for previous, current in itertools.pairwise(thread):
            if previous.direction != current.direction:
                minutes = _minutes(current.sent_at - previous.sent_at)
                (our_replies if current.direction == "outbound" else client_replies).append(minutes)
        if conversation_id in open_ids:
            trailing = []
            for r in reversed(thread):
                if r.direction == "outbound":
                    break
                trailing.append(r.id)
            unanswered.extend(reversed(trailing))
    if unanswered:
        oldest = next(r for r in rows if r.id == unanswered[0])
        hours = _minutes(now - oldest.sent_at) / 60
        fact = Fact(
            kind="unanswered",
            text=f"{len(unanswered)} message(s) from the client still have no reply; "
            f"the oldest is {hours:.0f} h old",
            message_ids=unanswered,
            conversation_ids=sorted({r.conversation_id for r in rows if r.id in unanswered}),
        )
        facts.append(fact)
        if hours > UNANSWERED_HOURS:
            reasons.append(fact)

    if latest is not None:
        facts.append(
            Fact(
                kind="mood",
                text=f"latest mood {latest.describe()}; trend {trend}",
                message_ids=[latest.message_id] if latest.message_id else [],
            )
        )
        if latest.score <= NEGATIVE_MOOD:
            reasons.append(
                Fact(
                    kind="negative_mood",
                    text=f"the client's latest message scores low: {latest.describe()}",
                    message_ids=[latest.message_id] if latest.message_id else [],
                )
            )
    if trend == "worsening":
        reasons.append(
            Fact(
                kind="worsening",
                text="the client's mood is worsening",
                message_ids=[t.message_id for t in turns if t.change == "worsened"][-3:],
            )
        )
    for t in turns:
        facts.append(
            Fact(
                kind="turning_point",
                text=f"mood {t.change} from {t.before:+.2f} to {t.after:+.2f}",
                message_ids=[t.message_id],
            )
        )

    recent = [
        r
        for r in rows
        if r.direction == "inbound" and now - r.sent_at < timedelta(days=CHURN_LANGUAGE_DAYS)
    ]
    churn_hits = [r for r in recent if has_churn_language(r.text)]
    if churn_hits:
        reasons.append(
            Fact(
                kind="churn_language",
                text="the client mentioned leaving, cancelling or a competitor's offer",
                message_ids=[r.id for r in churn_hits[-5:]],
            )
        )

    outcomes: dict[str, int] = {}
    for c in conversations:
        outcomes[c.outcome] = outcomes.get(c.outcome, 0) + 1
        facts.append(
            Fact(
                kind="conversation",
                text=f"{c.channel} conversation {c.outcome}"
                + (f", success score {c.success_score:.2f}" if c.success_score is not None else ""),
                conversation_ids=[c.id],
            )
        )
    if conversations and conversations[0].outcome == "lost":
        reasons.append(
            Fact(
                kind="lost",
                text="the most recent conversation was lost",
                conversation_ids=[conversations[0].id],
            )
        )
    scores = [c.success_score for c in conversations if c.success_score is not None]
    last_inbound = next((r for r in reversed(rows) if r.direction == "inbound"), None)
    if open_ids and last_inbound and now - last_inbound.sent_at > timedelta(days=SILENCE_DAYS):
        reasons.append(
            Fact(
                kind="silence",
                text=f"no message from the client for {(now - last_inbound.sent_at).days} days "
                "while a conversation is open",
                message_ids=[last_inbound.id],
            )
        )
    churn = is_churn_risk({r.kind for r in reasons})
    return ClientInsights(
        client_id=client.id,
        name=client.name,
        mood_trend=trend,
        latest_mood=latest,
        turning_points=turns,
        median_client_reply_minutes=round(statistics.median(client_replies), 1)
        if client_replies
        else None,
        median_our_reply_minutes=round(statistics.median(our_replies), 1) if our_replies else None,
        unanswered_inbound=unanswered,
        open_conversations=[c for c in conversations if c.outcome == "open"],
        outcomes=outcomes,
        mean_success_score=round(statistics.fmean(scores), 3) if scores else None,
        churn_risk=churn,
        churn_reasons=reasons,
        facts=facts,
    )

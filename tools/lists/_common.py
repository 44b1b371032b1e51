"""Shared vocabulary of the cross-client lists: periods, sorts, paging and filter checks."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from tools.cursors import parse_when
from tools.errors import InvalidArgument
from tools.models import utcnow
from tools.tables import CLIENTS
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


def _in_ids(column: Any, ids: Sequence[int] | None) -> Any:
    return sa.true() if ids is None else column.in_(ids)


def _chunks(ids: Sequence[int] | None, size: int = 900) -> Iterable[Sequence[int] | None]:
    if ids is None:
        yield None
        return
    for i in range(0, len(ids), size):
        yield ids[i : i + size]


def _check_choice(name: str, value: str | None, choices: Any) -> None:
    allowed = choices.__args__
    if value is not None and value not in allowed:
        raise InvalidArgument(f"{name} {value[:40]!r} is not one of: {', '.join(allowed)}")


def _given(**values: Any) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


# -- list_conversations ------------------------------------------------------------------

"""Opaque page cursors and the argument checks every read shares."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, datetime, time, timedelta
from typing import Any

from tools.errors import InvalidArgument
from tools.models import Channel

MAX_ID = 2**31 - 1  # the largest id either database can hold (PostgreSQL's integer)
MAX_OFFSET = 100_000  # how deep a cursor may page
CHANNELS = tuple(c.value for c in Channel)


def encode_cursor(payload: dict[str, Any]) -> str:
    """An opaque cursor for `payload`."""
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, kind: str) -> dict[str, Any]:
    """The payload of a cursor this module made for `kind`, or InvalidArgument."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        payload = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(payload, dict) or payload.get("k") != kind:
            raise ValueError(kind)
        return payload
    except (ValueError, binascii.Error, UnicodeDecodeError, RecursionError):
        raise _bad_cursor(cursor) from None


def _bad_cursor(cursor: str) -> InvalidArgument:
    return InvalidArgument(
        f"cursor {cursor[:40]!r} is not one returned by this tool; "
        "pass the `next_cursor` of a previous page, or omit it for the first page"
    )


def offset_cursor(kind: str, offset: int) -> str:
    """The cursor of the page of `kind` that starts at `offset`."""
    return encode_cursor({"k": kind, "o": offset})


def page_offset(cursor: str | None, kind: str) -> int:
    """Where the page a cursor of `kind` points at starts (0 without a cursor)."""
    if not cursor:
        return 0
    offset = decode_cursor(cursor, kind).get("o")
    if type(offset) is not int or not 0 <= offset <= MAX_OFFSET:
        raise _bad_cursor(cursor)
    return offset


def history_cursor(sent_at: datetime, message_id: int) -> str:
    """The cursor of the history page just older than (sent_at, message_id)."""
    return encode_cursor({"k": "history", "t": sent_at.isoformat(), "id": message_id})


def check_limit(limit: int, high: int) -> None:
    """InvalidArgument unless 1 <= limit <= high."""
    if not 1 <= limit <= high:
        raise InvalidArgument(f"limit must be between 1 and {high}, got {limit}")


def check_channel(channel: str | None) -> None:
    """InvalidArgument unless `channel` is None or a known channel."""
    if channel is not None and channel not in CHANNELS:
        raise InvalidArgument(f"channel {channel!r} is not one of: {', '.join(CHANNELS)}")


def parse_when(value: str, name: str, *, end_of_day: bool = False) -> datetime:
    """An ISO-8601 date or time as UTC; a bare date means its start (or end) of day."""
    text = value.strip()
    try:
        if len(text) == 10:
            day = datetime.fromisoformat(text).date()
            moment = datetime.combine(day, time.min, tzinfo=UTC)
            return moment + timedelta(days=1) if end_of_day else moment
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    except ValueError:
        raise InvalidArgument(
            f"{name} must be an ISO-8601 date or time (2026-11-01 or 2026-11-01T09:30:00Z), "
            f"got {value[:40]!r}"
        ) from None
    except OverflowError:
        # Beyond the calendar's edge in UTC (9999-12-31 end of day, 0001-01-01 east of
        # UTC): the edge itself means "no bound" on that side.
        return _LATEST if text.startswith("9999") else _EARLIEST


_EARLIEST = datetime.min.replace(tzinfo=UTC)
_LATEST = datetime.max.replace(tzinfo=UTC)

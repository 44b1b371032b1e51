"""The JSONL interchange format: one message a line, with its client and conversation."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tools.ingest import ClientIn, ConversationIn, MessageIn
from tools.models import Channel, Direction, Outcome
from tools.text import phone_digits

MAX_TEXT = 20_000
_CHANNELS = {c.value for c in Channel}
_DIRECTIONS = {d.value for d in Direction}
_OUTCOMES = {o.value for o in Outcome}


class LineError(ValueError):
    """A line that cannot be imported; the message says why."""


@dataclass
class ParseResult:
    """Parsed messages and `FILE:LINE: reason` errors for the bad lines."""

    messages: list[MessageIn]
    errors: list[str]
    lines: int


def _str(
    obj: dict[str, Any], key: str, where: str, *, required: bool = False, max_len: int = 300
) -> str | None:
    value = obj.get(key)
    if value is None or value == "":
        if required:
            raise LineError(f"{where}.{key} is required")
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise LineError(f"{where}.{key} must be a string, got {type(value).__name__}")
    value = value.strip()
    if len(value) > max_len:
        raise LineError(f"{where}.{key} is longer than {max_len} characters")
    return value


def _obj(record: dict[str, Any], key: str) -> dict[str, Any]:
    value = record.get(key)
    if not isinstance(value, dict):
        raise LineError(f'"{key}" must be an object')
    return value


def parse_time(value: Any, where: str) -> datetime:
    """An ISO-8601 time with a timezone, as UTC."""
    if not isinstance(value, str) or not value:
        raise LineError(
            f"{where} is required (ISO-8601 with timezone, e.g. 2026-11-20T10:15:00+01:00)"
        )
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise LineError(f"{where} is not an ISO-8601 time: {value!r}") from None
    if parsed.tzinfo is None:
        raise LineError(f"{where} has no timezone: {value!r} (add Z or +01:00)")
    return parsed.astimezone(UTC)


def parse_record(record: Any) -> MessageIn:
    """One JSON object of the format, validated, as a MessageIn."""
    if not isinstance(record, dict):
        raise LineError("a line must be a JSON object")
    client = _obj(record, "client")
    conversation = _obj(record, "conversation")
    message = _obj(record, "message")

    name = _str(client, "name", "client", required=True, max_len=200)
    email = _str(client, "email", "client", max_len=320)
    if email is not None:
        email = email.lower()
        if "@" not in email:
            raise LineError(f"client.email is not an email address: {email!r}")
    phone = _str(client, "phone", "client", max_len=64)
    if phone is not None and not phone_digits(phone):
        raise LineError(f"client.phone has no digits: {phone!r}")
    client_key = _str(client, "id", "client", max_len=200)
    if client_key is None:
        if email:
            client_key = f"email:{email}"
        elif phone:
            client_key = f"phone:{phone_digits(phone)}"
        else:
            raise LineError("client needs an id, an email or a phone to be identified")
    tags = client.get("tags") or []
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise LineError("client.tags must be a list of strings")

    channel = _str(conversation, "channel", "conversation", required=True)
    if channel not in _CHANNELS:
        raise LineError(f"conversation.channel {channel!r} is not one of {sorted(_CHANNELS)}")
    outcome = _str(conversation, "outcome", "conversation") or "open"
    if outcome not in _OUTCOMES:
        raise LineError(f"conversation.outcome {outcome!r} is not one of {sorted(_OUTCOMES)}")
    score = conversation.get("success_score")
    if score is not None and (
        isinstance(score, bool) or not isinstance(score, int | float) or not 0 <= score <= 1
    ):
        raise LineError(f"conversation.success_score must be a number in 0..1, got {score!r}")
    conversation_key = (
        _str(conversation, "id", "conversation", max_len=200) or f"{client_key}:{channel}"
    )

    direction = _str(message, "direction", "message", required=True)
    if direction not in _DIRECTIONS:
        raise LineError(f"message.direction {direction!r} is not one of {sorted(_DIRECTIONS)}")
    sent_at = parse_time(message.get("sent_at"), "message.sent_at")
    text = message.get("text")
    if not isinstance(text, str):
        raise LineError("message.text is required and must be a string")
    if len(text) > MAX_TEXT:
        raise LineError(f"message.text is longer than {MAX_TEXT} characters")
    sender = _str(message, "sender", "message", max_len=200) or (
        (name or "") if direction == "inbound" else ""
    )
    external_id = _str(message, "id", "message", max_len=200)
    if external_id is None:
        # No id given: a content hash keeps re-imports idempotent all the same.
        digest = hashlib.sha1(
            f"{sent_at.isoformat()}\x00{direction}\x00{text}".encode()
        ).hexdigest()
        external_id = f"sha1:{digest}"

    return MessageIn(
        client=ClientIn(
            key=client_key,
            name=name or "",
            email=email,
            phone=phone,
            company=_str(client, "company", "client", max_len=200),
            industry=_str(client, "industry", "client", max_len=100),
            tags=tags,
            notes=_str(client, "notes", "client", max_len=5000),
        ),
        conversation=ConversationIn(
            key=conversation_key,
            channel=channel,
            subject=_str(conversation, "subject", "conversation", max_len=300),
            status=_str(conversation, "status", "conversation", max_len=32) or "active",
            outcome=outcome,
            success_score=float(score) if score is not None else None,
        ),
        external_id=external_id,
        direction=direction,
        sender=sender,
        sent_at=sent_at,
        text=text,
    )


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    with path.open(encoding="utf-8") as fh:
        yield from enumerate(fh, start=1)


def parse_file(path: Path) -> ParseResult:
    """Every line of a JSONL file, parsed; bad lines become `FILE:LINE: reason` errors."""
    messages: list[MessageIn] = []
    errors: list[str] = []
    number = 0
    try:
        for number, line in _lines(path):
            if not line.strip():
                continue
            try:
                messages.append(parse_record(json.loads(line)))
            except json.JSONDecodeError as exc:
                errors.append(f"{path}:{number}: invalid JSON: {exc.msg} (column {exc.colno})")
            except LineError as exc:
                errors.append(f"{path}:{number}: {exc}")
    except UnicodeDecodeError:
        errors.append(f"{path}:{number + 1}: not UTF-8 text")
    return ParseResult(messages=messages, errors=errors, lines=number)

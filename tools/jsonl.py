"""The JSONL interchange format: one message a line, with its client and conversation."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from tools.records import MAX_TEXT, MessageIn

__all__ = ["MAX_TEXT", "LineError", "ParseResult", "parse_file", "parse_record"]

_SECTIONS = ("client", "conversation")
_EXCERPT = 60
_HINTS = {"timezone_aware": "; add Z or +01:00", "datetime_from_date_parsing": "; use ISO-8601"}


class LineError(ValueError):
    """A line that cannot be imported; the message says why."""


@dataclass
class ParseResult:
    """Parsed messages and `FILE:LINE: reason` errors for the bad lines."""

    messages: list[MessageIn]
    errors: list[str]
    lines: int


def _excerpt(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= _EXCERPT else text[: _EXCERPT - 3] + "..."


def _reason(exc: ValidationError) -> str:
    """Pydantic's errors as `section.field: what is wrong (got VALUE)`, one after another."""
    parts = []
    for error in exc.errors(include_url=False):
        loc = [str(p) for p in error["loc"]]
        if loc and loc[0] not in _SECTIONS:
            loc.insert(0, "message")  # the message's fields are flat in MessageIn
        where = ".".join(loc)
        message = error["msg"].removeprefix("Value error, ") + _HINTS.get(error["type"], "")
        if error["type"] != "missing" and not isinstance(error["input"], dict | list):
            message += f" (got {_excerpt(error['input'])})"
        parts.append(f"{where}: {message}" if where else message)
    return "; ".join(parts)


def parse_record(record: Any) -> MessageIn:
    """One JSON object of the format, validated, as a MessageIn."""
    if not isinstance(record, dict):
        raise LineError("a line must be a JSON object")
    message = record.get("message")
    if not isinstance(message, dict):
        raise LineError("message: must be an object")
    flat = {**message, "client": record.get("client"), "conversation": record.get("conversation")}
    try:
        return MessageIn.model_validate(flat)
    except ValidationError as exc:
        raise LineError(_reason(exc)) from None


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

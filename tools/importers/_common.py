"""What the WhatsApp and email parsers share: records, counters, errors, stable ids."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from tools.errors import InvalidArgument
from tools.ingest import MessageIn

MAX_TEXT = 20_000  # the longest message text stored (as for JSONL)
MAX_NAME = 200


class NotAnExport(InvalidArgument):
    """A file is not the kind of export asked for (or is empty or binary)."""


class RecordError(ValueError):
    """One message or line that cannot be imported; `where` is `FILE:LINE` or `FILE: message N`."""

    def __init__(self, where: str, reason: str) -> None:
        super().__init__(f"{where}: {reason}")
        self.where = where
        self.reason = reason


@dataclass
class FileStats:
    """What parsing one input saw besides the messages it yielded."""

    name: str
    messages: int = 0
    system_lines: int = 0
    attachments: int = 0
    skipped: int = 0
    skipped_bulk: int = 0
    replaced_chars: int = 0
    errors: list[str] = field(default_factory=list)
    clients: set[str] = field(default_factory=set)
    conversations: set[str] = field(default_factory=set)


@dataclass
class ParsedFile:
    """One input unit (a chat, an mbox, a Maildir, an .eml): stats fill in as `records` runs."""

    stats: FileStats
    records: Iterator[MessageIn]
    expected: int | None = None


def stable_id(*parts: object) -> str:
    """A short id derived from the message itself (never from where it was read)."""
    digest = hashlib.blake2b("\x1f".join(str(p) for p in parts).encode(), digest_size=16)
    return digest.hexdigest()


def attachment_marker(name: str) -> str:
    """The text a message carries for an attachment that is not stored."""
    return f"[attachment: {name}]"


_BINARY_SAMPLE = 8192


def sniff(path_name: str, head: bytes, kind: str) -> None:
    """Raise NotAnExport for empty or binary input."""
    if not head.strip():
        raise NotAnExport(f"{path_name}: empty file, not {kind}")
    if b"\x00" in head[:_BINARY_SAMPLE]:
        raise NotAnExport(f"{path_name}: binary file, not {kind}")


_PHONE_LIKE = re.compile(r"^\+?[\d\s().\-\u00a0\u202f]{6,}$")


def looks_like_phone(text: str) -> bool:
    """True for names that are phone numbers as an app shows them ("+34 600 12 34 56")."""
    return bool(_PHONE_LIKE.match(text.strip())) and sum(c.isdigit() for c in text) >= 6


def phone_e164(raw: str, region: str | None = None) -> str:
    """`raw` as E.164 ("+34600123456") when it is a possible number, else its digits."""
    from tools.text import normalise_phone, phone_digits

    return normalise_phone(raw, region) or phone_digits(raw, region) or raw.strip()

"""WhatsApp "Export chat" files (.txt or .zip, Android and iOS, any locale) as messages."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from pathlib import Path

from tools.importers._common import (
    MAX_NAME,
    MAX_TEXT,
    FileStats,
    NotAnExport,
    ParsedFile,
    RecordError,
    attachment_marker,
    looks_like_phone,
    phone_e164,
    stable_id,
)
from tools.importers._whatsapp_patterns import (
    _ATTACHED,
    _AUTHOR,
    _EDITED,
    _GROUP_EVENT,
    _GROUP_NAME,
    _HEADER,
    _INVISIBLE,
    _MEDIA_OMITTED,
    _PM_WORDS,
    _SYSTEM_TEXT,
)
from tools.importers._whatsapp_source import KIND, _Source
from tools.ingest import ClientIn, ConversationIn, MessageIn
from tools.models import Channel, Direction
from tools.text import fold

DATE_ORDERS = ("dmy", "mdy", "ymd")


@dataclass
class _Entry:
    """A message line as written, before its date is read."""

    line: int
    fields: tuple[str, str, str, str, str, str | None, str | None]
    author: str | None
    text: list[str]
    ios_marked: bool


def _split(rest: str) -> tuple[str | None, str, bool]:
    """(author or None for a system line, text, text began with an iOS system mark)."""
    match = _AUTHOR.match(rest)
    if not match:
        return None, _INVISIBLE.sub("", rest), False
    author = _INVISIBLE.sub("", match["author"]).strip().lstrip("~").strip()
    raw = match["text"]
    if _GROUP_EVENT.search(author) and " " in author and not looks_like_phone(author):
        # "X changed the subject to "A: b"": a system line with a colon in it.
        return None, _INVISIBLE.sub("", rest), False
    return author, _INVISIBLE.sub("", raw), raw.startswith("\u200e")


def _entries(source: _Source) -> Iterator[_Entry | tuple[int, str]]:
    """Message entries with their continuation lines; stray lines before any come as tuples."""
    current: _Entry | None = None
    for number, line in source.lines():
        match = _HEADER.match(line)
        if match:
            if current is not None:
                yield current
            author, text, marked = _split(match["rest"])
            current = _Entry(
                number,
                (
                    match["d1"],
                    match["d2"],
                    match["d3"],
                    match["h"],
                    match["mi"],
                    match["s"],
                    match["ampm"],
                ),
                author,
                [text],
                marked,
            )
        elif current is not None:
            current.text.append(_INVISIBLE.sub("", line))
        elif line.strip(" \ufeff\u200e\u200f"):
            yield number, line
    if current is not None:
        yield current


def _classify(entry: _Entry) -> tuple[str, str | None]:
    """("message" | "media" | "system", attachment name) for an entry's first line."""
    first = entry.text[0].strip()
    attached = _ATTACHED.match(first)
    if attached:
        return "media", (attached["name"] or attached["file"]).strip()
    omitted = _MEDIA_OMITTED.match(first)
    if omitted:
        return "media", (omitted["kind"] or "media").lower()
    if entry.author is None or entry.ios_marked or _SYSTEM_TEXT.match(first):
        return "system", None
    return "message", None


@dataclass
class _Scan:
    """What a first pass over a chat learns: authors, date order, group hints."""

    source: _Source
    authors: dict[str, str] = field(default_factory=dict)  # folded -> as written
    system_authors: dict[str, str] = field(default_factory=dict)
    spellings: set[str] = field(default_factory=set)  # every author as written
    group_name: str | None = None
    group_events: bool = False
    messages: int = 0
    order: str | None = None
    # Date-order evidence: could each order still be right, and are dates in order under it.
    fits: dict[str, bool] = field(default_factory=lambda: dict.fromkeys(DATE_ORDERS, True))
    sorted_: dict[str, bool] = field(default_factory=lambda: dict.fromkeys(DATE_ORDERS, True))
    last: dict[str, tuple[int, int, int]] = field(default_factory=dict)


def _scan(source: _Source) -> _Scan:
    scan = _Scan(source)
    headers = 0
    written = scan.spellings
    for item in _entries(source):
        if isinstance(item, tuple):
            continue
        headers += 1
        d1, d2, d3 = (int(x) for x in item.fields[:3])
        four = len(item.fields[0]) == 4
        for order, (y, m, d) in (
            ("dmy", (d3, d2, d1)),
            ("mdy", (d3, d1, d2)),
            ("ymd", (d1, d2, d3)),
        ):
            if not scan.fits[order]:
                continue
            if not (1 <= m <= 12 and 1 <= d <= 31) or (order == "ymd") != four:
                scan.fits[order] = False
                continue
            key = (y, m, d)
            if key < scan.last.get(order, key):
                scan.sorted_[order] = False
            scan.last[order] = key
        kind, _ = _classify(item)
        if kind == "system":
            name = _GROUP_NAME.search(item.text[0])
            if name:
                scan.group_name = name["name"]
            if _GROUP_EVENT.search(item.text[0]):
                scan.group_events = True
            if item.author is not None:
                scan.system_authors.setdefault(fold(item.author), item.author)
            continue
        scan.messages += 1
        assert item.author is not None
        if item.author not in written:
            written.add(item.author)
            scan.authors.setdefault(fold(item.author), item.author)
    if headers == 0:
        raise NotAnExport(f"{source.name}: not {KIND} (no line starts with a date and time)")
    return scan


def _decide_order(scan: _Scan, forced: str | None) -> str:
    if forced:
        return forced
    possible = [o for o in DATE_ORDERS if scan.fits[o]]
    if len(possible) > 1:
        in_order = [o for o in possible if scan.sorted_[o]]
        if len(in_order) == 1:
            possible = in_order
    if len(possible) == 1:
        return possible[0]
    if not possible:
        raise NotAnExport(
            f"{scan.source.name}: dates fit no day/month/year order; "
            "pass --date-order dmy, mdy or ymd"
        )
    raise NotAnExport(
        f"{scan.source.name}: cannot tell whether dates are day-first or month-first; "
        "pass --date-order dmy or --date-order mdy"
    )


def _to_utc(local: datetime, tz: tzinfo | None) -> datetime:
    if tz is None:
        return local.astimezone(UTC)  # the machine's zone, with its DST rules
    return local.replace(tzinfo=tz).astimezone(UTC)


@dataclass
class _Chat:
    """A chat ready to read: who the client is and how to read its dates."""

    scan: _Scan
    order: str
    client: ClientIn
    conversation: ConversationIn
    me: set[str]


def _parse_time(entry: _Entry, order: str, tz: tzinfo | None) -> datetime:
    d1, d2, d3, h, mi, s, ampm = entry.fields
    a, b, c = int(d1), int(d2), int(d3)
    y, m, d = {"dmy": (c, b, a), "mdy": (c, a, b), "ymd": (a, b, c)}[order]
    if y < 100:
        y += 2000
    hour = int(h)
    if ampm:
        word = re.sub(r"[\s.]", "", ampm).lower()
        if not 1 <= hour <= 12:
            raise ValueError(f"hour {hour} with {ampm!r}")
        hour = hour % 12 + (12 if word in _PM_WORDS else 0)
    return _to_utc(datetime(y, m, d, hour, int(mi), int(s or 0)), tz)


def _records(
    chat: _Chat, stats: FileStats, tz: tzinfo | None, skip_invalid: bool
) -> Iterator[MessageIn]:
    name = chat.scan.source.name
    last_time: datetime | None = None
    seen: dict[tuple[str, str], int] = {}
    outbound = {a for a in chat.scan.spellings if fold(a) in chat.me}
    for item in _entries(chat.scan.source):
        if isinstance(item, tuple):
            error = RecordError(
                f"{name}:{item[0]}", "not a message line (no date and time at the start)"
            )
            if not skip_invalid:
                raise error
            stats.errors.append(str(error))
            stats.skipped += 1
            continue
        kind, attachment = _classify(item)
        if kind == "system":
            stats.system_lines += 1
            continue
        try:
            sent_at = _parse_time(item, chat.order, tz)
        except ValueError as exc:
            error = RecordError(f"{name}:{item.line}", f"invalid date or time ({exc})")
            if not skip_invalid:
                raise error from None
            stats.errors.append(str(error))
            stats.skipped += 1
            continue
        lines = item.text
        attachments: list[str] = []
        if kind == "media":
            assert attachment is not None
            stats.attachments += 1
            attachments = [attachment]
            lines = [attachment_marker(attachment), *lines[1:]]
        text = _EDITED.sub("", "\n".join(lines)).strip()[:MAX_TEXT]
        author = item.author or ""
        if sent_at != last_time:
            seen.clear()  # identical messages can only share a timestamp: memory stays flat
            last_time = sent_at
        n = seen.get((author, text), 0)
        seen[(author, text)] = n + 1
        stats.messages += 1
        yield MessageIn(
            client=chat.client,
            conversation=chat.conversation,
            external_id="wa:" + stable_id(sent_at.isoformat(), author, text, n),
            direction=Direction.outbound if author in outbound else Direction.inbound,
            sender=author,
            sent_at=sent_at,
            text=text,
            attachments=attachments,
        )


def _detect_me(scans: Sequence[_Scan]) -> set[str]:
    common = set.intersection(*(set(s.authors) for s in scans))
    titles = {fold(s.source.title) for s in scans if s.source.title}
    candidates = common - titles
    if len(candidates) == 1:
        return candidates
    shown = ", ".join(sorted(scans[0].authors[c] for c in candidates or common)) or "none"
    raise NotAnExport(f"cannot tell which author is you (candidates: {shown}); pass --me NAME")


def _client_for(
    scan: _Scan, me: set[str], client_name: str | None, region: str | None
) -> tuple[ClientIn, ConversationIn]:
    others = [a for f, a in scan.authors.items() if f not in me]
    group = len(others) > 1 or scan.group_name is not None or scan.group_events
    if group:
        name = (
            client_name
            or scan.group_name
            or scan.source.title
            or next((a for f, a in scan.system_authors.items() if f not in scan.authors), None)
        )
        if not name:
            raise NotAnExport(f"{scan.source.name}: group chat without a name; pass --client NAME")
        name = name[:MAX_NAME]
        client = ClientIn(
            key=f"whatsapp-group:{stable_id(fold(name))}", name=name, tags=["whatsapp-group"]
        )
        return client, ConversationIn(key=client.key, channel=Channel.whatsapp, subject=name)
    name = (client_name or (others[0] if others else scan.source.title) or "")[:MAX_NAME]
    if not name:
        raise NotAnExport(
            f"{scan.source.name}: only your own messages and no chat title; pass --client NAME"
        )
    if looks_like_phone(name):
        phone = phone_e164(name, region)
        client = ClientIn(key=f"phone:{phone.lstrip('+')}", name=name, phone=phone)
    else:
        client = ClientIn(key=f"whatsapp:{stable_id(fold(name))}", name=name)
    return client, ConversationIn(key=f"chat:{client.key}", channel=Channel.whatsapp)


def parse_chats(
    paths: Sequence[Path],
    *,
    me: Sequence[str] = (),
    client: str | None = None,
    date_order: str | None = None,
    tz: tzinfo | None = None,
    region: str | None = None,
    skip_invalid: bool = False,
) -> list[ParsedFile]:
    """Chats imported together: checked and scanned now, their messages read lazily."""
    if date_order is not None and date_order not in DATE_ORDERS:
        raise NotAnExport(f"--date-order must be one of {', '.join(DATE_ORDERS)}")
    scans = [_scan(_Source(p)) for p in paths]
    mine = {fold(m) for m in me} if me else _detect_me(scans)
    parsed = []
    for scan in scans:
        order = _decide_order(scan, date_order)
        client_in, conversation = _client_for(scan, mine, client, region)
        chat = _Chat(scan, order, client_in, conversation, mine)
        stats = FileStats(scan.source.name)
        stats.clients.add(client_in.key)
        stats.conversations.add(conversation.key)
        parsed.append(
            ParsedFile(stats, _records(chat, stats, tz, skip_invalid), expected=scan.messages)
        )
    return parsed

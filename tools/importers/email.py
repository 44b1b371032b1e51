"""Email archives (mbox, .eml, Maildir) as conversations: threads, clean bodies, directions."""

from __future__ import annotations

import codecs
import contextlib
import email
import re
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.header import Header, decode_header, make_header
from email.message import Message as EmailMessage
from email.utils import getaddresses, parseaddr, parsedate_to_datetime
from pathlib import Path
from typing import Any

from tools.importers._common import (
    MAX_NAME,
    MAX_TEXT,
    FileStats,
    NotAnExport,
    ParsedFile,
    RecordError,
    attachment_marker,
    sniff,
    stable_id,
)
from tools.ingest import ClientIn, ConversationIn, MessageIn
from tools.models import Channel, Direction
from tools.text import fold

KIND = "an email archive (mbox, .eml or Maildir)"

_NO_REPLY = re.compile(
    r"^(?:no-?reply|do-?not-?reply|donotreply|noreply|mailer-daemon|postmaster|bounces?|"
    r"notifications?|newsletter)\b",
    re.IGNORECASE,
)
_SUBJECT_PREFIX = re.compile(
    r"^\s*(?:(?:re|fw|fwd|aw|wg|r|rv|enc|tr|sv|vs|antw|ref)\s*(?:\[\d+\])?\s*:\s*"
    r"|\[\d+\]\s*)+",
    re.IGNORECASE,
)
# "On <date>, <name> wrote:" in the languages the reply parser may miss, over up to 3 lines.
_QUOTE_HEADER = re.compile(
    r"^[ \t]*(?:On|El|Em|Am|Le|Il)\s(?:[^\n]*\n?){0,2}?[^\n]*"
    r"(?:wrote|escribió|escreveu|schrieb|a écrit|ha scritto)\s*:[ \t]*$",
    re.MULTILINE,
)
_QUOTE_VERB = re.compile(r"wrote|escribió|escreveu|schrieb|a écrit|ha scritto")
_NEEDS_PARSER = re.compile(
    r"^(?:--\s*$|-{4,}|_{8,}|(?:From|De|Von|Da|Van|Sent|Enviado|Gesendet|Envoyé|Inviato)\s?:)",
    re.MULTILINE,
)
_SENT_FROM = re.compile(
    r"sent from my|enviado desde mi|enviado do meu|von meinem|envoyé de mon|inviato da",
    re.IGNORECASE,
)
_CHARSET = re.compile(r"charset\s*=\s*\"?([^\";\s]+)", re.IGNORECASE)
# An mbox separator ends with the asctime year ("From x@y Mon Nov  2 10:15:00 2026"), so a
# body line "From now on..." after a blank line is not mistaken for one.
_FROM_LINE = re.compile(rb"^From \S*.*\d{4}(?:\s+[+-]\d{4})?\s*$")
_HEADER_LINE = re.compile(rb"^[!-9;-~]+:[ \t]")


@dataclass
class Mail:
    """One email as the importer needs it."""

    number: int
    message_id: str | None
    parents: list[str]
    subject: str
    sender: tuple[str, str]
    recipients: list[tuple[str, str]]
    sent_at: datetime
    text: str
    attachments: list[str]
    bulk: bool
    replaced: int


def _raw_8bit(raw: bytes) -> str:
    """Raw 8-bit header bytes: UTF-8 when they are, else Windows-1252."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def _header(headers: dict[str, Any], name: str) -> str:
    value = headers.get(name.lower())
    if value is None:
        return ""
    if isinstance(value, Header):  # raw 8-bit bytes in the header, no RFC 2047
        return "".join(
            _raw_8bit(chunk) if isinstance(chunk, bytes) else chunk
            for chunk, _ in decode_header(value)
        ).strip()
    value = str(value)
    if "=?" not in value:
        return value.strip()  # plain ASCII: nothing to decode (most headers)
    try:
        return str(make_header(decode_header(value))).strip()
    except (LookupError, UnicodeError, ValueError, email.errors.HeaderParseError):
        return str(value).strip()


def _decode(payload: bytes, charset: str | None) -> tuple[str, int]:
    """Text of `payload`; undecodable bytes become U+FFFD and are counted."""
    name = (charset or "utf-8").strip().strip('"').lower() or "utf-8"
    try:
        codecs.lookup(name)
    except LookupError:
        name = "utf-8"
    try:
        return payload.decode(name), 0
    except UnicodeDecodeError:
        text = payload.decode(name, errors="replace")
        return text, text.count("\ufffd") - payload.count("\ufffd".encode())


def _html_text(html: str) -> str:
    import html2text

    converter = html2text.HTML2Text()
    converter.ignore_images = True
    converter.ignore_emphasis = True
    converter.ignore_links = True
    converter.body_width = 0
    return converter.handle(html)


_reply_parser = None


def _strip_quotes(text: str) -> str:
    """The new part of a reply: quoted text, reply headers and signatures removed."""
    global _reply_parser
    cut = _QUOTE_HEADER.search(text) if _QUOTE_VERB.search(text) else None
    if cut:
        text = text[: cut.start()]
    text = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith(">"))
    if _NEEDS_PARSER.search(text) or _SENT_FROM.search(text):
        # Signatures, sign-offs and Outlook-style headers: the reply parser knows them all.
        if _reply_parser is None:
            from mailparser_reply import EmailReplyParser

            _reply_parser = EmailReplyParser(languages=["en", "es", "de", "fr", "it", "pt"])
        replies = _reply_parser.read(text).replies
        if replies:
            text = replies[0].body
    return text.strip()


def _body(msg: EmailMessage) -> tuple[str, list[str], int]:
    plain: str | None = None
    html: str | None = None
    attachments: list[str] = []
    replaced = 0
    for part in msg.walk():
        if part.is_multipart():
            continue
        disposition = (part.get("Content-Disposition") or "").lower()
        # get_filename parses every parameter: only ask when a name can be there.
        named = disposition or "name" in (part.get("Content-Type") or "")
        filename = part.get_filename() if named else None
        if filename or disposition.startswith("attachment"):
            if filename:
                with contextlib.suppress(LookupError, UnicodeError, ValueError):
                    filename = str(make_header(decode_header(filename)))
            attachments.append(filename or "attachment")
            continue
        ctype = part.get_content_type()
        if ctype not in ("text/plain", "text/html"):
            continue
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):
            continue
        charset = _CHARSET.search(part.get("Content-Type") or "")
        text, bad = _decode(payload, charset[1] if charset else None)
        replaced += bad
        if ctype == "text/plain" and plain is None:
            plain = text
        elif ctype == "text/html" and html is None:
            html = text
    if plain is not None and plain.strip():
        body = plain
    elif html is not None:
        body = _html_text(html)
    else:
        body = ""
    return _strip_quotes(body.replace("\r\n", "\n")), attachments, replaced


def _ids(value: str) -> list[str]:
    return re.findall(r"<[^<>\s]+>", value)


def _read(number: int, raw: bytes, where: str) -> Mail:
    msg = email.message_from_bytes(raw)
    if not msg.keys():
        raise RecordError(where, "no email headers")
    headers: dict[str, Any] = {}
    for key, value in msg.items():  # one pass; `msg.get` scans every header each call
        headers.setdefault(key.lower(), value)
    date = headers.get("date")
    try:
        sent_at = parsedate_to_datetime(str(date)) if date else None
    except (TypeError, ValueError, IndexError):
        sent_at = None
    if sent_at is None:
        raise RecordError(where, f"no valid Date header ({str(date or '')[:60]!r})")
    sent_at = sent_at.replace(tzinfo=UTC) if sent_at.tzinfo is None else sent_at.astimezone(UTC)
    name, address = parseaddr(_header(headers, "From"))
    if "@" not in address:
        raise RecordError(where, "no sender address in From")
    recipients = [
        (n, a.lower())
        for n, a in getaddresses([_header(headers, "To"), _header(headers, "Cc")])
        if "@" in a
    ]
    precedence = _header(headers, "Precedence").lower()
    auto = _header(headers, "Auto-Submitted").lower()
    bulk = bool(
        "list-id" in headers
        or "list-unsubscribe" in headers
        or precedence in {"bulk", "list", "junk"}
        or (auto and auto != "no")
        or _NO_REPLY.match(address.split("@")[0])
    )
    text, attachments, replaced = ("", [], 0) if bulk else _body(msg)
    message_id = _ids(_header(headers, "Message-ID"))
    references = _ids(_header(headers, "References"))
    reply_to = _ids(_header(headers, "In-Reply-To"))
    return Mail(
        number=number,
        message_id=message_id[0] if message_id else None,
        parents=references + [r for r in reply_to if r not in references],
        subject=_header(headers, "Subject"),
        sender=(name.strip(), address.lower()),
        recipients=recipients,
        sent_at=sent_at,
        text=text,
        attachments=attachments,
        bulk=bulk,
        replaced=replaced,
    )


def _mbox_messages(path: Path) -> Iterator[bytes]:
    """The raw messages of an mbox, one at a time (never the whole file in memory)."""
    current: list[bytes] = []
    blank = True
    with path.open("rb") as fh:
        for line in fh:
            if blank and line.startswith(b"From ") and _FROM_LINE.match(line):
                if current:
                    yield b"".join(current)
                current = []
                blank = False
                continue
            blank = line in (b"\n", b"\r\n")
            if line.startswith(b">") and line.lstrip(b">").startswith(b"From "):
                line = line[1:]  # mboxrd quoting
            current.append(line)
    if current:
        yield b"".join(current)


@dataclass
class _Unit:
    """One input: an mbox, an .eml file or a Maildir folder."""

    name: str
    kind: str
    paths: list[Path]


def _units(paths: Sequence[Path]) -> list[_Unit]:
    units: list[_Unit] = []
    for path in paths:
        if path.is_dir():
            folders = sorted(
                {p.parent for sub in ("cur", "new") for p in path.rglob(sub) if p.is_dir()}
            )
            if not folders:
                raise NotAnExport(f"{path}: folder without cur/ or new/, not a Maildir")
            for folder in folders:
                files = sorted(
                    f for sub in ("cur", "new") for f in (folder / sub).iterdir() if f.is_file()
                )
                units.append(_Unit(str(folder), "maildir", files))
            continue
        if not path.is_file():
            raise NotAnExport(f"{path}: no such file or folder")
        try:
            with path.open("rb") as fh:
                head = fh.read(8192)
        except OSError as exc:
            raise NotAnExport(f"{path}: {exc.strerror or exc}") from None
        sniff(str(path), head, KIND)
        first = head.lstrip(b"\r\n").split(b"\n", 1)[0]
        if first.startswith(b"From ") and _FROM_LINE.match(first + b"\n"):
            units.append(_Unit(str(path), "mbox", [path]))
        elif _HEADER_LINE.match(first):
            units.append(_Unit(str(path), "eml", [path]))
        else:
            raise NotAnExport(f"{path}: not {KIND} (no 'From ' line or email headers at the start)")
    return units


def _raw(unit: _Unit) -> Iterator[bytes]:
    if unit.kind == "mbox":
        yield from _mbox_messages(unit.paths[0])
        return
    for path in unit.paths:
        yield path.read_bytes()


def normalised_subject(subject: str) -> str:
    """A subject without reply/forward prefixes, folded ("RE: Fwd: Oferta" -> "oferta")."""
    return " ".join(fold(_SUBJECT_PREFIX.sub("", subject)).split())


@dataclass
class _Threads:
    """Thread keys of the run: by Message-ID, then subject and counterpart.

    The maps hold 64-bit hashes and shared key strings, about 100 bytes a message.
    """

    by_id: dict[int, str] = field(default_factory=dict)
    by_subject: dict[int, str] = field(default_factory=dict)

    def key(self, mail: Mail, counterpart: str) -> str:
        subject = f"{counterpart}\x1f{normalised_subject(mail.subject)}"
        key = None
        for parent in mail.parents:
            key = self.by_id.get(hash(parent))
            if key:
                break
        if key is None and mail.parents:
            key = "email:" + stable_id(mail.parents[0])  # the thread's root, as the sender saw it
        if key is None and _SUBJECT_PREFIX.match(mail.subject):
            key = self.by_subject.get(hash(subject))
        if key is None:
            key = "email:" + stable_id(mail.message_id or subject)
        key = sys.intern(key)
        if mail.message_id:
            self.by_id[hash(mail.message_id)] = key
        self.by_subject.setdefault(hash(subject), key)
        return key


def _records(
    unit: _Unit, stats: FileStats, me: set[str], threads: _Threads, skip_invalid: bool
) -> Iterator[MessageIn]:
    clients: dict[str, ClientIn] = {}
    for number, raw in enumerate(_raw(unit), start=1):
        where = f"{unit.name}: message {number}"
        try:
            mail = _read(number, raw, where)
        except RecordError as exc:
            if not skip_invalid:
                raise
            stats.errors.append(str(exc))
            stats.skipped += 1
            continue
        if mail.bulk:
            stats.skipped_bulk += 1
            continue
        outbound = mail.sender[1] in me
        if outbound:
            others = [r for r in mail.recipients if r[1] not in me]
            if not others:
                stats.skipped += 1
                continue
            name, address = others[0]
        else:
            name, address = mail.sender
        stats.replaced_chars += mail.replaced
        stats.attachments += len(mail.attachments)
        text = "\n".join([mail.text, *map(attachment_marker, mail.attachments)]).strip()
        if not text:
            text = mail.subject or "(no text)"
        client = clients.get(address)
        if client is None:
            key = f"email:{address}" if len(address) <= 190 else f"email:{stable_id(address)}"
            client = ClientIn(key=key, name=(name or address)[:MAX_NAME], email=address)
            clients[address] = client
        key = threads.key(mail, address)
        stats.clients.add(client.key)
        stats.conversations.add(key)
        stats.messages += 1
        external = mail.message_id or f"{mail.sent_at.isoformat()}\x00{mail.sender[1]}\x00{text}"
        yield MessageIn(
            client=client,
            conversation=ConversationIn(
                key=key,
                channel=Channel.email,
                subject=_SUBJECT_PREFIX.sub("", mail.subject)[:300] or None,
            ),
            external_id="mail:" + stable_id(external),
            direction=Direction.outbound if outbound else Direction.inbound,
            sender=(mail.sender[0] or mail.sender[1])[:MAX_NAME],
            sent_at=mail.sent_at,
            text=text[:MAX_TEXT],
            attachments=mail.attachments,
        )


def parse_archives(
    paths: Sequence[Path], *, me: Sequence[str], skip_invalid: bool = False
) -> list[ParsedFile]:
    """Email inputs imported together: checked now, their messages read lazily."""
    mine = {m.strip().lower() for m in me if m.strip()}
    if not mine:
        raise NotAnExport("no address of yours to tell sent from received; pass --me EMAIL")
    threads = _Threads()
    parsed = []
    for unit in _units(paths):
        stats = FileStats(unit.name)
        parsed.append(ParsedFile(stats, _records(unit, stats, mine, threads, skip_invalid)))
    return parsed

"""One email message as a `Mail`: decoded headers, a clean body without quotes or signatures."""

from __future__ import annotations

import codecs
import contextlib
import email
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.header import Header, decode_header, make_header
from email.message import Message as EmailMessage
from email.utils import getaddresses, parseaddr, parsedate_to_datetime
from typing import Any

from tools.importers._common import (
    RecordError,
)

_NO_REPLY = re.compile(
    r"^(?:no-?reply|do-?not-?reply|donotreply|noreply|mailer-daemon|postmaster|bounces?|"
    r"notifications?|newsletter)\b",
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

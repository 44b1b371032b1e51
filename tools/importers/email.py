"""Email archives (mbox, .eml, Maildir) as conversations: threads, clean bodies, directions."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

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
from tools.importers._email_message import Mail, _read
from tools.ingest import ClientIn, ConversationIn, MessageIn
from tools.models import Channel, Direction
from tools.text import fold

KIND = "an email archive (mbox, .eml or Maildir)"

_SUBJECT_PREFIX = re.compile(
    r"^\s*(?:(?:re|fw|fwd|aw|wg|r|rv|enc|tr|sv|vs|antw|ref)\s*(?:\[\d+\])?\s*:\s*"
    r"|\[\d+\]\s*)+",
    re.IGNORECASE,
)
# An mbox separator ends with the asctime year ("From x@y Mon Nov  2 10:15:00 2026"), so a
# body line "From now on..." after a blank line is not mistaken for one.
_FROM_LINE = re.compile(rb"^From \S*.*\d{4}(?:\s+[+-]\d{4})?\s*$")
_HEADER_LINE = re.compile(rb"^[!-9;-~]+:[ \t]")


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

"""Reading a WhatsApp export (.txt or .zip member) as numbered, normalised lines."""

from __future__ import annotations

import io
import unicodedata
import zipfile
from collections.abc import Iterator
from pathlib import Path

from tools.importers._common import (
    NotAnExport,
    sniff,
)
from tools.importers._whatsapp_patterns import (
    _ODD_SPACE,
    _OTHER_DIGIT,
    _SPACES,
    _TITLE,
)

KIND = "a WhatsApp chat export"


def _ascii_digits(text: str) -> str:
    """Non-ASCII decimal digits (Arabic-Indic, Devanagari...) as ASCII ones."""
    if not _OTHER_DIGIT.search(text):
        return text
    return _OTHER_DIGIT.sub(lambda m: str(unicodedata.decimal(m[0])), text)


def _normalise(line: str) -> str:
    line = line.rstrip("\r\n")
    if line.isascii():
        return line
    if _ODD_SPACE.search(line):
        line = line.translate(_SPACES)
    return _ascii_digits(line)


class _Source:
    """The chat text of a .txt or .zip export, readable more than once."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.name = str(path)
        self.member: str | None = None
        if path.is_dir():
            raise NotAnExport(f"{path}: a folder; pass the chat's .txt or .zip")
        try:
            with path.open("rb") as fh:
                head = fh.read(8192)
        except OSError as exc:
            raise NotAnExport(f"{path}: {exc.strerror or exc}") from None
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as zf:
                texts = [n for n in zf.namelist() if n.lower().endswith(".txt")]
                if not texts:
                    raise NotAnExport(f"{path}: zip file without a chat .txt, not {KIND}")
                preferred = [
                    n for n in texts if Path(n).name == "_chat.txt" or _TITLE.match(Path(n).stem)
                ]
                self.member = (preferred or texts)[0]
                with zf.open(self.member) as fh:
                    head = fh.read(8192)
            self.name = f"{path}!{self.member}"
        sniff(self.name, head, KIND)
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as exc:
            if exc.start < len(head) - 4:  # not merely a character cut at the sample's end
                raise NotAnExport(f"{self.name}: not UTF-8 text, not {KIND}") from None
        self.title = self._title()

    def _title(self) -> str | None:
        for candidate in (Path(self.member).stem if self.member else "", self.path.stem):
            match = _TITLE.match(candidate)
            if match:
                return match["name"].strip()
        return None

    def lines(self) -> Iterator[tuple[int, str]]:
        """Numbered lines, normalised (CRLF, BOM, odd spaces, digits)."""
        if self.member is None:
            raw: io.TextIOBase = self.path.open(encoding="utf-8-sig", newline=None)
            with raw:
                yield from self._numbered(raw)
            return
        with zipfile.ZipFile(self.path) as zf, zf.open(self.member) as fh:
            yield from self._numbered(io.TextIOWrapper(fh, encoding="utf-8-sig", newline=None))

    def _numbered(self, fh: io.TextIOBase) -> Iterator[tuple[int, str]]:
        try:
            for number, line in enumerate(fh, start=1):
                yield number, _normalise(line)
        except UnicodeDecodeError:
            raise NotAnExport(f"{self.name}: not UTF-8 text, not {KIND}") from None

"""Compiled regexes kept on disk between processes: the sales rule's patterns hold tens of
thousands of phrases, and Python's `re` takes seconds to build and parse each one, which every
new process (`wallie sentiment analyze`, a test run, a stdio server) would pay again.

The cache keeps what `re` hands to its C engine (`_sre.compile`): the pattern's code words and
group counts, keyed by the caller's key, the Python version and the engine's magic number. The
engine validates the code it is given; any failure to read, write or load falls back to
compiling the pattern as usual, so a missing, stale or damaged file costs time, never results.
"""

from __future__ import annotations

import _sre  # type: ignore[import-not-found]
import contextlib
import hashlib
import marshal
import os
import re
import sys
import zlib
from array import array
from collections.abc import Callable
from pathlib import Path
from re import _compiler, _parser  # type: ignore[attr-defined]

_HEADER = b"wallie-regex-1\n"


def cache_root() -> Path:
    """Where the sentiment code keeps files between runs ($WALLIE_SENTIMENT_CACHE, else
    ~/.cache/wallie-sentiment); not created here."""
    base = os.environ.get("WALLIE_SENTIMENT_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "wallie-sentiment"
    )
    return Path(base)


_NAME = r"[0-9a-f]{24}\.bin"
_LEGACY = re.compile(_NAME)  # files of versions before families


def _path(key: str, family: str = "") -> Path:
    stamp = f"{key}\0{sys.version}\0{_sre.MAGIC}\0{_sre.CODESIZE}".encode()
    name = hashlib.sha256(stamp).hexdigest()[:24] + ".bin"
    return cache_root() / "regex" / (f"{family}-{name}" if family else name)


def compiled(key: str, pattern_of: Callable[[], str], family: str = "") -> re.Pattern[str]:
    """The regex of `pattern_of()`, from the disk cache under `key` when it holds one (the key
    must change whenever the pattern would), else compiled and stored there. A new file of a
    `family` (one regex across versions: "sales-loss") replaces that family's older files."""
    path = _path(key, family)
    try:
        return _load(path)
    except Exception:  # no file, another Python, damaged: compile instead
        pass
    pattern = pattern_of()
    try:
        found, parts = _compile(pattern)
    except Exception:  # an engine whose internals differ: the usual way
        return re.compile(pattern)
    with contextlib.suppress(OSError):  # a read-only home: compile again next time
        if _store(path, parts) and family:
            _prune(path, family)
    return found


def _prune(kept: Path, family: str) -> None:
    """Remove the family's other files (older phrases, another Python) and files of versions
    before families: each rule change would otherwise leave megabytes behind."""
    same = re.compile(re.escape(family) + "-" + _NAME)  # not "sales-win-alone-…" for "sales-win"
    for other in kept.parent.iterdir():
        name = other.name
        if other != kept and (same.fullmatch(name) or _LEGACY.fullmatch(name)):
            with contextlib.suppress(OSError):  # another process removed it first
                other.unlink()


_Parts = tuple[str, int, list[int], int, dict[str, int], tuple[str | None, ...]]


def _compile(pattern: str) -> tuple[re.Pattern[str], _Parts]:
    """The regex, compiled as `re._compiler.compile` does, and the engine's arguments."""
    parsed = _parser.parse(pattern, 0)
    code = _compiler._code(parsed, 0)
    groupindex = parsed.state.groupdict
    indexgroup: list[str | None] = [None] * parsed.state.groups
    for name, at in groupindex.items():
        indexgroup[at] = name
    parts: _Parts = (
        pattern,
        parsed.state.flags,
        [int(word) for word in code],
        parsed.state.groups - 1,
        dict(groupindex),
        tuple(indexgroup),
    )
    return _sre.compile(*parts), parts


def _store(path: Path, parts: _Parts) -> bool:
    """Write the engine's arguments to `path`; False when the pattern is not kept."""
    pattern, flags, code, groups, groupindex, indexgroup = parts
    if groupindex:  # the sales patterns name no group; anything else is compiled each time
        return False
    body = marshal.dumps(
        (
            flags,
            groups,
            len(indexgroup),
            zlib.compress(pattern.encode(), 1),
            zlib.compress(array("I", code).tobytes(), 1),
        )
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(f".{os.getpid()}.tmp")
    temporary.write_bytes(_HEADER + hashlib.sha256(body).digest() + body)
    os.replace(temporary, path)  # readers see the old file or the whole new one
    return True


def _load(path: Path) -> re.Pattern[str]:
    data = path.read_bytes()
    if not data.startswith(_HEADER):
        raise ValueError("not a regex cache file")
    digest, body = data[len(_HEADER) : len(_HEADER) + 32], data[len(_HEADER) + 32 :]
    if hashlib.sha256(body).digest() != digest:
        raise ValueError("damaged regex cache file")
    flags, groups, slots, pattern, code = marshal.loads(body)
    words = array("I")
    words.frombytes(zlib.decompress(code))
    found: re.Pattern[str] = _sre.compile(
        zlib.decompress(pattern).decode(), flags, words.tolist(), groups, {}, (None,) * slots
    )
    return found

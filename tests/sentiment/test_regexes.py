"""The disk cache of compiled regexes: what it loads matches exactly what `re` compiles."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tools.sentiment import _regexes, corpora
from tools.sentiment._model import _rule_pattern, loss_text
from tools.sentiment.train import SALES_FILE


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty cache folder for this test."""
    monkeypatch.setenv("WALLIE_SENTIMENT_CACHE", str(tmp_path))
    return tmp_path / "regex"


def _never() -> str:
    raise AssertionError("the pattern was built again instead of read from the cache")


def _spans(regex: re.Pattern[str], texts: list[str]) -> list[list[tuple[int, int]]]:
    return [[m.span() for m in regex.finditer(t)] for t in texts]


def test_a_cached_regex_is_read_back_and_matches_as_compiled(cache: Path) -> None:
    pattern = r"(?<![\w~])(?:()(?:can (?:you|someone) come|how much to)|(?:is|are) leaking)(?![\w])"
    texts = ["roof is leaking , can someone come", "how much to fix it", "no match here"]
    first = _regexes.compiled("test", lambda: pattern)
    assert len(list(cache.iterdir())) == 1
    again = _regexes.compiled("test", _never)
    fresh = re.compile(pattern)
    assert again.pattern == pattern and again.groups == fresh.groups
    assert _spans(again, texts) == _spans(first, texts) == _spans(fresh, texts)
    assert [m.groups() for m in again.finditer(texts[0])] == [
        m.groups() for m in fresh.finditer(texts[0])
    ]
    # Another key is another file.
    _regexes.compiled("other", lambda: "leak")
    assert len(list(cache.iterdir())) == 2


def test_a_new_version_of_a_regex_replaces_its_older_files(cache: Path) -> None:
    _regexes.compiled("leak v1", lambda: "leak", "sales-complaint")
    _regexes.compiled("cancel v1", lambda: "cancel", "sales-loss")
    cache.joinpath("0123456789abcdef01234567.bin").write_bytes(b"a file of an older version")
    _regexes.compiled("leak v2", lambda: "leak(?:ing)?", "sales-complaint")
    names = sorted(path.name for path in cache.iterdir())
    # One file per family: the newest complaint regex, the loss regex untouched.
    assert [name.split("-")[1] for name in names] == ["complaint", "loss"]
    assert _regexes.compiled("leak v2", _never, "sales-complaint").search("is leaking")
    assert _regexes.compiled("cancel v1", _never, "sales-loss").search("cancel")


def test_a_damaged_cache_file_is_compiled_again(cache: Path) -> None:
    _regexes.compiled("test", lambda: "leak(?:ing)?")
    (path,) = cache.iterdir()
    data = path.read_bytes()
    path.write_bytes(data[:-10] + b"0123456789")
    built: list[str] = []

    def pattern() -> str:
        built.append("again")
        return "leak(?:ing)?"

    regex = _regexes.compiled("test", pattern)
    assert built == ["again"]
    assert regex.search("is leaking").span() == (3, 10)  # type: ignore[union-attr]
    assert _regexes.compiled("test", _never).search("a leak")  # rewritten whole


def test_the_sales_rule_read_from_the_cache_matches_a_fresh_compile(cache: Path) -> None:
    # Every kind small enough to compile quickly here; the large ones are the same code path,
    # and the golden file compares every result of the analyser, cached or not.
    said = [loss_text(text) for _, _, text in corpora.load_labelled(SALES_FILE)[:3000]]
    for kind in ("plain", "resolved", "stay", "request", "blame"):
        pattern = _rule_pattern(kind)
        _regexes.compiled(kind, lambda pattern=pattern: pattern)  # type: ignore[misc]
        cached = _regexes.compiled(kind, _never)
        assert _spans(cached, said) == _spans(re.compile(pattern), said), kind

"""Which language a text is in: Spanish, English, or another we recognise but do not score."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from pathlib import Path

DATA = Path(__file__).parent / "data"
SCORED = ("es", "en")
# Recognised so they are not scored with the wrong lexicon; their sentiment is left neutral.
OTHERS = ("pt", "fr", "it", "de")


@cache
def _cues() -> dict[str, dict[str, tuple[tuple[str, float], ...]]]:
    """word -> (language, share) for each language that uses it, from data/languages.tsv."""
    table: dict[str, list[str]] = {}
    for line in (DATA / "languages.tsv").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        language, words = line.split("\t", 1)
        for word in words.split():
            langs = table.setdefault(word, [])
            if language not in langs:
                langs.append(language)
    # A word shared by several languages counts less for each.
    return {"words": {w: tuple((lang, 1.0 / len(v)) for lang in v) for w, v in table.items()}}


def detect(words: Iterable[str]) -> str:
    """'es', 'en', 'mixed' (both), 'pt', 'fr', 'it', 'de' or 'unknown', from folded words."""
    table = _cues()["words"]
    counts: dict[str, float] = {}
    for word in words:
        langs = table.get(word)
        if langs:
            for language, share in langs:
                counts[language] = counts.get(language, 0.0) + share
    return decide(counts)


def decide(counts: dict[str, float]) -> str:
    """The language named by cue-word counts (summed shares per language, as `detect` sums)."""
    if not counts:
        return "unknown"
    es, en = counts.get("es", 0.0), counts.get("en", 0.0)
    if len(counts) > (es > 0) + (en > 0):  # another language's words are present
        other, other_count = OTHERS[0], 0.0
        for lang in OTHERS:  # the first of the most frequent, as max() would pick
            n = counts.get(lang, 0.0)
            if n > other_count:
                other, other_count = lang, n
        if other_count > max(es, en) and other_count >= 1.0:
            return other
    if es == 0 and en == 0:
        return "unknown"
    if es and en and min(es, en) / max(es, en) >= 0.34:
        return "mixed"
    return "es" if es >= en else "en"

"""Offline sentiment and emotions for Spanish and English chat text.

`analyze(text)` gives a label, a score in -1..1, a confidence, the language, six basic
emotions and the words that drove the result. English words come from VADER's lexicon,
Spanish ones from a stem lexicon plus our own chat and sales vocabulary (see
LEXICON-SOURCES.md); rules cover negation, intensifiers, contrast, emoji, elongation,
capitals, "!!!" and chat abbreviations.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

from tools.sentiment._analyzer import Analyzer, SentimentResult, detect_language

__all__ = ["SentimentResult", "analyze", "analyze_many", "detect_language"]


@cache
def _analyzer() -> Analyzer:
    return Analyzer()


def analyze(text: str) -> SentimentResult:
    """The sentiment of one text."""
    return _analyzer().analyze(text)


def analyze_many(texts: Iterable[str]) -> list[SentimentResult]:
    """The sentiment of each text, in order."""
    run = _analyzer().analyze
    return [run(t) for t in texts]

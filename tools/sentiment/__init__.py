"""Offline sentiment and emotions for Spanish and English chat text.

`analyze(text)` gives a label, a score in -1..1, a confidence, the language, six basic
emotions and the words that drove the result. A linear model over word and character
n-grams plus lexicon scores (trained by `python -m tools.sentiment.train` on the sources in
DATA-SOURCES.md, shipped as data/model.json) decides; the lexicons (LEXICON-SOURCES.md)
explain. Text in Portuguese, French, Italian or German is recognised and left neutral with
low confidence rather than scored with the wrong language's words.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import cache

from tools.sentiment._analyzer import SentimentResult
from tools.sentiment._fast import Fast
from tools.sentiment._language import detect as _detect
from tools.sentiment._lexicon import Lexicons
from tools.sentiment._model import (
    Lexical,
    Linear,
    model_version,
    weights,
)

__all__ = [
    "SentimentResult",
    "analyze",
    "analyze_many",
    "detect_language",
    "model_version",
    "score_many",
]


def detect_language(words: list[str], lex: Lexicons | None = None, text: str = "") -> str:
    """'es', 'en', 'mixed', 'pt', 'fr', 'it', 'de' or 'unknown', from folded words (and the
    text they come from, read when the words are not telling)."""
    return _detect(words, text)


class _Scorer:
    def __init__(self) -> None:
        self.lexical = Lexical()
        self.lex = self.lexical._analyzer.lex
        self.weights = weights()
        self.linear = Linear(self.weights)
        self.fast = Fast(self.lexical, self.linear)
        self.analyze = self.fast.analyze

    def analyze_many(self, texts: Iterable[str]) -> list[SentimentResult]:
        run = self.analyze
        with _collection_paused():
            return [run(t) for t in texts]


@contextmanager
def _collection_paused() -> Iterator[None]:
    """Batch scoring with the cyclic garbage collector paused.

    Scoring makes no reference cycles, but the scorer's caches hold tens of thousands of
    tuples (some holding dicts, so never untracked) that every full collection would scan
    again for nothing: 7% of a full analysis, 15-20% of label-and-score."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@cache
def _scorer() -> _Scorer:
    return _Scorer()


def analyze(text: str) -> SentimentResult:
    """The sentiment of one text."""
    return _scorer().analyze(text)


def analyze_many(texts: Iterable[str]) -> list[SentimentResult]:
    """The sentiment of each text, in order."""
    return _scorer().analyze_many(texts)


def score_many(texts: Iterable[str]) -> list[tuple[str, float]]:
    """Each text's (label, score), in order: `analyze_many` without emotions and drivers."""
    run = _scorer().fast.score
    with _collection_paused():
        return [run(text) for text in texts]

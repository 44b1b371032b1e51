"""Offline sentiment and emotions for Spanish and English chat text.

`analyze(text)` gives a label, a score in -1..1, a confidence, the language, six basic
emotions and the words that drove the result. A linear model over word and character
n-grams plus lexicon scores (trained by `python -m tools.sentiment.train` on the sources in
DATA-SOURCES.md, shipped as data/model.json) decides; the lexicons (LEXICON-SOURCES.md)
explain. Text in Portuguese, French, Italian or German is recognised and left neutral with
low confidence rather than scored with the wrong language's words.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

from tools.sentiment._analyzer import SentimentResult
from tools.sentiment._language import OTHERS
from tools.sentiment._language import detect as _detect
from tools.sentiment._lexicon import Lexicons
from tools.sentiment._model import (
    CLASSES,
    Lexical,
    Linear,
    drivers,
    emotions,
    featurize,
    model_version,
    weights,
)

__all__ = [
    "SentimentResult",
    "analyze",
    "analyze_many",
    "detect_language",
    "model_version",
]


def detect_language(words: list[str], lex: Lexicons | None = None) -> str:
    """'es', 'en', 'mixed', 'pt', 'fr', 'it', 'de' or 'unknown', from folded words."""
    return _detect(words)


class _Scorer:
    def __init__(self) -> None:
        self.lexical = Lexical()
        self.lex = self.lexical._analyzer.lex
        self.weights = weights()
        self.linear = Linear(self.weights)

    def analyze(self, text: str) -> SentimentResult:
        f = featurize(text, self.lexical)
        if f.language in OTHERS:
            # Recognised but not scored: neither lexicon nor model knows this language.
            return SentimentResult(
                label="neutral",
                score=0.0,
                confidence=0.2,
                language=f.language,
                emotions=emotions(f, self.lex, 0.0),
                drivers=[],
            )
        p_pos, p_neu, p_neg = self.linear.probabilities(f)
        label = CLASSES[max(range(3), key=(p_pos, p_neu, p_neg).__getitem__)]
        score = p_pos - p_neg
        return SentimentResult(
            label=label,
            score=round(score, 4),
            confidence=round(max(p_pos, p_neu, p_neg), 3),
            language=f.language,
            emotions=emotions(f, self.lex, abs(score)),
            drivers=[f"{w}({v:+.1f})" for w, v in drivers(f, self.linear)],
        )


@cache
def _scorer() -> _Scorer:
    return _Scorer()


def analyze(text: str) -> SentimentResult:
    """The sentiment of one text."""
    return _scorer().analyze(text)


def analyze_many(texts: Iterable[str]) -> list[SentimentResult]:
    """The sentiment of each text, in order."""
    run = _scorer().analyze
    return [run(t) for t in texts]

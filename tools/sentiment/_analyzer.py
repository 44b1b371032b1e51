"""The offline analyser: lexicon lookups plus chat rules, in one pass over the tokens."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from tools.sentiment._lexicon import (
    ABBREVIATIONS,
    CONTRAST,
    EMOTIONS,
    EN_NEGATIONS,
    ES_BOOSTERS,
    ES_NEGATIONS,
    ES_SUFFIXES,
    LAUGHTER,
    PHRASE_BOOSTERS,
    PHRASE_VALENCE,
    PHRASES,
    Lexicons,
    fold,
    lexicons,
)

# Emoticons first (so ":)" is one token), then words (letters, digits, apostrophes),
# then single symbols (emoji, "!" and "?").
_TOKEN = re.compile(
    r"(?:[:;=8xX][-']?[)(\]\[dDpP/\\|*3]+|<3|\(:|\):)"
    r"|[^\W_](?:[\w']*[^\W_])?"
    r"|[!?]"
    r"|[^\s\w]",
)
_ELONGATED = re.compile(r"(\w)\1{2,}")
_LAUGH = re.compile(r"^(?:(?:ja|je|ji|ha|he|hi|ah|aj){2,}[jah]*|lol+|lmao+|jiji+|xd+)$")
_PHRASE = re.compile("|".join(sorted((re.escape(p) for p in PHRASES), key=len, reverse=True)))

# Cheap substring checks that decide whether the phrase regex needs to run at all.
_PHRASE_HINTS = (
    "sin ",
    "no ",
    "de nada",
    "por ",
    "thank",
    "kind",
    "sort",
    " de ",
    "vez",
    "veces",
    "para ",
    "ya ",
    "un poco",
    "a bit",
    "a little",
    "vale la",
    "me encant",
    "mil ",
    "lo siento",
    "ningun",
    "otro ",
)
NEGATION_SCOPE = 3
N_SCALAR = -0.74
CAPS_INCR = 0.733
EXCLAIM = 0.292
ELONGATION_INCR = 0.4
ALPHA = 15.0  # VADER's normalisation: score = s / sqrt(s^2 + alpha)
THRESHOLD = 0.25  # |score| below this is neutral: chat is mostly polite small talk


@dataclass(slots=True)
class SentimentResult:
    """One text's sentiment: label, score in -1..1, confidence, language, emotions, drivers."""

    label: str
    score: float
    confidence: float
    language: str
    emotions: dict[str, float] = field(default_factory=dict)
    drivers: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The result as plain JSON-able data."""
        return {
            "label": self.label,
            "score": self.score,
            "confidence": self.confidence,
            "language": self.language,
            "emotions": dict(self.emotions),
            "drivers": list(self.drivers),
        }


def detect_language(words: list[str], lex: Lexicons | None = None) -> str:
    """'es', 'en', 'mixed' or 'unknown', from function words in folded tokens."""
    lex = lex or lexicons()
    es = sum(1 for w in words if w in lex.es_cues)
    en = sum(1 for w in words if w in lex.en_cues)
    if es == 0 and en == 0:
        return "unknown"
    if es and en and min(es, en) / max(es, en) >= 0.34:
        return "mixed"
    return "es" if es >= en else "en"


class Analyzer:
    """Scores texts; keeps a small memo of word lookups (the hot path)."""

    def __init__(self, lex: Lexicons | None = None) -> None:
        self.lex = lex or lexicons()
        self._memo_es: dict[str, float] = {}

    def _spanish(self, word: str) -> float:
        found = self._memo_es.get(word)
        if found is not None:
            return found
        listed = self.lex.spanish_words.get(word)
        value = listed or 0.0
        if listed is None and len(word) >= 5:
            stems = self.lex.spanish_stems
            # Longest stem first; the rest of the word must be a Spanish inflection.
            for cut in range(len(word), 3, -1):
                stem_value = stems.get(word[:cut])
                if stem_value is not None and word[cut:] in ES_SUFFIXES:
                    value = stem_value
                    break
        if len(self._memo_es) < 200_000:
            self._memo_es[word] = value
        return value

    def _valence(self, word: str, language: str) -> float:
        english = self.lex.english.get(word, 0.0)
        if language == "en":
            return english or self.lex.spanish_words.get(word, 0.0)
        spanish = self._spanish(word)
        if language == "es":
            return spanish or (english if len(word) > 3 else 0.0)
        return spanish or english

    def analyze(self, text: str) -> SentimentResult:
        """The sentiment of one text."""
        lex = self.lex
        folded = fold(text)
        if any(p in folded for p in _PHRASE_HINTS):
            folded = _PHRASE.sub(lambda m: PHRASES[m.group(0)], folded)
        raw_tokens = _TOKEN.findall(text)
        tokens = _TOKEN.findall(folded)
        if len(raw_tokens) != len(tokens):
            raw_tokens = tokens  # a phrase was merged: caps emphasis is lost, nothing else
        words = [t for t in tokens if t[0].isalnum()]
        language = detect_language(words, lex)
        shouting_everywhere = text.isupper()

        contributions: list[tuple[str, float]] = []
        emotion_hits: dict[str, float] = {}
        negate_left = 0
        boost = 0.0
        contrast_at = -1
        concessive_until = -1
        exclaims = 0
        negated_recently = False
        for i, token in enumerate(tokens):
            first = token[0]
            if first == "!":
                exclaims += 1
                continue
            if first == "?" or first in ".,;":
                negate_left = 0
                if first != "?":
                    concessive_until = -1 if concessive_until == -2 else concessive_until
                continue
            value = 0.0
            word = token
            emphasis = 0.0
            if first.isalnum():
                word = ABBREVIATIONS.get(token, token)
                if _ELONGATED.search(word):
                    shorter = _ELONGATED.sub(r"\1\1", word)
                    shortest = _ELONGATED.sub(r"\1", word)
                    word = shortest if self._known(shortest, language) else shorter
                    emphasis += ELONGATION_INCR
                if word in CONTRAST:
                    if word in ("aunque", "though", "although") and contrast_at < 0:
                        concessive_until = -2  # until the next comma: a weaker clause
                    else:
                        contrast_at = len(contributions)
                    negate_left = 0
                    continue
                if word in ("nada", "all") and negated_recently:
                    # "no me gusta nada", "not good at all": emphasis, not a second flip.
                    w, v = contributions[-1]
                    contributions[-1] = (w, v * 1.4)
                    negated_recently = False
                    continue
                if word in ES_NEGATIONS or word in EN_NEGATIONS or word.endswith("n't"):
                    if word == "nada" and negate_left:
                        boost += 0.293  # "no ... nada bueno": emphasis before the word
                        continue
                    negate_left = NEGATION_SCOPE
                    continue
                b = ES_BOOSTERS.get(word) or lex.boosters_en.get(word) or PHRASE_BOOSTERS.get(word)
                if b:
                    boost += b
                    continue
                if _LAUGH.match(word):
                    value = LAUGHTER
                else:
                    value = PHRASE_VALENCE.get(word) or self._valence(word, language)
                raw = raw_tokens[i] if i < len(raw_tokens) else token
                if value and not shouting_everywhere and len(raw) > 1 and raw.isupper():
                    emphasis += CAPS_INCR
            else:
                value = lex.symbols.get(token, 0.0)
            for emotion in lex.emotions.get(word, ()):
                emotion_hits[emotion] = emotion_hits.get(emotion, 0.0) + 1.0
            if not value:
                if negate_left:
                    negate_left -= 1
                boost *= 0.5 if first.isalnum() else 1.0
                continue
            if boost or emphasis:
                value += math.copysign(1.0, value) * (boost + emphasis)
            boost = 0.0
            negated_recently = bool(negate_left)
            if negate_left:
                value *= N_SCALAR
                negate_left = 0
            if concessive_until == -2:
                value *= 0.5
            contributions.append((word, value))

        if contrast_at >= 0:
            contributions = [
                (w, v * (0.5 if k < contrast_at else 1.5)) for k, (w, v) in enumerate(contributions)
            ]
        total = sum(v for _, v in contributions)
        if total and exclaims:
            total += math.copysign(min(exclaims, 4) * EXCLAIM, total)
        score = total / math.sqrt(total * total + ALPHA) if total else 0.0
        label = (
            "positive" if score >= THRESHOLD else "negative" if score <= -THRESHOLD else "neutral"
        )
        if contributions:
            confidence = min(1.0, 0.45 + abs(score) * 0.5 + 0.05 * len(contributions))
        else:
            confidence = 0.6 if words else 0.3  # no evidence either way: neutral by default
        drivers = [f"{w}({v:+.1f})" for w, v in sorted(contributions, key=lambda c: -abs(c[1]))[:6]]
        emotions = {e: 0.0 for e in EMOTIONS}
        for emotion, n in emotion_hits.items():
            emotions[emotion] = round(min(1.0, 0.4 * n + 0.2 * abs(score)), 3)
        return SentimentResult(
            label=label,
            score=round(score, 4),
            confidence=round(confidence, 3),
            language=language,
            emotions=emotions,
            drivers=drivers,
        )

    def _known(self, word: str, language: str) -> bool:
        return bool(
            self._valence(word, language)
            or word in self.lex.es_cues
            or word in self.lex.en_cues
            or word in ES_NEGATIONS
            or word in EN_NEGATIONS
        )

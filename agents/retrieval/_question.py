"""Reading a question: its language, names, topic words, time frame and intent."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Literal

from agents.retrieval._vocab import (
    complaint_stems,
    filler_words,
    mood_words,
    question_words,
    synonyms,
)
from tools.sentiment import detect_language
from tools.text import fold, words

Language = Literal["es", "en"]
# What the question is about; the planner keeps one tool plan per intent.
Intent = Literal["client", "mood", "topic"]

_CAPITALISED = re.compile(r"\b([A-ZÁÉÍÓÚÑÜ][\wáéíóúñü]+(?:\s+[A-ZÁÉÍÓÚÑÜ][\wáéíóúñü]+)*)")
_QUOTED = re.compile(r"[\"“«']([^\"”»']{2,60})[\"”»']")
_LAST_DAYS = re.compile(r"(?:ultimos|last)\s+(\d{1,3})\s+(?:dias|days)")


@dataclass
class Plan:
    """What the question asks for, as far as simple rules can tell."""

    question: str
    language: Language
    names: list[str]
    terms: list[str]
    since: str | None = None
    until: str | None = None
    mood: bool = False
    complaint: bool = False

    @property
    def intent(self) -> Intent:
        """The kind of question: about named clients, their mood, or a topic across clients."""
        if self.names:
            return "mood" if self.mood else "client"
        return "topic"

    @property
    def query(self) -> str:
        """The message-search query: the topic words with their synonyms."""
        expanded: list[str] = []
        for term in self.terms:
            for word in synonyms().get(term, [term]):
                if word not in expanded:
                    expanded.append(word)
        return " ".join(expanded)

    @property
    def window(self) -> dict[str, str]:
        """The time frame as search arguments."""
        return {k: v for k, v in (("since", self.since), ("until", self.until)) if v}


def _names(question: str) -> list[str]:
    names: list[str] = [q.strip() for q in _QUOTED.findall(question)]
    for match in _CAPITALISED.findall(question):
        parts = [p for p in match.split() if fold(p) not in question_words()]
        candidate = " ".join(parts)
        if candidate and candidate not in names and len(candidate) > 2:
            names.append(candidate)
    return names


def _window(folded: str, today: date) -> tuple[str | None, str | None]:
    if "este mes" in folded or "this month" in folded:
        return today.replace(day=1).isoformat(), None
    if "mes pasado" in folded or "last month" in folded:
        last = today.replace(day=1) - timedelta(days=1)
        return last.replace(day=1).isoformat(), last.isoformat()
    if "esta semana" in folded or "this week" in folded:
        return (today - timedelta(days=today.weekday())).isoformat(), None
    if "hoy" in folded.split() or "today" in folded:
        return today.isoformat(), None
    if m := _LAST_DAYS.search(folded):
        return (today - timedelta(days=int(m.group(1)))).isoformat(), None
    return None, None


def plan_question(question: str, today: date | None = None) -> Plan:
    """Names, topic words, time frame and intent of a question."""
    language: Language = "en" if detect_language(words(question)) == "en" else "es"
    names = _names(question)
    since, until = _window(fold(question), today or datetime.now(UTC).date())
    name_words = {w for n in names for w in words(n)}
    said = words(question)
    terms: list[str] = []
    for w in said:
        ignored = w in filler_words() or w in name_words or w in mood_words() or w.isdigit()
        if not ignored and w not in terms:
            terms.append(w)
    return Plan(
        question=question,
        language=language,
        names=names[:3],
        terms=terms[:4],
        since=since,
        until=until,
        mood=any(w in mood_words() for w in said),
        complaint=any(w.startswith(complaint_stems()) for w in said),
    )

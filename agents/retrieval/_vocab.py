"""The planner's word lists, read from the data files in `words/`."""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path
from typing import Any

from tools.text import STOP_WORDS

WORDS = Path(__file__).parent / "words"


def _lines(name: str) -> list[str]:
    text = (WORDS / name).read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and line[0] != "#"]


@cache
def question_words() -> frozenset[str]:
    """Words that open or frame a question; never part of a client's name."""
    return frozenset(_lines("question.txt"))


@cache
def filler_words() -> frozenset[str]:
    """Words of a question that are not its topic."""
    return STOP_WORDS | question_words() | frozenset(_lines("filler.txt"))


@cache
def mood_words() -> frozenset[str]:
    """Words that ask about mood, satisfaction or churn risk."""
    return frozenset(_lines("mood.txt"))


@cache
def complaint_stems() -> tuple[str, ...]:
    """Word beginnings that mark a complaint."""
    return tuple(_lines("complaint.txt"))


@cache
def synonyms() -> dict[str, list[str]]:
    """What to search for a topic word: the words people use for the same topic."""
    table: dict[str, list[str]] = {}
    for line in _lines("synonyms.tsv"):
        word, _, expansion = line.partition("\t")
        table[word] = expansion.split()
    return table


@cache
def cues() -> dict[str, Any]:
    """The question reader's cues by meaning (`words/cues.toml`)."""
    with (WORDS / "cues.toml").open("rb") as file:
        return tomllib.load(file)


@cache
def cues_of_language() -> dict[str, frozenset[str]]:
    """Words that mark Spanish and English questions (`words/language.toml`)."""
    with (WORDS / "language.toml").open("rb") as file:
        return {lang: frozenset(ws) for lang, ws in tomllib.load(file).items()}


@cache
def industries() -> dict[str, list[str]]:
    """Industry words by the spelling tried first (`words/industries.toml`), folded."""
    with (WORDS / "industries.toml").open("rb") as file:
        return {name: list(table["words"]) for name, table in tomllib.load(file).items()}

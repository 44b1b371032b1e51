"""Query words to search terms: stop words out, Snowball stems, a bilingual sales vocabulary."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from tools.text import words

DATA = Path(__file__).parent / "data"
MAX_TERMS = 8  # query words searched at most: bounds the work of one search
MAX_ALTERNATIVES = 32  # words one query word may expand to through the vocabulary


@cache
def stop_words() -> frozenset[str]:
    """Spanish and English words that carry no topic (folded)."""
    lines = (DATA / "stopwords.txt").read_text(encoding="utf-8").splitlines()
    return frozenset(w for line in lines if not line.startswith("#") for w in words(line))


@cache
def _stemmers() -> tuple[Any, Any]:
    import snowballstemmer  # loads 36 languages: only when a search first needs it

    return snowballstemmer.stemmer("spanish"), snowballstemmer.stemmer("english")


@lru_cache(maxsize=65536)
def stems(word: str) -> frozenset[str]:
    """The Spanish and English Snowball stems of a folded word (digits stay whole)."""
    if word.isdigit() or word in _vocabulary()[1]:
        return frozenset({word})
    spanish, english = _stemmers()
    return frozenset({spanish.stemWord(word), english.stemWord(word)})


@cache
def _vocabulary() -> tuple[tuple[frozenset[str], ...], frozenset[str]]:
    """Concept word sets and the names kept whole."""
    concepts: list[frozenset[str]] = []
    keep: set[str] = set()
    for line in (DATA / "vocabulary.txt").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        name, _, rest = line.partition(":")
        found = words(rest)
        if name.strip() == "keep":
            keep.update(found)
        else:
            concepts.append(frozenset(found))
    return tuple(concepts), frozenset(keep)


@cache
def _concept_stems() -> tuple[tuple[frozenset[str], frozenset[str]], ...]:
    return tuple(
        (concept, frozenset().union(*(stems(w) for w in concept))) for concept in _vocabulary()[0]
    )


@dataclass(frozen=True)
class Term:
    """One query word and what it matches: its own stems and those of its synonyms."""

    word: str
    alternatives: tuple[str, ...]
    stems: frozenset[str]
    whole: bool = False

    def matches(self, token: str) -> bool:
        """Whether an indexed (folded) token stands for this term."""
        if self.whole:
            return token == self.word
        return bool(stems(token) & self.stems)

    def literal(self, token: str) -> bool:
        """Whether a matching token is the query word itself (its own stem), not one of the
        vocabulary's other words for it."""
        if self.whole:
            return token == self.word
        return bool(stems(token) & stems(self.word))

    @property
    def prefixes(self) -> frozenset[str]:
        """Prefixes every matching token starts with (for scanning an index vocabulary)."""
        if self.whole:
            return frozenset({self.word})
        # Snowball may change a stem's last letter ("delivery" -> "deliveri"): drop it.
        return frozenset(s[:-1] if len(s) > 4 else s for s in self.stems)


def expand(word: str) -> Term:
    """The search term for one folded query word."""
    if word in _vocabulary()[1] or word.isdigit():
        return Term(word, (word,), frozenset({word}), whole=True)
    own = stems(word)
    alternatives = [word]
    for concept, concept_stems in _concept_stems():
        if word in concept or own & concept_stems:
            alternatives += sorted(concept - {word})
    unique = tuple(dict.fromkeys(alternatives))[:MAX_ALTERNATIVES]
    return Term(word, unique, frozenset().union(*(stems(w) for w in unique)))


def query_terms(query: str) -> list[Term]:
    """The terms of a message search: topic words only, at most MAX_TERMS, each expanded."""
    stop = stop_words()
    seen: dict[str, None] = {}
    for w in words(query):
        if w in stop or (len(w) < 2 and not w.isdigit()):
            continue
        seen.setdefault(w, None)
    return [expand(w) for w in list(seen)[:MAX_TERMS]]


def name_trigrams(text: str) -> set[str]:
    """pg_trgm-style trigrams of each word ("  a", " an", "ana", "na ")."""
    grams: set[str] = set()
    for w in words(text):
        padded = f"  {w} "
        grams.update(padded[i : i + 3] for i in range(len(padded) - 2))
    return grams


def similarity(a: str, b: str) -> float:
    """Trigram similarity in 0..1, as PostgreSQL's pg_trgm `similarity` computes it."""
    x, y = name_trigrams(a), name_trigrams(b)
    if not x or not y:
        return 0.0
    return len(x & y) / len(x | y)

"""Reading a question: language, who it names, topic words, time frame, filters and intent."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import Literal

from agents.retrieval._vocab import (
    complaint_stems,
    cues,
    cues_of_language,
    filler_words,
    industries,
    mood_words,
    question_words,
    synonyms,
)
from tools.sentiment import detect_language
from tools.text import fold, words

Language = Literal["es", "en"]
# What the question asks for; the planner keeps one way of answering per intent.
Intent = Literal["client", "mood", "compare", "count", "list", "risk", "topic"]
Outcome = Literal["won", "lost", "open"]
MoodLabel = Literal["positive", "negative"]

_NAME_WORD = r"[A-ZÁÉÍÓÚÑÜ][\wáéíóúñü'-]+"
_CAPITALISED = re.compile(rf"{_NAME_WORD}(?:\s+(?:de\s+la\s+|de\s+|del\s+)?{_NAME_WORD})*")
_QUOTED = re.compile(r"[\"“«]([^\"”»]{2,60})[\"”»]")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"(?<![\w:#])\(?\+?\(?\d[\d\s().-]{5,}\d(?![\w:])")
_ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
_IDS = re.compile(r"\[client:(\d+)\]|\b(?:client|cliente)\s*(?:id\s*)?#?\s*(\d+)\b|#(\d+)\b", re.I)
_LAST_N = re.compile(r"\b(?:ultimos|ultimas|last|past)\s+(\d{1,3})\s+(dias|days|semanas|weeks)\b")
_INDUSTRY_NAMED = re.compile(
    r"\b(?:sector|industria|industry|rubro|ramo)\s+(?:de\s+(?:la\s+)?)?(\w{3,})"
)
# "in over a month", "for more than 2 weeks", "hace más de un mes": quiet since before then.
_QUIET = re.compile(
    r"\b(?:(?:in|for)\s+(?:over|more\s+than)|(?:desde\s+)?(?:hace\s+)?mas\s+de)\s+"
    r"(a|an|one|two|three|un|una|dos|tres|\d{1,3})\s+"
    r"(days?|weeks?|months?|dias?|semanas?|mes|meses)\b"
)
_COUNTS = {"a": 1, "an": 1, "one": 1, "un": 1, "una": 1, "two": 2, "dos": 2, "three": 3, "tres": 3}
_UNIT_DAYS = {"day": 1, "dia": 1, "week": 7, "semana": 7, "month": 30, "mes": 30, "meses": 30}
_TOP = re.compile(
    r"\b(?:top|mejores|best|primeros|first)\s+(\d{1,2})\b|\b(\d{1,2})\s+(?:mejores|best)\b"
)
_AGO = re.compile(r"\b(?:hace\s+(\d{1,3})\s+(?:dias|days)|(\d{1,3})\s+days\s+ago)\b")


@dataclass
class Plan:
    """What the question asks for, as far as its words tell."""

    question: str
    language: Language
    names: list[str]
    terms: list[str]
    name_terms: list[str] = field(default_factory=list)  # topic words if no name is a client
    phones: list[str] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    client_ids: list[int] = field(default_factory=list)
    start: date | None = None  # first day of the time frame
    end: date | None = None  # first day after it
    mood: bool = False
    complaint: bool = False
    count: bool = False
    compare: bool = False
    risk: bool = False
    listing: bool = False
    outcome: Outcome | None = None
    unanswered: bool = False
    closing: bool = False
    talked: bool = False
    clients_asked: bool = False
    mood_label: MoodLabel | None = None
    channel: str | None = None
    wrote: bool = False  # the client wrote (not just any message) in the time frame
    industry: str | None = None  # the spelling tried first
    industry_words: list[str] = field(default_factory=list)  # every spelling it may be stored as
    guesses: list[str] = field(default_factory=list)  # lower-case runs that may be names
    contact: bool = False  # asks for a client's phone or email
    top: int | None = None  # "top 3", "los 5 mejores": how many rows a list shows

    @property
    def lookups(self) -> list[str]:
        """What to look clients up by: phones, emails, names, then guessed names."""
        return [*self.phones, *self.emails, *self.names, *self.guesses]

    @property
    def intent(self) -> Intent:
        """The kind of question, supposing the names it gives are clients."""
        named = len(self.lookups) + len(self.client_ids)
        if self.compare and named >= 2:
            return "compare"
        if self.count:
            return "count"
        if named:
            return "mood" if self.mood else "client"
        return self.unnamed

    @property
    def unnamed(self) -> Intent:
        """The kind of question when none of its names is a client."""
        if self.count:
            return "count"
        if self.risk:
            return "risk"
        filtered = self.outcome or self.unanswered or self.mood_label or self.channel
        if self.closing:
            return "list"
        if (self.unanswered or self.industry or self.outcome) and not self.complaint:
            return "list"  # a filter across the book: leftover words are its phrasing
        if not (self.terms or self.name_terms) and (filtered or self.start or self.listing):
            return "list"
        return "topic"

    @property
    def since(self) -> str | None:
        """The time frame's first day, ISO."""
        return self.start.isoformat() if self.start else None

    @property
    def until(self) -> str | None:
        """The time frame's last day, ISO (the tools read a bare `until` date inclusively)."""
        return (self.end - timedelta(days=1)).isoformat() if self.end else None

    @property
    def window(self) -> dict[str, str]:
        """The time frame as search arguments."""
        return {k: v for k, v in (("since", self.since), ("until", self.until)) if v}

    def stems(self, extra: list[str] | None = None) -> tuple[str, ...]:
        """Beginnings of the searched words, to tell a literal mention from a related one."""
        return tuple(w[:5] if len(w) > 5 else w for w in self.query(extra).split())

    def query(self, extra: list[str] | None = None, skip: set[str] | None = None) -> str:
        """The message-search query: the topic words (and `extra` ones, less `skip`) with
        their synonyms."""
        expanded: list[str] = []
        for term in [*self.terms, *(extra or [])]:
            if skip and term in skip:
                continue
            for word in synonyms().get(term, [term]):
                if word not in expanded:
                    expanded.append(word)
        return " ".join(expanded)


def read_language(question: str, names: list[str] | None = None) -> Language:
    """The question's language, Spanish or English, from its own words (names left out)."""
    if any(mark in question for mark in "¿¡"):
        return "es"
    for name in names or []:
        question = question.replace(name, " ")
    said = words(question)
    marks = cues_of_language()
    es = sum(w in marks["es"] for w in said)
    en = sum(w in marks["en"] for w in said)
    found = detect_language(said)  # the sentiment lexicon's own reading breaks a tie
    if es != en:
        return "es" if es > en else "en"
    if found in ("es", "en"):
        return "es" if found == "es" else "en"
    return "es" if re.search(r"[áéíóúñ]", question, re.I) else "en"


@cache
def _not_name_words() -> frozenset[str]:
    """Weekday, time-frame and channel words: never part of a client's name."""
    table = cues()["dates"]
    lists = ("weekdays", "months")
    said = [p for key, phrases in table.items() if key not in lists for p in phrases]
    said += [n for key in lists for names in table[key] for n in names]
    said += [w for ws in cues()["channels"].values() for w in ws]
    return frozenset(w for phrase in said for w in phrase.split())


def _references(question: str) -> tuple[list[str], list[str], list[int], str]:
    """Phones, emails and client ids in the question, and the question without them."""
    emails = _EMAIL.findall(question)
    rest = _EMAIL.sub(" ", question)
    ids = [int(next(g for g in m.groups() if g)) for m in _IDS.finditer(rest)]
    rest = _IDS.sub(" ", rest)
    rest = _ISO_DATE.sub(" ", rest)
    phones: list[str] = []
    for m in _PHONE.finditer(rest):
        if sum(ch.isdigit() for ch in m.group()) >= 7:
            phones.append(m.group().strip())
    rest = _PHONE.sub(lambda m: " " if m.group().strip() in phones else m.group(), rest)
    return phones, emails, list(dict.fromkeys(ids)), rest


def _names(question: str) -> list[str]:
    """Capitalised word runs and quoted strings that may be client names."""
    names: list[str] = [q.strip() for q in _QUOTED.findall(question)]
    for match in _CAPITALISED.finditer(question):
        parts = match.group().split()
        parts = [p for p in parts if fold(p) not in _not_name_words()]
        while parts and fold(parts[0]) in question_words() | filler_words():
            parts.pop(0)
        while parts and fold(parts[-1]) in filler_words():
            parts.pop()
        before = question[: match.start()].rstrip(" ¿¡\"'“«")
        opens_sentence = not before or before[-1] in ".!?:;"
        # A lone capitalised word that opens a sentence is that sentence's first word.
        if opens_sentence and len(parts) == 1 and parts[0] == match.group().split()[0]:
            continue
        candidate = re.sub(r"['’]s$", "", " ".join(parts))  # "Ana García's email"
        if len(candidate) > 2 and candidate not in names:
            names.append(candidate)
    return names


def _phrase_in(phrase: str, padded: str) -> bool:
    return f" {phrase} " in padded


def _month_start(day: date, back: int = 0) -> date:
    start = day.replace(day=1)
    for _ in range(back):
        start = (start - timedelta(days=1)).replace(day=1)
    return start


def read_dates(folded: str, today: date) -> tuple[date | None, date | None, set[str]]:
    """The time frame a question names: first day, first day after, and the words it used."""
    padded = " " + " ".join(words(folded)) + " "
    table = cues()["dates"]
    tomorrow = today + timedelta(days=1)
    monday = today - timedelta(days=today.weekday())
    frames = {
        "today": (today, tomorrow),
        "yesterday": (today - timedelta(days=1), today),
        "last_week": (monday - timedelta(days=7), monday),
        "this_week": (monday, tomorrow),
        "last_month": (_month_start(today, 1), _month_start(today)),
        "this_month": (_month_start(today), tomorrow),
        "last_year": (date(today.year - 1, 1, 1), date(today.year, 1, 1)),
        "this_year": (date(today.year, 1, 1), tomorrow),
    }
    if m := _QUIET.search(padded):  # no start: before the cut-off (last contact, history)
        n = _COUNTS.get(m.group(1)) or int(m.group(1))
        unit = m.group(2) if m.group(2) in _UNIT_DAYS else m.group(2).removesuffix("s")
        return None, today - timedelta(days=n * _UNIT_DAYS[unit]), set(m.group().split())
    for frame, (start, end) in frames.items():  # "last week" before "week", "last month"...
        for phrase in table[frame]:
            if _phrase_in(phrase, padded):
                return start, end, set(phrase.split())
    if m := _LAST_N.search(padded):
        n = int(m.group(1)) * (7 if m.group(2) in ("semanas", "weeks") else 1)
        return tomorrow - timedelta(days=n), tomorrow, set(m.group().split())
    if m := _AGO.search(padded):
        day = today - timedelta(days=int(m.group(1) or m.group(2)))
        return day, day + timedelta(days=1), set(m.group().split())
    for number, names in enumerate(table["months"], 1):
        for name in names:
            for lead in (*table["month_prepositions"], *table["since"]):
                if _phrase_in(f"{lead} {name}", padded):
                    year = today.year if number <= today.month else today.year - 1
                    start = date(year, number, 1)
                    end = _month_start(date(year, number, 28) + timedelta(days=4))
                    if lead in table["since"]:
                        end = tomorrow
                    return start, min(end, tomorrow), {lead, name}
    for since in table["since"]:
        for number, names in enumerate(table["weekdays"]):
            for name in names:
                for phrase in (f"{since} el {name}", f"{since} {name}"):
                    if _phrase_in(phrase, padded):
                        back = (today.weekday() - number) % 7
                        return today - timedelta(days=back), tomorrow, set(phrase.split())
    return None, None, set()


def _cue(name: str, said: list[str], padded: str) -> set[str]:
    """The words of the question that express cue `name` (empty: the cue is absent)."""
    table = cues()[name]
    used: set[str] = set()
    for phrase in table.get("phrases", []):
        if _phrase_in(phrase, padded):
            used |= set(phrase.split())
    for word in said:
        if word.startswith(tuple(table.get("prefixes", []))):
            used.add(word)
    return used


def read_industry(folded: str) -> tuple[str | None, list[str], set[str]]:
    """The industry a question names: the spelling to try first, every spelling it may be
    stored as, and the words it used ("clientes del sector hostelería", "restaurants")."""
    said = words(folded)
    padded = " " + " ".join(said) + " "
    for name, spellings in industries().items():
        used = {w for phrase in spellings if _phrase_in(phrase, padded) for w in phrase.split()}
        if used:  # every word of it is consumed: "restaurants and hotels"
            return name, list(dict.fromkeys([name, *spellings])), used
    if (m := _INDUSTRY_NAMED.search(" ".join(said))) and m.group(1) not in filler_words():
        return m.group(1), [m.group(1)], {m.group(1)}  # "sector naval": taken as written
    return None, [], set()


def _guesses(said: list[str], topical: list[str]) -> list[str]:
    """Runs of two or more adjacent topic words: lower-case names ("que tal va ana garcia")."""
    runs: list[str] = []
    run: list[str] = []
    for word in [*said, ""]:
        if word and word in topical and word not in synonyms():  # sales words name no one
            run.append(word)
            continue
        if len(run) >= 2:
            runs.append(" ".join(run[:4]))
        run = []
    return runs[:3]


def plan_question(question: str, today: date | None = None) -> Plan:
    """Everything the question says: references, names, time frame, filters, topic and intent."""
    phones, emails, client_ids, rest = _references(question)
    names = _names(rest)
    language = read_language(rest, names)
    start, end, date_words = read_dates(fold(rest), today or datetime.now(UTC).date())
    said = words(rest)
    padded = " " + " ".join(said) + " "
    found = {
        k: _cue(k, said, padded) for k in cues() if k not in ("channels", "dates", "auxiliary")
    }
    channel = next((c for c, ws in cues()["channels"].items() if any(w in said for w in ws)), None)
    if found["contact"]:  # "her email", "su correo": contact details, not a channel filter
        channel = None
    outcomes: tuple[Outcome, ...] = ("won", "lost", "open")
    outcome = next((o for o in outcomes if found[o]), None)
    mood_label: MoodLabel | None = (
        "negative" if found["negative_mood"] else "positive" if found["positive_mood"] else None
    )
    negation = frozenset(cues()["negation"]["words"])
    if (
        mood_label
        and any(  # "no está contento", "not happy": the mood turned around
            said[i] in found["negative_mood"] | found["positive_mood"]
            and negation & set(said[max(0, i - 2) : i])
            for i in range(len(said))
        )
    ):
        mood_label = "positive" if mood_label == "negative" else "negative"
    industry, industry_words, industry_used = read_industry(fold(rest))
    name_words = [w for n in names for w in words(n)]
    consumed = set().union(*found.values()) | date_words | set(name_words) | industry_used
    consumed |= {w for ws in cues()["channels"].values() for w in ws}
    consumed |= {w for w in said if w.startswith(complaint_stems())}
    auxiliary = frozenset(cues()["auxiliary"]["words"])
    terms: list[str] = []
    for before, w in zip(["", *said], said, strict=False):
        ignored = (
            len(w) < 2
            or w in filler_words()
            or w in consumed
            or w in mood_words()
            or w.isdigit()
            or before in auxiliary  # "ha pedido", "has asked": the question's verb
        )
        if not ignored and w not in terms:
            terms.append(w)
    named = len(phones) + len(emails) + len(client_ids) + len(names)
    across = (
        ((found["count"] or found["pipeline"]) and not found["contact"])
        or found["risk"]
        or found["unanswered"]
        or industry
        or outcome
        or found["wrote"]
    )
    guesses = [] if named or across else _guesses(said, terms)
    named += len(guesses)
    return Plan(
        question=question,
        language=language,
        names=names[:4],
        terms=terms[:6],
        name_terms=[w for w in dict.fromkeys(name_words) if w not in filler_words()][:4],
        phones=phones[:3],
        emails=emails[:3],
        client_ids=client_ids[:4],
        start=start,
        end=end,
        mood=any(w in mood_words() for w in said) and not found["risk"],
        complaint=any(w.startswith(complaint_stems()) for w in said),
        count=bool(found["count"] or found["pipeline"]) and not found["contact"],
        compare=bool(found["compare"]) and named >= 2,
        risk=bool(found["risk"]),
        listing=bool(found["listing"] or found["talked"] or found["wrote"] or found["clients"]),
        outcome=outcome,
        unanswered=bool(found["unanswered"]),
        closing=bool(found["closing"]),
        talked=bool(found["talked"]),
        clients_asked=bool(found["clients"]),
        mood_label=mood_label if mood_label and not named else None,
        channel=channel,
        wrote=bool(found["wrote"]),
        industry=industry,
        industry_words=industry_words,
        guesses=guesses,
        contact=bool(found["contact"]),
        top=_top(padded),
    )


def _top(padded: str) -> int | None:
    """How many rows the question asks for ("top 3", "los 5 mejores"), within 1..50."""
    if m := _TOP.search(padded):
        return max(1, min(50, int(m.group(1) or m.group(2))))
    return None

"""The trained scorer: a linear model over word and character n-grams plus lexicon scores.

Weights live in data/model.json (built by `python -m tools.sentiment.train`); scoring needs
nothing but the standard library. The lexicon still explains the result (drivers), and a
sales rule keeps polite words from turning a lost deal positive.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import re
from collections import Counter
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

from tools.sentiment._features import (
    AFTER,
    BEFORE,
    CONTRAST_SCOPE,
    CONTRASTS,
    NEGATIONS,
    fold,
    last_contrast,
    tokens,
    unit,
    visible,
    walk,
)
from tools.sentiment._language import IDENTIFY_WORDS, OTHERS, _cues, detect
from tools.sentiment._lexicon import EMOTIONS, Lexicons, lexicons
from tools.sentiment._regexes import compiled

DATA = Path(__file__).parent / "data"
MODEL_FILE = DATA / "model.json"
CLASSES = ("positive", "neutral", "negative")
# The scoring code's revision, recorded in model.json: bump it when a code change moves any
# result (the golden test fails then) and rebuild the model, so the version that stored scores
# keep (and `wallie sentiment backfill` compares) moves too. 2: clause-aware loss rule. 3: choice
# phrases (not a loss when the choice is the reader: "decided to go with you"), gaps, {a|b}.
# 4: whole-clause wins ("Deal."), a lone opening "Buenas," is a greeting, language endings.
# 5: complaints ("the app keeps crashing", "quiero hablar con un responsable"). 6: praise
# through a negation ("couldn't be happier"), complaints put right, competitors turned down.
# 7: "almost"/"casi" guard a phrase ("I almost cancelled, but..."). 8: whole-clause refusals
# and complaints ("No thanks.", "Meh."), a score the client gives ("2/10", "5 estrellas"),
# py3langid reads the language when the listed words do not settle it. 9: no emoticon after
# a digit or running on into a word ("4:30" is not ":3", "8pm" not "8p"), "8)" keeps its 8.
# 10: words quoted back with a mark of irony ("lol "next day delivery" 🙃") are a complaint.
# 11: an ironic face (🙃, 🙄, 😒, 🤡) may sit further from the quote, in the same sentence.
# 12: "sí claro" with its accent; scare quotes around "envío express", "original", "brand new".
# 13: praise standing alone after a grievance is sarcasm ("... a week late. Brilliant.").
# 14: a fault the client asks the reader to mend, not of the reader's doing, is a request.
# 15: a fault the client feared ("I thought it was ruined") is not stated; praise at the end
# answers what follows the last "but" ("sceptical at first, but... Great job." is sincere).
# 16: a remedy counts only while nothing after it says the fault is still there ("arrived
# today and it does not turn on"); "was about to" / "iba a" guard a phrase; scare quotes
# around what a maker claims ("fresh", "handmade", "artesanal", the "repair"), not in a
# question that names an option ("Can I book the "express" one?").
# 17: praise anywhere beside an ironic face (🙃, 🙄, 😒, 🤡) is sarcasm ("wow. great job. 🙄").
# 18: marks that show nothing (control characters, soft hyphens, zero-width spaces, direction
# marks) no longer split words ("excel\u00adlent" is "excellent"). 19: a lone word our sales
# phrases read is scored, whatever language it looks like ("nel": Mexican "no", Italian "in").
# 20: stars counted in words where a score ends ("Five stars.", "Una estrella, no lo compren").
# 21: Spanish plurals, superlatives and "-azo" of listed words ("malas", "feísima", "malazo").
SCORER_REVISION = 21
# Named dense features the model also learns weights for.
LEX_POS, LEX_NEG, LOSS, WIN, COMPLAINT, PRAISE, REQUEST = (
    "=lex+",
    "=lex-",
    "=loss",
    "=win",
    "=complaint",
    "=praise",
    "=request",
)


@dataclass(frozen=True, slots=True)
class Featurized:
    """What the model reads from one text."""

    language: str
    tokens: list[str]
    words: list[str]
    dense: dict[str, float]
    lexical: list[tuple[str, float]]  # (word, signed lexicon valence) in text order


_CHOICES = re.compile(r"\{([^{}]*)\}")


def expand(line: str) -> list[str]:
    """Every phrase a line of sales_cues.tsv stands for: "{cancel|anulen} {my|el}" is four."""
    parts = _CHOICES.split(line)  # literal, choices, literal, choices, ...
    options = [part.split("|") if i % 2 else [part] for i, part in enumerate(parts)]
    return [" ".join("".join(combo).split()) for combo in itertools.product(*options)]


class CuePhrases(NamedTuple):
    """The phrases of data/sales_cues.tsv by kind (expanded), and the polite words."""

    loss: tuple[str, ...]
    choice: tuple[str, ...]
    win: tuple[str, ...]
    alone: tuple[str, ...]  # whole-clause wins ("Deal.")
    loss_alone: tuple[str, ...]  # whole-clause refusals ("No thanks.", "Cancel it.")
    complaint_alone: tuple[str, ...]  # whole-clause complaints ("Nunca más.", "Meh.")
    complaint: tuple[str, ...]
    plain: tuple[str, ...]  # hold a cue's words but state none ("cancellation policy")
    praise: tuple[str, ...]  # praise said through a negation ("couldn't be happier")
    resolved: tuple[str, ...]  # a complaint put right ("refunded it", "ya está solucionado")
    stay: tuple[str, ...]  # staying with the reader after all ("but we're sticking with you")
    request: tuple[str, ...]  # asking the reader to mend a fault ("can someone come and quote")
    blame: tuple[str, ...]  # the fault is the reader's doing ("you fitted", "desde su visita")
    moved: tuple[str, ...]  # a cancellation booked again ("and rebook for Tuesday")
    polite: frozenset[str]


_KINDS = (
    "loss",
    "choice",
    "win",
    "win-alone",
    "loss-alone",
    "complaint-alone",
    "complaint",
    "plain",
    "praise",
    "resolved",
    "stay",
    "request",
    "blame",
    "moved",
)


@cache
def _cue_phrases() -> CuePhrases:
    """The phrases of data/sales_cues.tsv by kind, and its polite words."""
    found: dict[str, list[str]] = {kind: [] for kind in _KINDS}
    polite: set[str] = set()
    for line in (DATA / "sales_cues.tsv").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        kind, phrase = line.split("\t", 1)
        if kind == "polite":
            polite.add(phrase)
        elif kind == "praise-plain":  # praise that no other rule reads ("lo que otro no pudo")
            found["praise"].extend(expand(phrase))
            found["plain"].extend(expand(phrase))
        elif kind in found:
            found[kind].extend(expand(phrase))
        else:
            raise ValueError(f"sales_cues.tsv: unknown kind {kind!r} in {line!r}")
    kinds = [tuple(dict.fromkeys(found[k])) for k in _KINDS]
    return CuePhrases._make([*kinds, frozenset(polite)])


# A clause ends at punctuation before a space (not inside "x.co/1" or "3:30"), or at an
# opening mark or a line break.
_CLAUSE = re.compile(r"[,.;:!?)\]]+(?=\s|$)|[¡¿(\[\n]+")


def loss_text(text: str) -> str:
    """The words the loss rule reads: clauses kept apart by " , ", so that "No, es muy caro"
    (a refusal) is not "no es muy caro" (a denial) and no phrase spans two clauses."""
    return " , ".join(" ".join(words) for words in clause_pieces(text) if words)


def clause_pieces(text: str) -> tuple[tuple[str, ...], ...]:
    """The words of each clause of the text, split where a clause ends; within a chunk without
    whitespace, only at its end punctuation or an opening mark (so chunks can be cached)."""
    return tuple(tuple(t for t in tokens(part) if t[0].isalnum()) for part in _CLAUSE.split(text))


# Spanish puts a verb between "no" and what it denies: "no es demasiado caro".
_NEGATED_VERBS = (
    "es",
    "son",
    "esta",
    "estan",
    "era",
    "fue",
    "sera",
    "parece",
    "resulta",
    "sale",
    "me parece",
    "nos parece",
)


# English puts "be" there: "we won't be going ahead", "it will not be renewed".
_NEGATED_BE = ("wont", "not", "never", "cant", "wouldnt", "shouldnt", "couldnt", "dont")


# Who reads the chat: a choice phrase followed by one of these, within a few words, chose us.
_SECOND_PERSON = (
    "you your yours u ur vosotros vosotras ustedes usted ti tu tus contigo vuestra vuestro"
    " vuestras vuestros su sus"
).split()
# What the reader offers: "nos quedamos con la opción B", "we chose the premium plan" chose
# the reader's offer, as "we chose you" does.
_OFFER = (
    "option options plan plans package packages proposal offer quote tier bundle licenses"
    " licences seats opcion opciones paquete paquetes propuesta oferta presupuesto cotizacion"
    " licencias plazas"
).split()
# A definite article or demonstrative after a choice names what was chosen; these words
# after it make it someone else ("the other supplier", "la de la competencia").
_THE = "the this that these those el la los las ese esa esos esas este esta estos estas".split()
_SOMEONE_ELSE = (
    "other others another competition competitor competitors cheaper rival local"
    " company companies supplier suppliers vendor vendors provider providers firm agency"
    " agencies guy guys one ones shop store team people"
    " otro otra otros otras competencia de del mas empresa empresas proveedor proveedores"
    " agencia agencias tienda gente equipo chico chicos tipo"
).split()
_ANOTHER = (
    "other another otro otra otros otras competencia competition competitor"
    # Doing it oneself: "go with the venue's in-house caterer", "nos quedamos con el equipo
    # propio".
    " house inhouse own internal interno interna propio propia propios propias"
).split()
# "*" in a phrase: up to three words of the same clause, none of them the reader ("chose you
# instead" is won).
_GAP = rf"(?: (?!(?:{'|'.join(_SECOND_PERSON)})\b)\w+){{0,3}}"


_END = ""  # a trie key that marks where a phrase ends


def _trie_pattern(phrases: list[str]) -> str:
    """One regex for many phrases, as a character trie: a few thousand alternatives cost
    what a handful do, as each position follows one branch ("*" is a short gap)."""
    root: dict[str, Any] = {}
    for phrase in phrases:
        node = root
        for char in phrase.replace(" * ", "*"):
            node = node.setdefault(char, {})
        node[_END] = {}

    def emit(node: dict[str, Any]) -> str:
        alternatives = [
            (_GAP + " " if char == "*" else re.escape(char)) + emit(child)
            for char, child in sorted(node.items())
            if char != _END
        ]
        if not alternatives:
            return ""
        body = alternatives[0] if len(alternatives) == 1 else "(?:" + "|".join(alternatives) + ")"
        if _END in node:
            return "(?:" + body + ")?"
        return body

    return emit(root)


def _alternatives(phrases: tuple[str, ...], after: str = "") -> list[str]:
    """Regex groups of the phrases: those that do not start with a negation open with an
    empty group, the mark `_last` reads to apply the guard (`_guarded`) to them."""
    negated = [p for p in phrases if p.split()[0] in NEGATIONS]
    plain = [p for p in phrases if p.split()[0] not in NEGATIONS]
    groups = ["(?:" + _trie_pattern(negated) + ")" + after] if negated else []
    return groups + (["()(?:" + _trie_pattern(plain) + ")" + after] if plain else [])


Cues = tuple[bool, bool, bool, bool, bool]  # lost, complained, won, praised, asked
NO_CUES: Cues = (False, False, False, False, False)
# Each cue's dense feature and driver, in `Cues` order.
CUE_FEATURES = (LOSS, COMPLAINT, WIN, PRAISE, REQUEST)
CUE_DRIVERS = ("(lost deal)", "(complaint)", "(won deal)", "(praise)", "(request)")
# The kinds of sales phrase, as bits: which regexes a text's words leave worth running.
LOSS_CUE, COMPLAINT_CUE, WIN_CUE, PRAISE_CUE = 1, 2, 4, 8
EVERY_CUE = LOSS_CUE | COMPLAINT_CUE | WIN_CUE | PRAISE_CUE
# The emotion a cue states, whatever its words.
CUE_EMOTIONS = {COMPLAINT: "anger", PRAISE: "joy"}
Phrases = tuple[tuple[tuple[str, ...], int], ...]  # phrases' words, each with its kind's bit
# The phrases of one key pair: those checked whenever the pair is read, and (for a pair that
# keys many) the rest by a word each needs besides the pair, its rarest among the phrases.
Keyed = tuple[Phrases, dict[str, Phrases] | None]
_PIVOT_FROM = 8  # a pair keying more phrases than this files them by that word


class CueRules(NamedTuple):
    """The sales rule over `loss_text` (each kind's regex is built on first use, `_rule`: most
    texts never need most of them), and the polite words a loss or complaint makes mere
    courtesy."""

    polite: frozenset[str]

    def read(self, said: str, kinds: int = EVERY_CUE) -> Cues:
        """Lost, complained, won, praised, asked to mend a fault: each outweighs those after
        it. Only the kinds in `kinds` (bits, see `possible_cues`) are looked for."""
        told = said
        said = _rule("plain").sub(",", said)  # "our cancellation policy" cancels nothing
        lost = stayed = moved = complained = praised = asked = False
        if kinds & LOSS_CUE:
            end = _last("loss", said)
            # "Got a lower quote elsewhere, but we're sticking with you": kept, not lost.
            stayed = end >= 0 and _last("stay", said[end:]) >= 0
            # "Can I cancel my appointment on Thursday and rebook for Tuesday?": moved, not lost.
            moved = end >= 0 and not stayed and _last("moved", said[end:]) >= 0
            lost = end >= 0 and not stayed and not moved
        if not lost and kinds & COMPLAINT_CUE:
            end = _last("complaint", said)
            # "Charged twice, but you refunded it within the hour": put right, and praised.
            praised = end >= 0 and _put_right(said[end:])
            # "Boiler stopped after the power cut, can someone come out?": a fault the client
            # asks the reader to mend, with no word that it is the reader's doing, is a lead.
            asked = (
                end >= 0
                and not praised
                and _last("request", said) >= 0
                and _last("blame", said) < 0
            )
            complained = end >= 0 and not praised and not asked
        # A cancellation booked again asks for a new slot: a request, like a lead.
        asked = asked or (moved and not complained)
        won = not (lost or complained) and (
            stayed or (bool(kinds & WIN_CUE) and _last("win", said) >= 0)
        )
        # A fault asked about is no praise either: "the touch is dead on the left" is no "dead on".
        praised = not (lost or complained or won or asked) and (
            praised or (bool(kinds & PRAISE_CUE) and _last("praise", told) >= 0)
        )  # the praise phrases read the text as told: "can't recommend you enough" is plain
        return lost, complained, won, praised, asked and not won


def _last(kind: str, said: str) -> int:
    """Where the last phrase stated ends (-1: none); a phrase a condition leads to ("if it
    doesn't work, call us", "si cancelamos el primer mes, ¿hay penalidad?") is not stated."""
    regex, end, at = _rule(kind), -1, 0
    while found := regex.search(said, at):
        start = found.start()
        if "" in found.groups() and _guarded(said, start):
            at = start + 1  # as a lookbehind would fail here: try the next position
            continue
        # Only the last few words can lead to the phrase: reading from the text's start at
        # each phrase made a long message of many phrases quadratic (seconds for 20,000
        # characters).
        near = _words_back(said, start, _LEAD_SPACES)
        if not _CONDITION.search(said, near, start) and (
            kind in _NOT_BELIEVED or not _BELIEF.search(said, near, start)
        ):
            end = found.end()
        at = max(found.end(), start + 1)
    return end


def _words_back(said: str, start: int, spaces: int) -> int:
    """Where the text `spaces` spaces before `start` is (0: the text has fewer)."""
    at = start
    for _ in range(spaces):
        at = said.rfind(" ", 0, at)
        if at < 0:
            return 0
    return at


def _put_right(after: str) -> bool:
    """Whether what follows a complaint says it was put right and stays so: "arrived today"
    is no remedy when "and it does not turn on" or "but it's the wrong size" follows it."""
    end = _last("resolved", after)
    if end < 0:
        return False
    rest = after[end:]
    # What follows may praise through a negation ("no more leaks", "ni una gota desde"): the
    # praise phrases (and plain ones, already cut to ",") read it before a negation counts.
    return not _NEW_FAULT.search(rest) or _last("praise", rest) >= 0


# A negation or a turn after the remedy: a fault that is still there, or a new one; not the
# negation of a fault ("no harm done", "no more leaks", "ningún problema").
_NEW_FAULT = re.compile(
    r"\b(?:(?:not|no|never|ningun|ninguna|nunca)\b(?! (?:harm|more|problems?|issues?|complaints?"
    r"|worries|fuss|hassle|damage|mas|problemas?|dano|queja|quejas|drama)\b)"
    r"|dont|doesnt|didnt|wont|cant|cannot|isnt|arent|wasnt|werent|still|but"
    r"|sigue|siguen|todavia|aun|pero|sin embargo)\b"
)


def _guarded(said: str, start: int) -> bool:
    """Whether the words right before `start` are a guard ("not", "no es", "better than"):
    checked in Python after a match, as a few hundred lookbehinds at every position of
    every text cost more than the rest of the rule."""
    # The words after one more space than a guard holds: the same last words as the whole
    # text before `start` gives, at a cost that does not grow with the text.
    near = _words_back(said, start, _GUARD_WORDS + 1)
    words = said[near:start].rsplit(None, _GUARD_WORDS)[-_GUARD_WORDS:]
    guards = _guard()
    return any(" ".join(words[i:]) in guards for i in range(len(words)))


_GUARD_WORDS = 5  # the longest guard: "mas barato que el de"

# A condition up to three words before a phrase makes it a question or an instruction.
# The longest condition ("en caso de que" and three words) and belief ("estabamos seguros de"
# "de que" and three words) hold fewer spaces than this, the space before the phrase included.
_LEAD_SPACES = 10
_CONDITION = re.compile(r"\b(?:if|unless|in case|si|por si|en caso de que)(?: \w+){0,3} $")
# A request put as a thought is still one ("I thought you could come and quote"), and so is
# blame ("I thought your engineer had fixed it").
_NOT_BELIEVED = frozenset({"request", "blame"})
# A fear or belief the client had is no fact: "thanks, I thought the dress was ruined",
# "pensé que se había roto". Three words at most between, none a conjunction ("pensé que
# llegaba hoy y no ha llegado" still complains).
_BELIEF = re.compile(
    r"\b(?:thought|feared|was afraid|were afraid|was worried|were worried|was sure|were sure"
    r"|was convinced|were convinced|assumed|pense|pensaba|pensamos|pensabamos|crei|creia"
    r"|creimos|creiamos|temi|temia|temiamos|tenia miedo de|teniamos miedo de|estaba seguro de"
    r"|estaba segura de|estabamos seguros de)(?: que| de que| that)?"
    r"(?: (?!(?:y|and|but|pero|so|asi|then|luego|now|ahora)\b)\w+){0,3} $"
)


# A score the client gives: "2/10", "4.5 out of 5", "0 estrellas", "5 stars", "un 10", "de
# diez la atención". Not a date ("on 2/10", "10/10/2026"), a share ("3 de 10 pedidos", "un
# 10% de descuento") or a hotel's class ("a 5 star hotel", "hotel de 5 estrellas").
_RATED_END = (
    r"(?=\s*(?:$|[.,;:!?)\-–—⭐👍👎👏🙌😍😡🤬]|(?:stars?|estrellas?|would|wouldnt|won't|wont|will|"
    r"never|again|not|no|for|from|if|de nuevo|otra vez|para|por|sin|si|la|el|lo|los|las|en|y|and|"
    r"but|pero|total|todo|puntos|points)\b))"
)
# Read on the lower-cased text at each number ("2", "4.5", "diez"): most texts hold none.
_DIGITS = re.compile(r"\d+(?:[.,]\d+)?")
# Stars counted in words ("Five stars.", "una estrella"): only where a score ends, as "una
# estrella fugaz" or "five star service" rate nothing.
_STAR_WORDS = {
    **dict.fromkeys(("one", "un", "una", "uno"), 1.0),
    **dict.fromkeys(("two", "dos"), 2.0),
    **dict.fromkeys(("three", "tres"), 3.0),
    **dict.fromkeys(("four", "cuatro"), 4.0),
    **dict.fromkeys(("five", "cinco"), 5.0),
}
_STARS = r"\s*(?:stars?|estrellas?)(?![\w-])"
_SAID = re.compile(rf"cero|zero|diez|\b(?:{'|'.join(_STAR_WORDS)})(?={_STARS})")
_SCORED = re.compile(
    r"(?P<n>\d{1,3}(?:[.,]\d{1,2})?)\s*(?:/|out of|outta|over|sobre|de)\s*(?P<scale>5|10|100)"
    rf"(?![\w/.,%]\d|\d|\s*%|\s*/\s*\d){_RATED_END}"
    rf"|(?P<stars>\d{{1,3}}(?:[.,]\d{{1,2}})?|cero|zero|diez){_STARS}"
    r"(?!\s+(?:hotels?|resorts?|reviews?|ratings?|general|rated|de hotel))"
    rf"|(?P<worded>{'|'.join(_STAR_WORDS)}){_STARS}{_RATED_END}"
)
# "un 10", "De 10 la atención", "un servicio de diez": a mark out of ten, said in Spanish.
_TEN_BEFORE = re.compile(
    r"(?:\bun\s+|(?:^|[.,;!¡]\s*)de\s+|\b(?:atenci[oó]n|servicio|trato|calidad|experiencia|"
    r"comida|trabajo|resultado|equipo|gente|personal|producto|nota)\s+de\s+)$"
)
_TEN_AFTER = re.compile(_RATED_END)
_TENS = {"10": 1.0, "diez": 1.0, "0": 0.0, "cero": 0.0}
_AFTER_SCORE = frozenset("/osde")  # the first letters of what may follow a score
_NOT_RATED_BEFORE = re.compile(
    r"\b(?:on|by|until|till|from|due|el|del|al|desde|hasta|para el|vence|"
    r"(?:hotel|hotels|hoteles|resort|hostal|restaurante|restaurant|alojamiento)(?:\s+de)?)\s*$"
)
_A_CLASS = re.compile(r"\b(?:a|an|un|una)\s*$")  # "a 5 star hotel": a class, not a score
# A cheap first look, opening with a digit (which a search skips to): a number followed by
# what may follow a score, or the 10 or 0 of "un 10" / "de 0".
_MAY_SCORE = re.compile(
    r"\d(?:[\d.,]*\s*[/osdeOSDE]|(?<=[nNeE] 0)(?!\d)|(?<=[nNeE] 10)(?!\d))"
).search
RATED_LOW, RATED_HIGH = 0.4, 0.8  # share of the scale: at most is a complaint, at least praise


# What a score said in words holds: "cero", "diez", and the stars of "five stars", "una estrella".
SAID_MARKS = ("ero", "iez", "ERO", "IEZ", "star", "Star", "STAR", "strell", "Strell", "STRELL")


def rating(text: str) -> float | None:
    """The last score the text gives, as a share of its scale (0..1), or None."""
    digits = _MAY_SCORE(text) is not None
    said = any(mark in text for mark in SAID_MARKS)  # "cero", "Diez"
    if not digits and not said:
        return None  # most texts: no number followed by "/", "out of", "stars"..., no "un 10"
    low = text.lower()
    runs = list(_DIGITS.finditer(low)) if digits else []
    if said:
        runs = sorted(runs + list(_SAID.finditer(low)), key=lambda run: run.start())
    found: float | None = None
    for run in runs:
        at = run.start()
        before = low[at - 1] if at else " "
        # Not inside a word, a date, a number or a time ("v2/10", "10/10/2026", "3:5").
        if before.isalnum() or before in "_/.,:":
            continue
        # What may follow a score: "/", "out of", "over", "sobre", "de", "stars", "estrellas".
        end = run.end()
        after = low[end : end + 1]
        if after == " ":
            after = low[end + 1 : end + 2]
        if after not in _AFTER_SCORE and run.group() not in _TENS:
            continue
        window = low[max(0, at - 40) : at]
        match = _SCORED.match(low, at)
        if match is not None:
            if _NOT_RATED_BEFORE.search(window):
                continue
            if match["n"] is not None:
                value, top = float(match["n"].replace(",", ".")), float(match["scale"])
            elif match["worded"] is not None:
                value, top = _STAR_WORDS[match["worded"]], 5.0
            elif _A_CLASS.search(window):
                continue
            else:
                value, top = _number(match["stars"]), 5.0
            if 0 <= value <= top:
                found = value / top
        elif (
            run.group() in _TENS and _TEN_BEFORE.search(window) and _TEN_AFTER.match(low, run.end())
        ):
            found = _TENS[run.group()]
    return found


_SAID_NUMBERS = {"cero": 0.0, "zero": 0.0, "diez": 10.0}


def _number(said: str) -> float:
    folded = said.lower()
    return _SAID_NUMBERS[folded] if folded in _SAID_NUMBERS else float(folded.replace(",", "."))


# Scare quotes around what was promised: "the "express" delivery took 3 weeks", "su "atención
# al cliente"". Only such promises count: a name or an emphasis in quotes ("the "Pro" plan",
# "the "new" price list") is not a complaint.
_SCARE_QUOTED = re.compile(
    r"[\"“«]\s*(?:quick fix|arreglo r[aá]pid(?:o|ito)|arreglito|"
    r"express|expr[eé]s|fast|quick|r[aá]pid[oa]s?|urgent[e]?|guaranteed|"
    r"garantizad[oa]s?|support|soporte(?: t[eé]cnico)?|help|ayuda|service|"
    r"servicio(?: t[eé]cnico| al cliente)?|"
    r"(?:customer|tech|technical) (?:service|support)|"
    r"atenci[oó]n(?: al cliente)?|professional|profesional(?:es)?|quality|calidad|fixed|"
    r"arreglad[oa]|solucionad[oa]|repaired|reparad[oa]|24 ?h|24 ?horas|24 ?hours|next day|"
    r"same day|on time|a tiempo|puntual(?:es)?|expert[oa]?s?|technician|t[eé]cnico|"
    r"env[ií]o (?:express|expr[eé]s|r[aá]pido|gratis)|entrega (?:express|r[aá]pida|inmediata)|"
    r"express delivery|free (?:delivery|shipping)|brand new|original(?:es)?|genuine|genuin[oa]s?|"
    r"aut[eé]ntic[oa]s?"
    # What a maker claims of the goods, with a word of the name beside it ("pizza artesanal").
    r"|(?:\w+\s+)?(?:fresh|fresc[oa]s?|hand-?made|home-?made|hech[oa]s? a mano|artesanal(?:es)?|"
    r"caser[oa]s?|organic|org[aá]nic[oa]s?|arreglo|arreglito|repair|reparaci[oó]n|sorted|fix)"
    r"(?:\s+\w+)?)\s*[\"”»]",
    re.IGNORECASE,
)
# A question names an option ("Can I book the "express" one?"), unless it thanks or mocks.
_ASKED_PLAINLY = re.compile(r"\?\s*$")
_MOCKING = re.compile(
    r"\b(?:thanks for|thank you for|so much for|gracias por|vaya)\b", re.IGNORECASE
)

# Words quoted back with a mark of irony: "lol "next day delivery" 🙃", "jajaja "te lo dejo
# listo el viernes" 🙃 ya van tres viernes". A quote alone may be a name or a request.
_IRONIC_FACES = ("🙃", "🙄", "😒", "🤡")
_IRONIC_FACE = f"(?:{'|'.join(_IRONIC_FACES)})"  # may sit further off, this sentence or the next
_IRONY = (
    rf"(?:{_IRONIC_FACE}|\blol\b|\blmao\b|\b(?:ja|je|ha|he){{2,}}\w*|\bxd+\b"
    r"|\byeah right\b|\bs[ií] claro\b)"
)
_QUOTED = r"[\"“«][^\"“”«»]{3,80}[\"”»]"
# A cheap first look for `_IRONY`'s marks, never missing one (the full regex has no literal
# to skip to, and costs ten times as much on a text with quotes).
_IRONY_MARKS = ("lol", "lmao", "xd", "yeah right", "si claro", "sí claro", *_IRONIC_FACES)
_LAUGH = re.compile(r"[jh][ae][jh][ae]")


def _has_ironic_face(text: str) -> bool:
    """Whether the text holds an ironic face (🙃, 🙄, 😒, 🤡)."""
    # `isascii` is a flag lookup: most chat holds no emoji at all.
    return not text.isascii() and any(face in text for face in _IRONIC_FACES)


def _may_be_ironic(text: str) -> bool:
    """Whether the text may hold a mark of irony (a laugh, "lol", an ironic face...)."""
    low = text.lower()
    return any(mark in low for mark in _IRONY_MARKS) or _LAUGH.search(low) is not None


_QUOTED_IRONY = re.compile(
    rf"{_IRONY}\W{{0,3}}{_QUOTED}|{_QUOTED}\W{{0,3}}{_IRONY}"
    rf"|{_QUOTED}[^\"“”«»]{{0,80}}?{_IRONIC_FACE}|{_IRONIC_FACE}[^\"“”«»]{{0,40}}?{_QUOTED}",
    re.IGNORECASE,
)


# Praise standing alone after a grievance is sarcasm: "Paid for express, got it a week late.
# Brilliant. Really.", "Me cobraron dos veces. Genial." Only a whole last sentence of praise
# counts, and only after what reads negative ("Arrived today. Perfect." stays as it is).
_PRAISE_WORD = (
    r"(?:brilliant|great|fantastic|wonderful|lovely|perfect|amazing|superb|excellent|"
    r"marvell?ous|awesome|terrific|splendid|fabulous|nice(?: one)?|well done|good job|"
    r"great job|(?:thanks|thank you|cheers) (?:for that|a lot|a bunch|for nothing)|"
    r"money well spent|"
    r"just what i needed|genial|estupend[oa]|perfect[oa]|fenomenal|maravillos[oa]|excelente|"
    r"buen[ií]sim[oa]|fant[aá]stic[oa]|incre[ií]ble|bravo|de lujo|qu[eé] maravilla|"
    r"qu[eé] bien|muy bien|gracias por nada|(?:muchas |mil )?gracias,? eh|enhorabuena|"
    r"felicidades|chapeau|ol[eé]|lo que (?:me )?faltaba)"
)
_SARCASTIC_END = re.compile(
    rf"[.!?…]\s+(?:(?:oh|just|really|so|simply|truly|absolutely|vaya|pues|pero)\s+)?"
    rf"{_PRAISE_WORD}(?:,?\s+(?:really|eh|guys|mate|then|indeed|thanks|de verdad|en serio|"
    rf"chicos|t[ií]o|gente))?\s*[.!…]*(?:\s*(?:really|de verdad|en serio)\s*[.!…]*)?"
    r"\s*(?:[🙃🙄😒👏🤡😑😤]\ufe0f?\s*)*$",
    re.IGNORECASE,
)
# Praise anywhere beside an ironic face (🙃, 🙄, 😒, 🤡) is sarcasm: "Great, another update that
# breaks the export 🙃", "qué bien, me mandaron el reloj rayado 🙃" (every such development
# message is a complaint).
_PRAISE_ANYWHERE = re.compile(rf"\b{_PRAISE_WORD}\b", re.IGNORECASE)
# Or opening it, before a repeat: "Oh great, another 'we'll look into it'", "Genial, otra vez".
_IRONIC_OPENING = re.compile(
    r"^\W*(?:oh,?\s+(?:great|wonderful|perfect|brilliant|fantastic|lovely|joy|goody|"
    r"marvell?ous)[,.!…]*\s+(?:another|again|more|yet)|(?:great|wonderful|perfect|brilliant|"
    r"fantastic|lovely|genial|estupend[oa]|perfect[oa]|qu[eé] bien|fenomenal|maravillos[oa]|"
    r"qu[eé] (?:bonito|lindo)(?: todo)?)"
    # A repeat: "again", "yet another", "another "quick fix"", "the third time", "tercera vez"
    # ("Great, another order" is a reorder, so a plain "another" is none).
    r"[,.!…]*\s+(?:again|otra vez|de nuevo|una vez m[aá]s|yet another|another\s*(?=[\"“'‘])|"
    r"(?:the |for the )?(?:second|third|fourth|fifth|2nd|3rd|4th|5th) time|"
    r"(?:por )?(?:segunda|tercera|cuarta|quinta) vez))(?:\b|(?<=\s))",
    re.IGNORECASE,
)
_TRAILING = " \t\n.!?…,🙃🙄😒👏🤡😑😤\ufe0f"
_LEADING = " \t\n.!¡¿?…,\"'“«"
_OPENERS = (
    "oh",
    "great",
    "wonderful",
    "perfect",
    "brilliant",
    "fantastic",
    "lovely",
    "genial",
    "estupend",
    "qué",
    "que",
    "fenomenal",
    "maravillos",
)
# The words a sarcastic end may finish with: the praise's own last words, or what follows it.
_LAST_WORDS = frozenset(
    """brilliant great fantastic wonderful lovely perfect amazing superb excellent marvellous
    marvelous awesome terrific splendid fabulous nice one done job that lot bunch nothing needed
    spent
    genial estupendo estupenda perfecto perfecta fenomenal maravilloso maravillosa excelente
    buenisimo buenisima buenísimo buenísima fantastico fantastica fantástico fantástica increible
    increíble bravo lujo maravilla bien nada eh enhorabuena felicidades chapeau ole olé faltaba
    really guys mate then indeed thanks verdad serio chicos tio tío gente""".split()
)
# An apology before the praise is the writer's own ("Sorry for the delay. Perfect!").
_APOLOGY = re.compile(r"\b(?:sorry|apologi[sz]e|perd[oó]n|disculp\w*|lo siento)\b", re.IGNORECASE)


def _sarcastic(text: str, lexical: Lexical) -> bool:
    """Whether the text opens with ironic praise before a repeat, or ends in praise standing
    alone after words that read negative."""
    # Cheap looks first, at the first letters and the last word: this runs on every text.
    if text[:14].lstrip(_LEADING).lower().startswith(_OPENERS) and _IRONIC_OPENING.match(text):
        return True
    tail = text.rstrip(_TRAILING)
    last = tail[tail.rfind(" ") + 1 :].lstrip(_TRAILING).lower()
    if last not in _LAST_WORDS:
        return False
    found = _SARCASTIC_END.search(text, max(0, len(text) - 80))
    if found is None:
        return False
    before = text[: found.start() + 1]
    if len(before.split()) < 3 or _APOLOGY.search(before):
        return False
    f = featurize(before, lexical)
    if f.dense.keys() & {WIN, PRAISE}:
        return False
    if COMPLAINT not in f.dense and f.dense[LEX_NEG] <= f.dense[LEX_POS]:
        return False
    # "I was sceptical at first, but the work doubled our enquiries. Great job.": what follows
    # the last "but" is what the praise answers; with no complaint or negative word there, it
    # is sincere.
    turns = [found.end() for found in _CONTRAST_WORD.finditer(before)]
    if not turns:
        return True
    g = featurize(before[turns[-1] :], lexical)
    return COMPLAINT in g.dense or g.dense[LEX_NEG] > 0


# The contrast words the model weighs ("sin embargo" turns at "embargo", as its tokens do).
_CONTRAST_WORD = re.compile(rf"\b(?:{'|'.join(sorted(CONTRASTS))})\b", re.IGNORECASE)


# Single quotes are apostrophes too, so only a quote without one, beside an ironic face,
# counts: "the 'quick fix' took all day 🙃".
_SINGLE_QUOTED_IRONY = re.compile(
    rf"(?<!\w)['‘][^'‘’\"]{{3,80}}['’](?!\w)[^'‘’]{{0,80}}?{_IRONIC_FACE}"
    rf"|{_IRONIC_FACE}[^'‘’]{{0,40}}?(?<!\w)['‘][^'‘’\"]{{3,80}}['’](?!\w)"
)


def rated(text: str, cues: Cues, lexical: Lexical, numbered: bool = True) -> Cues:
    """The cues with what the raw text says beyond the phrases: a score the client gives (a
    low one is a complaint, a high one praise), scare quotes and sarcastic praise (a
    complaint); a lost deal or a complaint stated outweighs either, as a win outweighs praise.
    `numbered` False: the caller knows the text holds no digit, "cero" or "diez"."""
    if cues[0] or cues[1]:
        return cues
    if ('"' in text or "“" in text or "«" in text) and (
        (
            _SCARE_QUOTED.search(text)
            and not (_ASKED_PLAINLY.search(text) and not _MOCKING.search(text))
        )
        or (_may_be_ironic(text) and _QUOTED_IRONY.search(text))
    ):
        return (False, True, False, False, False)
    if (
        ("'" in text or "‘" in text)
        and _has_ironic_face(text)
        and _SINGLE_QUOTED_IRONY.search(text)
    ):
        return (False, True, False, False, False)
    if not cues[2] and _sarcastic(text, lexical):
        return (False, True, False, False, False)
    if not cues[2] and _has_ironic_face(text) and _PRAISE_ANYWHERE.search(text):
        return (False, True, False, False, False)  # "wow. great job. 🙄"
    share = rating(text) if numbered else None
    if share is None:
        return cues
    if share <= RATED_LOW:
        return (False, True, False, False, False)
    if share >= RATED_HIGH and not any(cues):
        return (False, False, False, True, False)
    return cues


@cache
def _sales_cues() -> CueRules:
    """The sales rule and its polite words."""
    return CueRules(_cue_phrases().polite)


@cache
def _guard() -> frozenset[str]:
    """The words that keep a phrase from counting right after them: a negation or a
    comparison."""
    # "Not too expensive" is no objection: a phrase right after a negation (or a Spanish
    # "no es", "no parece"...) does not count, unless it starts with one itself ("no, no nos
    # interesa" is emphasis). Nor is "we won't sign the contract" a win.
    before = (
        sorted(NEGATIONS)
        + [f"no {verb}" for verb in _NEGATED_VERBS]
        + [f"{n} be" for n in _NEGATED_BE]
        + [f"{n} a" for n in ("not", "isnt", "wasnt", "never")]  # "not a waste of time"
        + [f"no {verb} {article}" for verb in ("es", "fue", "era") for article in ("un", "una")]
        # A comparison the reader wins: "much better than another supplier", "mejor que el de
        # otro proveedor".
        + ["better than", "superior to", "nicer than", "faster than", "cheaper than"]
        # Nearly done is not done: "I almost cancelled my membership, but...".
        + ["almost", "nearly", "casi", "a punto de", "estuve a punto de", "estuvimos a punto de"]
        # About to, and did not: "I was about to cancel, but...", "iba a cancelar pero...",
        # "I was ready to leave a bad review, but the replacement came next day".
        + [
            f"{who} {about} to{leave}"
            for who in ("was",)  # not "were": "we're" folds to it
            for about in ("about", "ready", "going")
            for leave in ("", " leave a", " write a", " post a")
        ]
        + [
            f"{about}{leave}"
            for about in ("iba a", "ibamos a", "estaba por", "estabamos por", "estuve por")
            for leave in ("", " dejar una", " dejarles una", " poner una", " escribir una")
        ]
        + [f"a punto de {leave} una" for leave in ("dejar", "dejarles", "poner", "escribir")]
        # Not yet done: "a trial class before signing up", "antes de contratar".
        + ["before", "antes de"]
        # Switching from a competitor to the reader: "we moved from another provider".
        + [
            f"{verb} from{article}"
            for verb in ("switched", "switching", "moved", "moving", "came")
            for article in ("", " the", " a", " an", " our")
        ]
        + [
            f"{verb}{article}"
            for verb in ("desde", "venimos de", "vinimos de", "veniamos de")
            for article in ("", " la", " el", " una", " un", " nuestra", " nuestro")
        ]
        + [
            f"{better} que{article}"
            for better in ("mejor", "mejores", "superior", "superiores", "mas barato", "mas rapido")
            for article in ("", " el", " la", " los", " las", " el de", " la de", " los de")
        ]
    )
    assert max(len(n.split()) for n in before) <= _GUARD_WORDS
    return frozenset(before)


def _alone(phrases: tuple[str, ...]) -> list[str]:
    """The regex group of phrases that count only as a whole clause ("No thanks." refuses, "no
    thanks needed" does not)."""
    return [rf"(?:^|(?<=, ))(?:{_trie_pattern(list(phrases))})(?= ,|$)"] if phrases else []


@cache
def _rule(kind: str) -> re.Pattern[str]:
    """One kind's regex ("loss", "complaint", "win", "praise", "resolved", "stay", "request",
    "blame", "plain"), compiled once per process on first use, or read from the disk cache
    (building and parsing the large ones takes seconds)."""
    return compiled(
        f"sales-rule\0{kind}\0{_rules_source()}", lambda: _rule_pattern(kind), f"sales-{kind}"
    )


@cache
def _rules_source() -> str:
    """A digest of what the rule's patterns are built from: the phrases and this module."""
    digest = hashlib.sha256((DATA / "sales_cues.tsv").read_bytes())
    digest.update(Path(__file__).read_bytes())
    return digest.hexdigest()


def _rule_pattern(kind: str) -> str:
    """One kind's pattern (see `_rule`)."""
    cues = _cue_phrases()
    if kind == "loss":
        reader = (
            rf"(?!(?: \w+){{0,3}} (?:{'|'.join(_SECOND_PERSON + _OFFER)})\b)"
            # "nos quedamos con el Tucson blanco", "we'll go with the blue one": a thing the
            # reader sells; "the other supplier", "la de la competencia" are someone else.
            rf"(?! (?:{'|'.join(_THE)}) (?!(?:{'|'.join(_SOMEONE_ELSE)})\b)\w+\b"
            rf"(?!(?: \w+){{0,5}} (?:{'|'.join(_ANOTHER)})\b))"
        )
        groups = _alternatives(cues.loss) + _alternatives(cues.choice, reader)
        groups += _alone(cues.loss_alone)
    elif kind == "win":
        groups = _alternatives(cues.win + cues.stay)  # staying with the reader is won too
        groups += _alone(cues.alone)  # "Deal." is a clause of its own; "the deal" is not a win
    elif kind == "complaint":
        groups = _alternatives(cues.complaint) + _alone(cues.complaint_alone)
    elif kind == "plain":
        groups = [_trie_pattern(list(cues.plain))] if cues.plain else []
    else:
        groups = _alternatives(getattr(cues, kind))
    return rf"(?<![\w~])(?:{'|'.join(groups) or '(?!)'})(?![\w])"


class Lexical:
    """Word valences from the lexicons (English VADER, Spanish words and stems), memoised."""

    def __init__(self, lex: Lexicons | None = None) -> None:
        from tools.sentiment._analyzer import Analyzer

        self._analyzer = Analyzer(lex or lexicons())
        self._symbols = self._analyzer.lex.symbols
        self._memo: dict[str, dict[str, float]] = {"es": {}, "en": {}, "mixed": {}}

    def table(self, language: str) -> dict[str, float]:
        """The memo of valences for one language ("es", "en" or "mixed"); fill with `valence`."""
        return self._memo[language]

    def valence(self, token: str, language: str) -> float:
        """The token's valence on -4..4 (0 when unknown)."""
        memo = self._memo[language]
        found = memo.get(token)
        if found is None:
            if token[0].isalnum():
                found = self._analyzer._valence(token, language)
                if not found and language != "en" and len(token) >= _INFLECTED_MIN:
                    found = self._inflected(token)
            else:
                found = self._symbols.get(token, 0.0)
            if len(memo) < 300_000:
                memo[token] = found
        return found

    def _inflected(self, token: str) -> float:
        """The valence of the Spanish word `token` inflects, when the lexicons list only
        that word: a plural ("malas": "mala"), a superlative ("feísima": "fea") or an "-azo"
        augmentative ("malazo": "malo"). 0 for a word listed as it stands."""
        spanish = self._analyzer._spanish
        if token in self._analyzer.lex.spanish_words or not token.isalpha():
            return 0.0
        for base in _base_forms(token):
            value = spanish(base)
            if value:
                return value
        return 0.0


# Spanish inflections of a listed word that the lexicons do not list themselves: the stems
# take their own suffixes, but the whole words ("mala", "feo", "fatal") did not inflect.
_INFLECTED_MIN = 5
_SUPERLATIVE = re.compile(r"(\w{2,}?)isim([oa])s?")
_AUGMENTATIVE = re.compile(r"(\w{2,}?)az([oa])s?")
_NOT_AUGMENTED = frozenset({"pedazo", "pedazos"})  # "un pedazo de…" is a piece, not "pedo"


def _base_forms(word: str) -> list[str]:
    """The words a folded Spanish `word` may inflect, most likely first: "malisimas" ->
    "malo", "mala"...; "fatales" -> "fatal"; "malazo" -> "malo"."""
    found: list[str] = []
    # The masculine singular first: the adjective as listed ("carísimas" is "caro", not "cara").
    if m := _SUPERLATIVE.fullmatch(word):
        stem, ending = m.group(1), m.group(2)
        if stem.endswith("qu"):  # flaquísimo: flaco
            found.append(stem[:-2] + "co")
        elif stem.endswith("gu"):  # larguísimo: largo
            found.append(stem[:-1] + "o")
        elif stem.endswith("bil"):  # horribilísimo: horrible
            found.append(stem[:-3] + "ble")
        elif stem.endswith("c"):  # felicísimo: feliz
            found.append(stem[:-1] + "z")
        found += [stem + "o", stem + ending, stem + "e", stem]
    elif (m := _AUGMENTATIVE.fullmatch(word)) and word not in _NOT_AUGMENTED:
        found += [m.group(1) + "o", m.group(1) + m.group(2)]
    elif word.endswith("es"):
        found += [word[:-2], word[:-1]]  # fatales: fatal; tristes: triste
    elif word.endswith("s"):
        found.append(word[:-1])
    return found


@cache
def _formulae() -> dict[str, tuple[tuple[str, ...], ...]]:
    """First word -> the greeting and sign-off formulae of data/formulae.tsv it starts."""
    index: dict[str, list[tuple[str, ...]]] = {}
    for line in (DATA / "formulae.tsv").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            words = tuple(line.split())
            index.setdefault(words[0], []).append(words)
    # Longest first: "un cordial saludo" wins over "un saludo"'s neighbour "cordial saludo".
    return {first: tuple(sorted(found, key=len, reverse=True)) for first, found in index.items()}


@cache
def formula_starts() -> dict[str, frozenset[str] | bool]:
    """Word -> True if a formula may start and end with it ("saludos"; and "buenas", which
    can greet alone), else the words that can follow it in one ("buenos" -> "dias"): a text
    without such a pair has nothing to strip."""
    starts: dict[str, frozenset[str] | bool] = {}
    for first, phrases in _formulae().items():
        if first == "buenas" or any(len(phrase) == 1 for phrase in phrases):
            starts[first] = True
        else:
            starts[first] = frozenset(phrase[1] for phrase in phrases)
    return starts


# "Buenas," "Buenas 👋" or "Hola, buenas!" opening a text greets as "hola" does; "Buenas
# noticias" is news. Tokens carry no commas, so this reads the text itself.
_LONE_GREETING = re.compile(r"\W*(?:hola\W+)?buenas(?=\s*(?:[^\w\s]|$))")


def strip_formulae(toks: list[str], text: str = "") -> list[int] | None:
    """Positions of the tokens outside greeting and sign-off formulae (and a lone "buenas"
    opening `text`); None if there are none."""
    starts = _formulae()
    keep: list[int] = []
    at, n = 0, len(toks)
    lone = -1
    if text and "buenas" in toks[:3] and _LONE_GREETING.match(fold(text)):
        lone = toks.index("buenas")
    while at < n:
        if at == lone:
            at += 1
            continue
        found = starts.get(toks[at])
        if found and not (at and toks[at - 1] in NEGATIONS):
            for phrase in found:
                end = at + len(phrase)
                if end <= n and tuple(toks[at:end]) == phrase:
                    at = end
                    break
            else:
                keep.append(at)
                at += 1
        else:
            keep.append(at)
            at += 1
    return keep if len(keep) < n else None


def _lexicon_features(
    pos: float, neg: float, before: tuple[float, float] | None
) -> dict[str, float]:
    """The dense lexicon features: log(1 + summed positive / negative valence), the sums
    before the last contrast weighed down and those after it up."""
    if before is not None:
        if CONTRAST_SCOPE == "none":
            pos, neg = before[0] + pos, before[1] + neg
        else:
            pos, neg = before[0] * BEFORE + pos * AFTER, before[1] * BEFORE + neg * AFTER
    return {LEX_POS: math.log1p(pos), LEX_NEG: math.log1p(neg)}


def _contrasted(hits: list[tuple[str, float]], cut: int) -> list[tuple[str, float]]:
    """The hits as they weigh: before the last contrast (`cut` hits) down, after it up."""
    if cut < 0 or CONTRAST_SCOPE == "none":
        return hits
    return [(w, v * (BEFORE if k < cut else AFTER)) for k, (w, v) in enumerate(hits)]


def featurize(
    text: str, lexical: Lexical, language: str | None = None, cues: Cues | None = None
) -> Featurized:
    """Tokens, n-gram features and lexicon features of one text (language detected if None;
    the sales cues read from the text if None)."""
    text = visible(text)
    toks = tokens(text)
    words = [t for t in toks if t[0].isalnum()]
    lang = language or detect(words, text)  # formulae included: "buenos días" says Spanish
    rules = _sales_cues()
    if cues is None:
        kinds = possible_cues(words)
        cues = rated(text, rules.read(loss_text(text), kinds) if kinds else NO_CUES, lexical)
    lost, complained = cues[0], cues[1]
    if lang in OTHERS and len(words) < IDENTIFY_WORDS and any(cues):
        # A lone word our phrases read is ours to score: "nel" is Mexican "no" (Italian "in the").
        lang = "unknown"
    keep = strip_formulae(toks, text)
    if keep is not None:
        toks = [toks[i] for i in keep]
        words = [t for t in toks if t[0].isalnum()]
    lex_lang = lang if lang in ("es", "en") else "mixed"
    if lost or complained:
        # "Thanks anyway!" around a lost deal (or a complaint) is courtesy, not satisfaction.
        polite = rules.polite
        toks = [t for t in toks if t not in polite and t != "!"]
        words = [t for t in words if t not in polite]
    lexical_hits: list[tuple[str, float]] = []
    negate = 0
    memo = lexical.table(lex_lang)
    # The sums as `Fast` streams them: the current clause, and all before the last contrast.
    pos = neg = 0.0
    before: tuple[float, float] | None = None
    cut = -1
    for token in toks:
        if token in NEGATIONS:
            negate = 3
            continue
        if token in CONTRASTS:
            negate = 0
            before = (pos, neg) if before is None else (before[0] + pos, before[1] + neg)
            pos = neg = 0.0
            cut = len(lexical_hits)
            continue
        value = memo.get(token)
        if value is None:
            value = lexical.valence(token, lex_lang)
        if value:
            # A negation turns words, not emoji: "no te vuelvo a presentar a nadie 🤣" laughs.
            if negate and token[0].isalnum():
                value *= -0.74
            lexical_hits.append((token, value))
            if value > 0:
                pos += value
            else:
                neg -= value
        if negate and token[0].isalnum():
            negate -= 1
    dense = _lexicon_features(pos, neg, before)
    lexical_hits = _contrasted(lexical_hits, cut)
    if any(cues):
        dense[CUE_FEATURES[cues.index(True)]] = 1.0
    return Featurized(lang, toks, words, dense, lexical_hits)


@cache
def cue_pairs() -> dict[str, dict[str, Keyed]]:
    """Word -> the word before it ("" for a one-word key) -> the word sets (and kinds) of the
    sales phrases keyed by that pair of adjacent words.

    A phrase's words are adjacent in the text the regexes read, so a text without a phrase's
    key pair cannot match it. A pair is far rarer than either of its words ("cancelled my",
    not "cancelled"; "not for", not "not"), so the fast scorer checks pairs as it reads. The
    pair chosen holds the most words that are no English or Spanish function word, then the
    most letters; a phrase with no pair outside its gaps is keyed by one word."""
    function_words = {
        word
        for word, found in _cues()["words"].items()
        if any(language in ("en", "es") for language, _ in found)
    }
    common = frozenset(function_words) | NEGATIONS | frozenset(_SECOND_PERSON)
    index: dict[str, dict[str, list[tuple[tuple[str, ...], int]]]] = {}
    cues = _cue_phrases()
    kinds = (
        (cues.loss + cues.choice + cues.loss_alone, LOSS_CUE),
        (cues.complaint + cues.complaint_alone, COMPLAINT_CUE),
        (cues.win + cues.alone + cues.stay, WIN_CUE),
        (cues.praise, PRAISE_CUE),
    )
    for phrases, kind in kinds:
        for phrase in phrases:
            words = phrase.split(" ")
            pairs = [p for p in itertools.pairwise(words) if "*" not in p]
            if pairs:
                first, second = max(
                    pairs,
                    key=lambda p: ((p[0] not in common) + (p[1] not in common), len(p[0] + p[1])),
                )
            else:
                first, second = (
                    "",
                    max((w for w in words if w != "*"), key=lambda w: (w not in common, len(w))),
                )
            keyed = index.setdefault(second, {}).setdefault(first, [])
            # A tuple of strings, not a frozenset: the garbage collector stops tracking it,
            # so full collections skip these ~77,000 phrases (a frozenset is always tracked).
            keyed.append((tuple(sorted({w for w in words if w != "*"})), kind))
    used = Counter(
        w for found in index.values() for sets in found.values() for p in sets for w in p[0]
    )
    return {
        w: {prev: _filed(sets, (prev, w), used) for prev, sets in found.items()}
        for w, found in index.items()
    }


def _filed(
    phrases: list[tuple[tuple[str, ...], int]], pair: tuple[str, str], used: Counter[str]
) -> Keyed:
    """One key pair's phrases, those of a pair keying many filed by their rarest other word:
    "a few" keys hundreds, and a text holds few of their other words."""
    if len(phrases) <= _PIVOT_FROM:
        return tuple(phrases), None
    always: list[tuple[tuple[str, ...], int]] = []
    by_word: dict[str, list[tuple[tuple[str, ...], int]]] = {}
    for words, kind in phrases:
        others = [w for w in words if w not in pair]
        if others:
            by_word.setdefault(min(others, key=lambda w: (used[w], w)), []).append((words, kind))
        else:
            always.append((words, kind))
    return tuple(always), {w: tuple(found) for w, found in by_word.items()}


_MANY_GROUPS = 8


def keyed_kinds(groups: list[Keyed], present: set[str]) -> int:
    """The kinds (bits) of the phrases in `groups` whose every word is in `present`."""
    kinds = 0
    if len(groups) > _MANY_GROUPS:  # a long message names the same pairs many times
        groups = list({id(group): group for group in groups}.values())
    for always, by_word in groups:
        for phrase, kind in always:
            if present.issuperset(phrase):
                kinds |= kind
        if by_word is None:
            continue
        # Whichever is smaller is walked: a short text's words, or a long one's filed words.
        for word in present if len(present) <= len(by_word) else by_word.keys() & present:
            filed = by_word.get(word)
            if filed:
                for phrase, kind in filed:
                    if present.issuperset(phrase):
                        kinds |= kind
    return kinds


def possible_cues(words: list[str]) -> int:
    """The kinds (bits) of the sales phrases whose key pair and every word are in the text:
    no other kind's regex can match it (0: none can)."""
    keyed = cue_pairs()
    groups: list[Keyed] = []
    previous = ""
    for word in words:
        pairs = keyed.get(word)
        if pairs:
            for before in ("", previous) if previous else ("",):
                found = pairs.get(before)
                if found:
                    groups.append(found)
        previous = word
    return keyed_kinds(groups, set(words)) if groups else 0


@dataclass(frozen=True, slots=True)
class Weights:
    """The trained model as read from data/model.json."""

    version: str
    bias: tuple[float, float, float]
    sparse: dict[str, tuple[float, float, float]]
    dense: dict[str, tuple[float, float, float]]
    # A text with no lexicon word (and no lost deal) is positive or negative only when the
    # model is at least this sure; otherwise neutral ("Te llamo mañana" is logistics).
    evidence: float = 0.0
    # The digest of the rule and lexicon files the model was fit with (`rules_digest`).
    rules: str = ""

    @classmethod
    def read(cls, data: dict[str, Any], version: str | None = None) -> Weights:
        """The weights in model.json's shape (classes checked); `version` overrides its own."""
        if tuple(data["classes"]) != CLASSES:
            raise ValueError(f"model classes {data['classes']}, expected {CLASSES}")
        fitted = data.get("contrast", "none")
        if fitted != CONTRAST_SCOPE:
            raise ValueError(
                f"model fit with contrast {fitted!r}, scorer set to {CONTRAST_SCOPE!r}"
            )
        if data.get("scorer", 1) != SCORER_REVISION:
            raise ValueError(
                f"model built for scorer revision {data.get('scorer', 1)}, this is "
                f"{SCORER_REVISION}: rebuild it (python -m tools.sentiment.train)"
            )
        return cls(
            version=version or str(data["version"]),
            bias=tuple(data["bias"]),
            sparse={k: tuple(v) for k, v in data["sparse"].items()},
            dense={k: tuple(v) for k, v in data["dense"].items()},
            evidence=float(data.get("evidence", 0.0)),
            rules=str(data.get("rules", "")),
        )

    def label(self, p: tuple[float, float, float], lexical: bool) -> tuple[str, float]:
        """The label and its probability: the likeliest class, unless it lacks evidence."""
        p_pos, p_neu, p_neg = p
        # Ties go to the first class, as max() over (positive, neutral, negative) gives them.
        if p_pos >= p_neu and p_pos >= p_neg:
            label, top = "positive", p_pos
        elif p_neu >= p_neg:
            return "neutral", p_neu
        else:
            label, top = "negative", p_neg
        if not lexical and top < self.evidence:
            return "neutral", p_neu
        return label, top


@cache
def rules_digest() -> str:
    """A digest of every file in data/ but the model: lexicons, cues, formulae, rules.

    The model file records the digest it was fit with, so its version (stored with every
    score, and what `wallie sentiment backfill` compares) changes when any of them does."""
    digest = hashlib.sha256()
    for path in sorted(DATA.iterdir()):
        if path.is_file() and path != MODEL_FILE:
            digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:12]


@cache
def weights() -> Weights:
    """The shipped model (read on first use)."""
    data = json.loads(MODEL_FILE.read_text(encoding="utf-8"))
    try:
        return Weights.read(data)
    except ValueError as error:
        raise ValueError(f"{MODEL_FILE}: {error}") from None


def model_version() -> str:
    """The version of the shipped model; stored with every score."""
    return weights().version


class Linear:
    """Scores featurized texts with the shipped weights; memoises each token's summed features."""

    def __init__(self, w: Weights) -> None:
        self.w = w
        self._units: dict[str, tuple[float, float, float]] = {}

    def _unit(self, key: str, token: str, negated: bool) -> tuple[float, float, float]:
        a = b = c = 0.0
        table = self.w.sparse
        for feat in unit(token, negated):
            found = table.get(feat)
            if found is not None:
                a += found[0]
                b += found[1]
                c += found[2]
        sums = (a, b, c)
        if len(self._units) < 500_000:
            self._units[key] = sums
        return sums

    def unit(self, token: str, negated: bool) -> tuple[float, float, float]:
        """One token's summed unit weights (token, "~token" when negated, char 4-grams)."""
        key = "~" + token if negated else token
        return self._units.get(key) or self._unit(key, token, negated)

    def probabilities(self, f: Featurized) -> tuple[float, float, float]:
        """P(positive), P(neutral), P(negative): the same sum as over `weighted_features`."""
        a = b = c = 0.0
        before: tuple[float, float, float] | None = None
        table = self.w.sparse
        units = self._units
        previous = "<s>"
        negated = 0
        # The walk of _features.walk, inlined: this loop is the hot path of every import.
        for token in f.tokens:
            if token in NEGATIONS:
                negated = 3
                key = token
                u = units.get(key) or self._unit(key, token, False)
            elif token in CONTRASTS:
                negated = 0
                u = units.get(token) or self._unit(token, token, False)
            elif token[0].isalnum():
                if negated:
                    negated -= 1
                    key = "~" + token
                    u = units.get(key) or self._unit(key, token, True)
                else:
                    u = units.get(token) or self._unit(token, token, False)
            else:
                if token in ("?", "!"):
                    negated = 0
                u = units.get(token) or self._unit(token, token, False)
            found = table.get(previous + " " + token)
            if found is not None:
                a += found[0] + u[0]
                b += found[1] + u[1]
                c += found[2] + u[2]
            else:
                a += u[0]
                b += u[1]
                c += u[2]
            previous = token
            if token in CONTRASTS:  # the contrast word itself goes with what precedes it
                before = (
                    (a, b, c) if before is None else (before[0] + a, before[1] + b, before[2] + c)
                )
                a = b = c = 0.0
        return self.finish(a, b, c, f.dense, before)

    def finish(
        self,
        a: float,
        b: float,
        c: float,
        values: dict[str, float],
        before: tuple[float, float, float] | None = None,
    ) -> tuple[float, float, float]:
        """Probabilities from the sparse sums (those after the last contrast, and `before` it),
        the bias and the dense features' terms."""
        if before is not None:
            if CONTRAST_SCOPE == "all":
                a, b, c = (
                    before[0] * BEFORE + a * AFTER,
                    before[1] * BEFORE + b * AFTER,
                    before[2] * BEFORE + c * AFTER,
                )
            else:
                a, b, c = before[0] + a, before[1] + b, before[2] + c
        bias = self.w.bias
        a, b, c = a + bias[0], b + bias[1], c + bias[2]
        dense = self.w.dense
        for name, value in values.items():
            dw = dense.get(name)
            if dw is not None:
                a += dw[0] * value
                b += dw[1] * value
                c += dw[2] * value
        top = max(a, b, c)
        ea, eb, ec = math.exp(a - top), math.exp(b - top), math.exp(c - top)
        total = ea + eb + ec
        return ea / total, eb / total, ec / total


@cache
def _not_drivers() -> frozenset[str]:
    """Function words and negations: they never explain a result on their own."""
    return frozenset(_cues()["words"]) | NEGATIONS | CONTRASTS


def drivers(f: Featurized, linear: Linear, limit: int = 6) -> list[tuple[str, float]]:
    """The words that pushed the result most: model weight (positive minus negative) + lexicon.

    A word's model weight is that of the form it takes in this text (negated or not), so
    the drivers depend on the text alone, never on what was scored before."""
    skip = _not_drivers()
    pushes: dict[str, float] = {}
    cut = last_contrast(f.tokens) if CONTRAST_SCOPE == "all" else -1
    for at, (token, negated) in enumerate(walk(f.tokens)):
        if token[0].isalnum() and token not in skip:
            u = linear.unit(token, negated)
            push = u[0] - u[2]
            if cut >= 0:
                push *= BEFORE if at <= cut else AFTER
            pushes[token] = push
    for word, value in f.lexical:
        pushes[word] = pushes.get(word, 0.0) + value / 4.0
    for feature, driver in zip(CUE_FEATURES, CUE_DRIVERS, strict=True):
        weight = linear.w.dense.get(feature) if feature in f.dense else None
        if weight:
            pushes[driver] = weight[0] - weight[2]
    ranked = sorted(pushes.items(), key=lambda kv: -abs(kv[1]))[:limit]
    return [(word, value) for word, value in ranked if abs(value) >= 0.1]


def emotions(f: Featurized, lex: Lexicons, strength: float) -> dict[str, float]:
    """Six basic emotions from cue words and emoji (a complaint is anger too, praise joy),
    scaled a little by the sentiment's strength."""
    hits: dict[str, float] = {}
    cues = lex.emotions
    for token in f.tokens:
        for emotion in cues.get(token, ()):
            hits[emotion] = hits.get(emotion, 0.0) + 1.0
    for cue, emotion in CUE_EMOTIONS.items():
        if cue in f.dense:
            hits[emotion] = hits.get(emotion, 0.0) + 1.0
    scores = dict.fromkeys(EMOTIONS, 0.0)
    for emotion, n in hits.items():
        scores[emotion] = round(min(1.0, 0.4 * n + 0.2 * strength), 3)
    return scores

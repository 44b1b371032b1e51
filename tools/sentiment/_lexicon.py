"""Lexicons, loaded once: VADER's (English, emoji), Spanish stems and words, emotion cues."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import vaderSentiment.vaderSentiment as vader

from tools.sentiment._language import _cues

DATA = Path(__file__).parent / "data"
VADER_DIR = Path(vader.__file__).parent

EMOTIONS = ("joy", "anger", "sadness", "fear", "surprise", "trust")

# Spanish inflections a stem may take ("abandon" + "ado"); anything else is another word.
ES_SUFFIXES = frozenset(
    """
    a o e as os es ar er ir an en o aba aban ado ada ados adas ido ida idos idas ando iendo
    amos emos imos aron ieron ara era ira aria eria iria ase ese ia ian io ieron ara eran
    an en ad ed id ais eis mente isimo isima isimos isimas ito ita itos itas ote ota
    cion ciones sion siones idad idades oso osa osos osas ante antes ente entes ura uras
    imiento imientos amiento amientos able ables ible ibles
    """.split()
) | {""}

ES_BOOSTERS = {
    "muy": 0.293,
    "super": 0.293,
    "re": 0.2,
    "requete": 0.3,
    "bastante": 0.2,
    "demasiado": 0.25,
    "tan": 0.2,
    "realmente": 0.293,
    "totalmente": 0.293,
    "completamente": 0.293,
    "absolutamente": 0.293,
    "increiblemente": 0.293,
    "extremadamente": 0.293,
    "sumamente": 0.293,
    "mega": 0.293,
    "hiper": 0.293,
    "mas": 0.15,
    "muchisimo": 0.35,
    "mucho": 0.2,
    "poco": -0.293,
    "algo": -0.2,
    "ligeramente": -0.293,
    "medio": -0.2,
    "apenas": -0.293,
    "casi": -0.2,
}

ES_NEGATIONS = frozenset("no nunca jamas ni tampoco sin ningun ninguna ninguno nadie nada".split())
EN_NEGATIONS = frozenset(w.replace("'", "") for w in vader.NEGATE) | {"no", "nothing", "never"}

# Words after which the rest of the sentence weighs more ("bueno pero caro" is about price).
CONTRAST = frozenset({"pero", "but", "however", "sinembargo", "aunque", "though", "although"})

ABBREVIATIONS = {
    "q": "que",
    "k": "que",
    "xq": "porque",
    "pq": "porque",
    "porq": "porque",
    "tb": "tambien",
    "tmb": "tambien",
    "tbn": "tambien",
    "bn": "bien",
    "mñn": "manana",
    "mnn": "manana",
    "xfa": "porfavor",
    "xfavor": "porfavor",
    "pf": "porfavor",
    "grax": "gracias",
    "grs": "gracias",
    "thx": "thanks",
    "thnx": "thanks",
    "ty": "thanks",
    "pls": "please",
    "plz": "please",
    "u": "you",
    "ur": "your",
    "gr8": "great",
    "b4": "before",
    "np": "noproblem",
    "dnd": "donde",
    "d": "de",
    "x": "por",
    "ntp": "noproblem",
}

# Fixed expressions, matched on folded text before scoring (value on the -4..4 scale).
PHRASES = {
    "sin embargo": "sinembargo",
    "no pasa nada": "nopasanada",
    "sin problema": "noproblem",
    "sin problemas": "noproblem",
    "ningun problema": "noproblem",
    "no problem": "noproblem",
    "no worries": "noproblem",
    "de nada": "denada",
    "por favor": "porfavor",
    "lo siento": "losiento",
    "vale la pena": "valelapena",
    "me encanta": "meencanta",
    "me encantan": "meencanta",
    "muchas gracias": "muchasgracias",
    "mil gracias": "muchasgracias",
    "thank you": "thanks",
    "no way": "noway",
    "kind of": "kindof",
    "sort of": "kindof",
    "a bit": "abit",
    "un poco": "unpoco",
    "a little": "abit",
    "para nada": "paranada",
    "ni de broma": "nidebroma",
    "ya era hora": "yaerahora",
    "no puede ser": "nopuedeser",
    "cambiar de proveedor": "cambiardeproveedor",
    "otro proveedor": "cambiardeproveedor",
    "sin avisar": "sinavisar",
    "no es lo que": "noesloque",
    "otra vez": "otravez",
    "dos veces": "dosveces",
}
PHRASE_VALENCE = {
    "nopasanada": 1.0,
    "noproblem": 1.2,
    "denada": 0.8,
    "porfavor": 0.2,
    "losiento": -0.4,
    "valelapena": 2.2,
    "meencanta": 3.0,
    "muchasgracias": 2.6,
    "noway": -1.0,
    "paranada": -1.0,
    "nidebroma": -1.5,
    "yaerahora": -1.2,
    "nopuedeser": -1.8,
    "cambiardeproveedor": -1.8,
    "sinavisar": -1.2,
    "noesloque": -1.4,
    "otravez": -0.6,
    "dosveces": -0.4,
}
PHRASE_BOOSTERS = {"kindof": -0.293, "abit": -0.293, "unpoco": -0.293}

LAUGHTER = 1.6
AFINN_SCALE = 0.8  # AFINN's -5..+5 onto VADER's -4..+4


def fold(text: str) -> str:
    """Lower case without accents ("Pésimo" -> "pesimo"); ñ becomes n."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@dataclass
class Lexicons:
    """Every table the analyser reads, built once per process."""

    english: dict[str, float]
    spanish_words: dict[str, float]
    spanish_stems: dict[str, float]
    symbols: dict[str, float]
    boosters_en: dict[str, float]
    emotions: dict[str, tuple[str, ...]] = field(default_factory=dict)
    es_cues: frozenset[str] = frozenset()
    en_cues: frozenset[str] = frozenset()


def _read_tsv(path: Path, sep: str = "\t") -> list[list[str]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            rows.append(line.split(sep))
    return rows


@cache
def lexicons() -> Lexicons:
    """The loaded lexicons (read from disk on first use)."""
    english: dict[str, float] = {}
    symbols: dict[str, float] = {}
    for parts in _read_tsv(VADER_DIR / "vader_lexicon.txt"):
        word, value = parts[0], float(parts[1])
        if word.isalpha():
            english[word.lower()] = value
        else:
            symbols[word] = value  # emoticons: ":)", ":(", "<3", ...
    for word, rating in _read_tsv(DATA / "en_words.tsv"):
        english.setdefault(word, float(rating))  # VADER's own rating first
    for word, rating in _read_tsv(DATA / "en_pattern.tsv"):
        english.setdefault(word, float(rating))  # then ours, then Pattern's adjectives
    spanish_words = {
        fold(w): 0.0
        for line in (DATA / "es_neutral.txt").read_text(encoding="utf-8").splitlines()
        if not line.startswith("#")
        for w in line.split()
    }
    spanish_words.update({fold(w): float(v) for w, v in _read_tsv(DATA / "es_words.tsv")})
    # The translated AFINN words come after our own lists (first spelling wins), before stems;
    # function words are left out ("no" and "solo" were translated from "no" and "alone").
    function_words = _cues()["words"]
    for word, rating in _read_tsv(DATA / "es_afinn.tsv"):
        if (folded := fold(word)) not in function_words:
            spanish_words.setdefault(folded, AFINN_SCALE * float(rating))
    spanish_stems = {}
    for parts in _read_tsv(DATA / "es_stems.csv", sep=","):
        stem, value = fold(parts[0].strip()), float(parts[1])
        if value and len(stem) >= 4:
            spanish_stems[stem] = value
    for emoji, weight in _read_tsv(DATA / "emoji.tsv"):
        symbols[emoji] = float(weight)
    emotions: dict[str, set[str]] = {}
    for parts in _read_tsv(DATA / "emotions.tsv"):
        emotion, cues = parts[0], parts[1].split()
        for cue in cues:
            emotions.setdefault(fold(cue) if cue.isalpha() else cue, set()).add(emotion)
    # "like" is mostly a filler in chat ("like 3 days"); VADER's own rule special-cases it.
    english.pop("like", None)
    # Apostrophes are dropped, so "ill" is nearly always "I'll" ("I'll call you Monday").
    english.pop("ill", None)
    return Lexicons(
        english=english,
        spanish_words=spanish_words,
        spanish_stems=spanish_stems,
        symbols=symbols,
        boosters_en={k: v for k, v in vader.BOOSTER_DICT.items() if " " not in k},
        emotions={cue: tuple(sorted(e)) for cue, e in emotions.items()},
        es_cues=frozenset(
            """
            que de el la los las y en se no por con para una un es lo pero muy me mi te
            gracias hola esta estoy este esto su sus del al como mas ya nos os vale pues
            tambien porque cuando hay tiene tengo hemos vuestro vuestra buenas buenos dias
            """.split()
        ),
        en_cues=frozenset(
            """
            the and to is it you of for this that not but very my thanks hi hello are was
            be have has with your we they our what will would can could just so get got
            please our us an if about there do does did its im dont
            """.split()
        ),
    )

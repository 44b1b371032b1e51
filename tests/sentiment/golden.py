"""Golden outputs of the default analyser, to prove that faster scoring changes nothing.

`python -m tests.sentiment.golden` writes data/golden.json.gz: the development sets in
bench/data/ plus generated chat texts, each with the analyser's full result, scored in
order by a fresh scorer. Rewrite it only when the model or the rules change on purpose
(it was last rewritten for model lr-1475c68559df).
"""

from __future__ import annotations

import gzip
import json
import random
from pathlib import Path

from tools.sentiment import corpora
from tools.sentiment._features import NEGATIONS
from tools.sentiment._lexicon import ABBREVIATIONS, lexicons
from tools.sentiment._model import DATA, weights

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).parent / "data" / "golden.json.gz"
GENERATED = 4000
OTHER_POOLS = (0, 0, 1, 2, 3, 4, 4, 6, 7, 8, 9, 10, 11)  # indexes into _vocabulary()
EMOTICONS = [":)", ":-)", ":(", ":'(", ";)", ":D", "xD", ":P", "<3", ":/", ":|", "(:", "):"]
NOISE = ["!", "?", "!!", "?!", "...", ",", ".", ";", "-", "#", "*", "&", "%", "$", "€", "+"]
EXTRA = [
    "@maria",
    "@Support_Team",
    "https://example.com/x?y=1",
    "www.tienda.es/oferta",
    "jajajaja",
    "JAJAJ",
    "hahaha",
    "lol",
    "lmaooo",
    "XD",
    "rs",
    "12",
    "3pm",
    "2x1",
    "100€",
    "graciasss",
    "Muchíiisimas",
    "goooood",
    "NOOOO",
    "can't",
    "don't",
    "it's",
    "qué",
    "está",
    "Ñandú",
    "canción",
    "Über",
    "façade",
    "naïve",
    "ﬁne",
    "Ｔｅｓｔ",
    "_under_",
    "a_b",
    "x'",
    "'quoted'",
]


def development_texts() -> list[str]:
    """The labelled development sets shipped in bench/data/."""
    own = corpora.load_ratings(ROOT / "bench" / "data" / "sentiment_es_own.tsv")
    sales = corpora.load_labelled(ROOT / "bench" / "data" / "sentiment_sales_dev.tsv")
    return [t for t, _ in own] + [t for _, _, t in sales]


def _vocabulary() -> list[list[str]]:
    """Word pools: model, lexicon and cue words, sales phrases and formulae, emoji, noise."""
    lex = lexicons()
    model_words = sorted(k for k in weights().sparse if k[:1].isalnum() and " " not in k)
    cues: list[str] = []
    for line in (DATA / "languages.tsv").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            cues.extend(line.split("\t", 1)[1].split())
    phrases = [
        line.split("\t", 1)[1]
        for line in (DATA / "sales_cues.tsv").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    phrases += [  # greeting and sign-off formulae, stripped before scoring
        line
        for line in (DATA / "formulae.tsv").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    stems = sorted(lex.spanish_stems)
    inflected = [s + e for s in stems for e in ("", "o", "as", "amos", "ado", "isimo")][::7]
    return [
        model_words,
        sorted(lex.english),
        sorted(lex.spanish_words),
        inflected,
        sorted(set(cues)),
        phrases,
        [*sorted(NEGATIONS), "not", "no", "nunca", "sin", "nada", "all", "pero", "but"],
        sorted(lex.symbols) + EMOTICONS,
        sorted(k for k in lex.emotions if not k.isalpha()),
        sorted(ABBREVIATIONS),
        NOISE,
        EXTRA,
    ]


def _word(rng: random.Random, word: str) -> str:
    roll = rng.random()
    if roll < 0.06:
        return word.upper()
    if roll < 0.1:
        return word.capitalize()
    if roll < 0.13 and word[-1:].isalpha():
        return word + word[-1] * rng.randint(2, 5)
    if roll < 0.15:
        return word.replace("a", "á").replace("e", "é").replace("n", "ñ")
    return word


def generated_texts(n: int = GENERATED, seed: int = 13) -> list[str]:
    """Varied chat-like texts: mixed vocabulary, negation, emphasis, emoji, noise, languages."""
    rng = random.Random(seed)
    pools = _vocabulary()
    texts = []
    for i in range(n):
        length = rng.choice((0, 1, 1, 2, 3, 5, 8, 12, 20, 35, 60)) if i % 50 else 0
        parts = []
        for _ in range(length):
            # Sales phrases are rarer: a lost deal overrides the rest of the text.
            pool = pools[5] if rng.random() < 0.015 else pools[rng.choice(OTHER_POOLS)]
            parts.append(_word(rng, pool[rng.randrange(len(pool))]))
            if rng.random() < 0.08:
                parts.append(rng.choice(NOISE))
        sep = rng.choice((" ", " ", " ", "  ", "\n", ", "))
        text = sep.join(parts)
        if i % 7 == 0 and texts:
            text = texts[rng.randrange(len(texts))]  # repeats, as chat has
        texts.append(text)
    return texts


def golden_texts() -> list[str]:
    """Every text the golden file holds, in scoring order."""
    return development_texts() + generated_texts()


def main() -> None:
    """Score the golden texts with a fresh scorer and write them with their results."""
    from tools.sentiment import _Scorer

    scorer = _Scorer()
    rows = [[text, scorer.analyze(text).to_dict()] for text in golden_texts()]
    GOLDEN.parent.mkdir(parents=True, exist_ok=True)
    payload = json.dumps(rows, ensure_ascii=False, separators=(",", ":")).encode()
    GOLDEN.write_bytes(gzip.compress(payload, mtime=0))
    print(f"{GOLDEN}: {len(rows)} texts")


if __name__ == "__main__":
    main()

"""Text to model features: shared by training and run-time scoring, so both see the same."""

from __future__ import annotations

import os
import re
import unicodedata

from tools.sentiment._lexicon import ABBREVIATIONS

# Emoticons first (so ":)" is one token), then URLs and mentions, words, and single symbols.
# An emoticon neither follows a digit ("4:30" is a time, not ":3") nor runs on into a word
# when it ends in a letter or digit ("8pm", "xpress", "<30" are no faces).
_TOKEN = re.compile(
    r"(?<!\d)(?:[:;=8xX][-']?[)(\]\[dDpP/\\|*3]+|<3|\(:|\):)(?!(?<=[^\W_])[^\W_])"
    r"|https?://\S+|www\.\S+"
    r"|@\w+"
    r"|[^\W_](?:[\w']*[^\W_])?"
    r"|[!?]"
    r"|[^\s\w.,;:\"'()\[\]{}<>/\\|*+=_~`^-]",
)
_ELONGATED = re.compile(r"(\w)\1{2,}")
_DIGITS = re.compile(r"\d")
# Laughter in either language is one token, so English "haha" teaches Spanish "jajaja".
_LAUGH = re.compile(r"^(?:(?:ja|je|ji|ha|he|hi|ah|aj|ka|rs){2,}[jahks]*|lol+|lmao+|lmfao+|xd+)$")
_COMBINING = re.compile(r"[\u0300-\u036f]")


# Marks that show nothing but split or join words: C0 control characters (a space stands for
# them; C1 ones stay, as mojibake of quotes in the training tweets), and soft hyphens,
# zero-width spaces, direction marks and byte-order marks that copied text carries inside
# words ("excel\u00adlent"); a zero-width joiner only between letters, since emoji sequences
# need it ("🤷\u200d♀️").
_CONTROL_CHARS = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f"
_INVISIBLE_CHARS = "\u00ad\u200b\u200c\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff"
_JOINER = "\u200d"
_CONTROL = re.compile(f"[{_CONTROL_CHARS}]")
_INVISIBLE = re.compile(f"[{_INVISIBLE_CHARS}]|(?<=[^\\W\\d_]){_JOINER}(?=[^\\W\\d_])")
# One character class, so the scan that nearly always finds nothing runs at C speed.
_HIDDEN = re.compile(f"[{_CONTROL_CHARS}{_INVISIBLE_CHARS}{_JOINER}]")


def visible(text: str) -> str:
    """The text without the marks that show nothing (control characters become spaces)."""
    if _HIDDEN.search(text) is None:  # nearly every text: one scan, no copy
        return text
    return _INVISIBLE.sub("", _CONTROL.sub(" ", text))


def fold(text: str) -> str:
    """Lower case without accents, as the lexicons' fold, with a fast path for ASCII."""
    lowered = text.lower()
    if lowered.isascii():
        return lowered
    return _COMBINING.sub("", unicodedata.normalize("NFKD", lowered))


NEGATIONS = frozenset(
    """
    no nunca jamas ni tampoco sin ningun ninguna ninguno nadie not never nothing nobody none
    nor cannot cant dont doesnt didnt isnt arent wasnt werent wont wouldnt shouldnt couldnt
    havent hasnt hadnt aint
    """.split()
)


# Contrast: what follows "but" outweighs what came before it (VADER's rule: x0.5 before the
# last one, x1.5 after). It also ends a negation's reach: "sin embargo, estamos contentos".
CONTRASTS = frozenset({"but", "however", "pero", "sino", "embargo"})
BEFORE, AFTER = 0.5, 1.5
# Which sums the contrast weighs: "all" (every n-gram and the lexicon; the shipped model),
# "lexicon" or "none". Another value than the model's (model.json's "contrast") is for the
# development comparison only (`WALLIE_SENTIMENT_CONTRAST=none python -m bench.sentiment_dev`):
# the shipped model refuses to load under it.
CONTRAST_SCOPE = os.environ.get("WALLIE_SENTIMENT_CONTRAST", "all")

_NORMAL: dict[str, str] = {}  # raw folded token -> normalised token (the hot path's memo)


def _normalise(token: str) -> str:
    first = token[0]
    if first == "@" and len(token) > 1:
        out = "@user"
    elif first in "hw" and token.startswith(("http", "www.")):
        out = "<url>"
    elif first.isalnum():
        out = token.replace("'", "")
        if _ELONGATED.search(out):
            out = _ELONGATED.sub(r"\1\1", out)
        if (first.isdigit() or out[-1].isdigit()) and out.isalnum():  # not "8)", a face
            out = _DIGITS.sub("0", out)
        out = ABBREVIATIONS.get(out, out)
        if _LAUGH.match(out):
            out = "<laugh>"
    else:
        out = token
    if len(_NORMAL) < 500_000:
        _NORMAL[token] = out
    return out


def tokens(text: str) -> list[str]:
    """Folded tokens: words, emoji, emoticons, "!" and "?"; URLs and @names stand as one token."""
    normal = _NORMAL
    return [normal.get(t) or _normalise(t) for t in _TOKEN.findall(fold(text))]


def unit(token: str, negated: bool) -> list[str]:
    """One token's own features: the token (marked "~" when negated) and its character 4-grams."""
    if not token[0].isalnum():
        return [token]
    out = ["~" + token if negated else token]
    if len(token) > 3:
        padded = f" {token} "
        out.extend(["#" + padded[i : i + 4] for i in range(len(padded) - 3)])
    return out


def walk(toks: list[str]) -> list[tuple[str, bool]]:
    """Each token with whether a negation covers it (the three words after one, until ? or !)."""
    out: list[tuple[str, bool]] = []
    negated = 0
    for token in toks:
        if token in NEGATIONS:
            negated = 3
            out.append((token, False))
        elif token in CONTRASTS:
            negated = 0
            out.append((token, False))
        elif token[0].isalnum():
            out.append((token, negated > 0))
            if negated:
                negated -= 1
        else:
            if token in ("?", "!"):
                negated = 0
            out.append((token, False))
    return out


def features(toks: list[str]) -> list[str]:
    """Every feature of a text: each token's unit features, and word bigrams."""
    return [feat for feat, _ in weighted_features(toks)]


def last_contrast(toks: list[str]) -> int:
    """Position of the last contrast word ("but", "pero"), or -1 when there is none."""
    for at in range(len(toks) - 1, -1, -1):
        if toks[at] in CONTRASTS:
            return at
    return -1


def weighted_features(toks: list[str]) -> list[tuple[str, float]]:
    """Every feature with its weight: 1, or the contrast's weights when n-grams take them."""
    cut = last_contrast(toks) if CONTRAST_SCOPE == "all" else -1
    out: list[tuple[str, float]] = []
    previous = "<s>"
    for at, (token, negated) in enumerate(walk(toks)):
        # The contrast word goes with what precedes it.
        weight = 1.0 if cut < 0 else BEFORE if at <= cut else AFTER
        out.extend((feat, weight) for feat in unit(token, negated))
        out.append((previous + " " + token, weight))
        previous = token
    return out

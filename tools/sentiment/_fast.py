"""The default scorer's hot path: one pass over cached per-token entries (same results as
`featurize`, `Linear.probabilities`, `drivers` and `emotions` in tools/sentiment/_model.py)."""

from __future__ import annotations

from typing import Any

from tools.sentiment._analyzer import SentimentResult
from tools.sentiment._features import _NORMAL, _TOKEN, NEGATIONS, _normalise, fold
from tools.sentiment._language import OTHERS, _cues, decide
from tools.sentiment._lexicon import EMOTIONS
from tools.sentiment._model import (
    CLASSES,
    Lexical,
    Linear,
    _lexicon_features,
    _loss_words,
    _not_drivers,
    _sales_cues,
    drivers,
    emotions,
    featurize,
)

# One entry per raw folded token: everything scoring needs to know about it, looked up once.
# (normalised token, kind, language cues, loss phrases it starts, "~" key, bigrams ending in it,
#  emotion cues, may be a driver,
#  valence per lexicon language, unit sums plain and negated)
_Entry = list[Any]
_LEX_LANGS = ("es", "en", "mixed")
_NEGATION, _WORD, _STOP, _SYMBOL = 0, 1, 2, 3  # kinds: "?" and "!" stop a negation's scope
_NO_BIGRAMS: dict[str, tuple[float, float, float]] = {}


def _strength(item: tuple[str, float]) -> float:
    return -abs(item[1])


class Fast:
    """The default scorer's hot path: `featurize`, `Linear.probabilities`, `drivers` and
    `emotions` fused into one pass over cached per-token entries, with identical results."""

    def __init__(self, lexical: Lexical, linear: Linear) -> None:
        self.lexical = lexical
        self.linear = linear
        self.lex = lexical._analyzer.lex
        self._entries: dict[str, _Entry] = {}
        self._shown: dict[str, tuple[float, str]] = {}
        # Every sparse key split at each space: (text before, text after) finds the weight of
        # "previous token" exactly as the string concatenation would, without building it.
        self._bigrams: dict[str, dict[str, tuple[float, float, float]]] = {}
        for key, value in linear.w.sparse.items():
            at = key.find(" ")
            while at >= 0:
                self._bigrams.setdefault(key[at + 1 :], {})[key[:at]] = value
                at = key.find(" ", at + 1)

    def _entry(self, raw: str) -> _Entry:
        token = _NORMAL.get(raw) or _normalise(raw)
        alnum = token[0].isalnum()
        kind = (
            _NEGATION
            if token in NEGATIONS
            else _WORD
            if alnum
            else _STOP
            if token in ("?", "!")
            else _SYMBOL
        )
        # Unit sums (plain, negated) are filled on first use from Linear's memo, so that memo
        # gains the same keys as Linear.probabilities would give it (drivers read it).
        valence = self.lexical.valence
        entry: _Entry = [
            token,
            kind,
            _cues()["words"].get(token) if alnum else None,
            _loss_words().get(token, ()) if alnum else (),
            "~" + token,
            self._bigrams.get(token, _NO_BIGRAMS),
            self.lex.emotions.get(token, ()),
            alnum and token not in _not_drivers(),
            tuple(valence(token, lang) for lang in _LEX_LANGS),
            None,
            None,
        ]
        if len(self._entries) < 500_000:
            self._entries[raw] = entry
        return entry

    def analyze(self, text: str, explain: bool = True) -> SentimentResult:
        """The sentiment of one text, exactly as featurize + Linear + drivers + emotions give it.

        With explain=False, emotions and drivers are left empty (label and score only)."""
        get = self._entries.get
        entries = [get(raw) or self._entry(raw) for raw in _TOKEN.findall(fold(text))]
        counts: dict[str, float] = {}
        maybe_lost: list[tuple[frozenset[str], ...]] = []
        for entry in entries:
            cues = entry[2]
            if cues:
                for language, share in cues:
                    counts[language] = counts.get(language, 0.0) + share
            if entry[3]:
                maybe_lost.append(entry[3])
        language = decide(counts)
        if language in OTHERS:
            return self._slow(text, language)
        if maybe_lost:
            # Words hold no spaces, so the set of words is the set the loss regex can see.
            present = {entry[0] for entry in entries if entry[1] <= _WORD}
            if any(phrase <= present for phrases in maybe_lost for phrase in phrases):
                joined = " ".join([entry[0] for entry in entries if entry[1] <= _WORD])
                if _sales_cues()[0].search(joined):
                    return self._slow(text, language)
        lex_lang = language if language in ("es", "en") else "mixed"
        linear = self.linear
        units_get = linear._units.get
        make_unit = linear._unit
        a, b, c = linear.w.bias
        hits: list[tuple[str, float]] = []
        negate = 0  # the lexicon's scope: three tokens, "?" and "!" included
        negated = 0  # the model's scope: three words, ended by "?" or "!"
        previous = "<s>"
        li = _LEX_LANGS.index(lex_lang)
        for entry in entries:
            token, kind, _, _, negkey, bigrams, _, _, values, u, nu = entry
            if kind == _NEGATION:
                negate = negated = 3
                if u is None:
                    u = entry[9] = units_get(token) or make_unit(token, token, False)
            else:
                value = values[li]
                if value:
                    hits.append((token, value * -0.74 if negate else value))
                if kind == _WORD:
                    if negate:
                        negate -= 1
                    if negated:
                        negated -= 1
                        u = nu
                        if u is None:
                            u = entry[10] = units_get(negkey) or make_unit(negkey, token, True)
                    elif u is None:
                        u = entry[9] = units_get(token) or make_unit(token, token, False)
                else:
                    if kind == _STOP:
                        negated = 0
                    if u is None:
                        u = entry[9] = units_get(token) or make_unit(token, token, False)
            x, y, z = u
            found = bigrams.get(previous)
            if found is not None:  # u + bigram, then into the sums: the same floats
                x += found[0]
                y += found[1]
                z += found[2]
            a += x
            b += y
            c += z
            previous = token
        p_pos, p_neu, p_neg = linear.finish(a, b, c, _lexicon_features(hits))
        score = p_pos - p_neg
        # Ties go to the first class, as max() over (positive, neutral, negative) gives them.
        if p_pos >= p_neu and p_pos >= p_neg:
            label, top_p = "positive", p_pos
        elif p_neu >= p_neg:
            label, top_p = "neutral", p_neu
        else:
            label, top_p = "negative", p_neg
        if not explain:
            return SentimentResult(label, round(score, 4), round(top_p, 3), language)
        return SentimentResult(
            label=label,
            score=round(score, 4),
            confidence=round(top_p, 3),
            language=language,
            emotions=self._emotions(entries, abs(score)),
            drivers=self._drivers(entries, hits),
        )

    def _drivers(self, entries: list[_Entry], hits: list[tuple[str, float]]) -> list[str]:
        units = self.linear._units
        pushes: dict[str, float] = {}
        for entry in entries:
            if entry[7]:
                u = units.get(entry[0]) or units.get(entry[4])
                if u is not None:
                    pushes[entry[0]] = u[0] - u[2]
        for word, value in hits:
            pushes[word] = pushes.get(word, 0.0) + value / 4.0
        # Dropping the small pushes before the (stable) sort keeps the same top six.
        kept = [(w, v) for w, v in pushes.items() if v >= 0.1 or v <= -0.1]
        if len(kept) > 1:
            kept.sort(key=_strength)
        return [self._driver(w, v) for w, v in kept[:6]]

    def _driver(self, word: str, value: float) -> str:
        """ "word(+0.3)", memoised: a word's push is mostly the same from text to text."""
        known = self._shown.get(word)
        if known is not None and known[0] == value:
            return known[1]
        shown = f"{word}({value:+.1f})"
        if len(self._shown) < 200_000:
            self._shown[word] = (value, shown)
        return shown

    def _emotions(self, entries: list[_Entry], strength: float) -> dict[str, float]:
        scores = dict.fromkeys(EMOTIONS, 0.0)
        hits: dict[str, float] = {}
        for entry in entries:
            if entry[6]:
                for emotion in entry[6]:
                    hits[emotion] = hits.get(emotion, 0.0) + 1.0
        for emotion, n in hits.items():
            scores[emotion] = round(min(1.0, 0.4 * n + 0.2 * strength), 3)
        return scores

    def _slow(self, text: str, language: str) -> SentimentResult:
        """Lost deals and unscored languages: the plain path (rare in chat)."""
        f = featurize(text, self.lexical, language)
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

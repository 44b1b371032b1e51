"""The default scorer's hot path: one pass over cached per-token entries (same results as
`featurize`, `Linear.probabilities`, `drivers` and `emotions` in tools/sentiment/_model.py)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from tools.sentiment._analyzer import SentimentResult
from tools.sentiment._features import (
    _NORMAL,
    _TOKEN,
    AFTER,
    BEFORE,
    CONTRAST_SCOPE,
    CONTRASTS,
    NEGATIONS,
    _normalise,
    fold,
    visible,
)
from tools.sentiment._language import OTHERS, decide, word_cues
from tools.sentiment._lexicon import EMOTIONS
from tools.sentiment._model import (
    CUE_DRIVERS,
    CUE_EMOTIONS,
    CUE_FEATURES,
    LEX_NEG,
    LEX_POS,
    NO_CUES,
    SAID_MARKS,
    Cues,
    Featurized,
    Keyed,
    Lexical,
    Linear,
    _contrasted,
    _lexicon_features,
    _not_drivers,
    _sales_cues,
    clause_pieces,
    cue_pairs,
    drivers,
    emotions,
    featurize,
    formula_starts,
    keyed_kinds,
    loss_text,
    rated,
    strip_formulae,
)

# One entry per raw folded token: everything scoring needs to know about it, looked up once.
# Every field is a pure function of the token, so results never depend on earlier texts.
# (normalised token, kind, language cues, word before it ("" for none needed) -> the sales
#  phrases that pair keys (`cue_pairs`), previous token -> unit plus
#  bigram sums, emotion cues, may be a driver, valence per lexicon language, unit sums plain,
#  unit sums negated, driver push plain, driver push negated, the negated bigram sums,
#  may start a greeting or sign-off formula)
_Entry = tuple[Any, ...]
# A whitespace-separated chunk: its entries, language cues, what only some chunks hold (None
# for most: the sales phrase sets keyed inside it, whether a formula starts in it, whether it
# holds a contrast word, whether it holds a digit or a said number), its last word, the words
# that would make a formula of its last token and the next chunk's first ("buenos" + "dias";
# None: none), and its first word's pair keys for a pair that starts in the chunk before
# (None: none; many words have some, so they are not kept with the rare things).
_Special = tuple[tuple[Any, ...], bool, bool, bool]
_Chunk = tuple[
    tuple[_Entry, ...],
    tuple[tuple[str, float], ...],
    _Special | None,
    str | None,
    frozenset[str] | None,
    dict[str, Any] | None,
]
_LEX_LANGS = ("es", "en", "mixed")
# Kinds: "?", "!" and a contrast ("but", "pero") stop a negation's scope; every kind up to
# _WORD is a word.
_NEGATION, _CONTRAST, _WORD, _STOP, _SYMBOL = 0, 1, 2, 3, 4
_NO_BIGRAMS: dict[str, tuple[float, float, float]] = {}
_NO_PAIRS: dict[str, Keyed] = {}
_CACHE_LIMIT = 500_000


def _strength(item: tuple[str, float]) -> float:
    return -abs(item[1])


def _courteous(entries: list[_Entry], stated: Cues) -> list[_Entry]:
    """The entries as `featurize` keeps them: around a loss or a complaint, no polite words."""
    if not (stated[0] or stated[1]):
        return entries
    polite = _sales_cues().polite
    return [entry for entry in entries if entry[0] not in polite and entry[0] != "!"]


def _has_words(entries: list[_Entry]) -> bool:
    """Whether the text holds a word (not only emoji, emoticons, punctuation)."""
    return any(entry[1] <= _WORD for entry in entries)


EMOJI_LEAN = 1.0  # summed emoji valence (-4..4 each) that labels a message of emoji alone


def by_emoji(
    label: str,
    top_p: float,
    p: tuple[float, float, float],
    lean: float,
    language: str,
    has_words: Callable[[], bool],
) -> tuple[str, float]:
    """A message of emoji alone ("👎", "😢😢") is what its emoji say, when the model leans the
    same way: the model, fit on text, leaves most of them neutral. `lean` sums the lexicon's
    valence; `has_words` is asked last, only for a neutral text of no known language."""
    if label != "neutral" or language != "unknown" or abs(lean) < EMOJI_LEAN or has_words():
        return label, top_p
    p_pos, _, p_neg = p
    if lean > 0 and p_pos > p_neg:
        return "positive", p_pos
    if lean < 0 and p_neg > p_pos:
        return "negative", p_neg
    return label, top_p


def _evidence(f: Featurized) -> bool:
    """Whether the label may go by the model alone: a lexicon word, or a sales cue."""
    return bool(f.lexical) or any(cue in f.dense for cue in CUE_FEATURES)


def _split(
    before: tuple[float, float, float] | None,
    lex_before: tuple[float, float] | None,
    a: float,
    b: float,
    c: float,
    pos: float,
    neg: float,
) -> tuple[tuple[float, float, float], tuple[float, float]]:
    """At a contrast: the model's and the lexicon's sums so far added to those before it."""
    if before is None or lex_before is None:
        return (a, b, c), (pos, neg)
    return (before[0] + a, before[1] + b, before[2] + c), (lex_before[0] + pos, lex_before[1] + neg)


class Fast:
    """The default scorer's hot path: `featurize`, `Linear.probabilities`, `drivers` and
    `emotions` fused into one pass over cached per-token entries, with identical results."""

    def __init__(self, lexical: Lexical, linear: Linear) -> None:
        self.lexical = lexical
        self.linear = linear
        self.lex = lexical._analyzer.lex
        self._entries: dict[str, _Entry] = {}
        # Whitespace-separated chunks of text -> their entries: no token spans whitespace,
        # so a text's tokens are its chunks' tokens in order (fold and regex run once a chunk).
        self._chunks: dict[str, _Chunk] = {}
        self._shown: dict[str, tuple[float, str]] = {}
        self._clauses: dict[str, tuple[tuple[str, ...], ...]] = {}  # chunk -> `clause_pieces`
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
            else _CONTRAST
            if token in CONTRASTS
            else _WORD
            if alnum
            else _STOP
            if token in ("?", "!")
            else _SYMBOL
        )
        valence = self.lexical.valence
        unit = self.linear.unit
        plain = unit(token, False)
        negated = unit(token, True) if kind == _WORD else plain
        entry: _Entry = (
            token,
            kind,
            word_cues(token) if alnum else None,
            cue_pairs().get(token, _NO_PAIRS) if alnum else _NO_PAIRS,
            self._with_bigrams(token, plain),
            self.lex.emotions.get(token, ()),
            alnum and token not in _not_drivers(),
            # A contrast word weighs the rest and has no valence of its own ("sin embargo").
            (0.0,) * 3 if kind == _CONTRAST else tuple(valence(token, x) for x in _LEX_LANGS),
            plain,
            negated,
            plain[0] - plain[2],
            negated[0] - negated[2],
            self._with_bigrams(token, negated),
            formula_starts().get(token, False),
        )
        if len(self._entries) < _CACHE_LIMIT:
            self._entries[raw] = entry
        return entry

    def _with_bigrams(
        self, token: str, u: tuple[float, float, float]
    ) -> dict[str, tuple[float, float, float]]:
        """Previous token -> u + the bigram's weights (the same floats as adding them in turn)."""
        found = self._bigrams.get(token)
        if not found:
            return _NO_BIGRAMS
        return {prev: (u[0] + w[0], u[1] + w[1], u[2] + w[2]) for prev, w in found.items()}

    def _chunk(self, chunk: str) -> _Chunk:
        get = self._entries.get
        entries = tuple(get(raw) or self._entry(raw) for raw in _TOKEN.findall(fold(chunk)))
        cues = tuple(pair for entry in entries if entry[2] for pair in entry[2])
        words = [entry for entry in entries if entry[1] <= _WORD]
        keyed: list[Keyed] = []
        for at, entry in enumerate(words):
            pairs = entry[3]
            if pairs:
                for before in ("", words[at - 1][0]) if at else ("",):
                    if before in pairs:
                        keyed.append(pairs[before])
        # A formula starts here if a one-word one is here, or a pair of its first two words.
        formula = False
        for at, entry in enumerate(entries):
            follows = entry[13]
            if follows is True or (
                follows and at + 1 < len(entries) and entries[at + 1][0] in follows
            ):
                formula = True
                break
        contrast = any(entry[1] == _CONTRAST for entry in entries)
        first = (words[0][3] or None) if words else None
        # What `rating` looks for first: a digit, or "cero" / "diez" (never across chunks).
        numbered = any(ch.isdigit() for ch in chunk) or any(mark in chunk for mark in SAID_MARKS)
        tail = entries[-1][13] if entries else None
        found = (
            entries,
            cues,
            (tuple(keyed), formula, contrast, numbered)
            if keyed or formula or contrast or numbered
            else None,
            words[-1][0] if words else None,
            tail if tail and tail is not True else None,
            first,
        )
        if len(self._chunks) < _CACHE_LIMIT:
            self._chunks[chunk] = found
        return found

    def _cued(self, text: str, entries: list[_Entry], maybe: list[Keyed]) -> Cues | None:
        """The sales cues the text states (the regexes, run only for the kinds of phrase whose
        words are all in); None when it states none."""
        # Words hold no spaces, so the set of words is the set the regexes can see.
        kinds = keyed_kinds(maybe, {entry[0] for entry in entries if entry[1] <= _WORD})
        if kinds:
            found = _sales_cues().read(self._loss_text(text), kinds)
            return found if any(found) else None
        return None

    def _loss_text(self, text: str) -> str:
        """`loss_text(text)` from its chunks' cached pieces (a line break ends a clause between
        chunks, so a text holding one is read whole)."""
        if "\n" in text:
            return loss_text(text)
        get = self._clauses.get
        clauses: list[str] = []
        current: list[str] = []
        for chunk in text.split():
            pieces = get(chunk)
            if pieces is None:
                pieces = clause_pieces(chunk)
                if len(self._clauses) < _CACHE_LIMIT:
                    self._clauses[chunk] = pieces
            current += pieces[0]
            for piece in pieces[1:]:
                if current:
                    clauses.append(" ".join(current))
                current = list(piece)
        if current:
            clauses.append(" ".join(current))
        return " , ".join(clauses)

    def _read(self, text: str) -> tuple[list[_Entry], str, bool, bool, Cues | None]:
        """The text's entries, its language, whether it needs the plain path, whether it
        holds a contrast word, and the sales cues it states (None: none)."""
        get = self._chunks.get
        entries: list[_Entry] = []
        counts: dict[str, float] = {}
        maybe_cued: list[Keyed] = []
        formula = contrast = numbered = False
        last: str | None = None  # the last word so far: a key pair may span two chunks
        awaiting: frozenset[str] | None = None  # what would end a formula the last chunk began
        for chunk in text.split():
            words, language_cues, special, ends, tail, first = get(chunk) or self._chunk(chunk)
            if words:
                if awaiting is not None and words[0][0] in awaiting:
                    formula = True
                awaiting = tail
            entries += words
            if language_cues:
                for language, share in language_cues:
                    counts[language] = counts.get(language, 0.0) + share
            if first is not None and last is not None:
                spanning = first.get(last)
                if spanning:
                    maybe_cued.append(spanning)
            if special is not None:
                keyed, has_formula, has_contrast, has_number = special
                if keyed:
                    maybe_cued += keyed
                formula = formula or has_formula
                contrast = contrast or has_contrast
                numbered = numbered or has_number
            if ends is not None:
                last = ends
        language = decide(counts, text)  # formulae included, as `featurize` detects it
        # The loss rule reads the whole text, formulae too, as `featurize` does.
        stated = self._cued(text, entries, maybe_cued) if maybe_cued else None
        if stated is None or not (stated[0] or stated[1]):
            scored = rated(text, stated or NO_CUES, self.lexical, numbered)  # "2/10"
            if any(scored):
                stated = scored
        slow = stated is not None or language in OTHERS
        if formula:
            keep = strip_formulae([entry[0] for entry in entries], text)
            if keep is not None:
                entries = [entries[i] for i in keep]
        return entries, language, slow, contrast, stated

    def analyze(self, text: str) -> SentimentResult:
        """The sentiment of one text, exactly as featurize + Linear + drivers + emotions give it
        (`score` gives its label and score alone, faster)."""
        text = visible(text)
        entries, language, slow, contrast, stated = self._read(text)
        if slow:
            if stated is None or language in OTHERS:
                return self._slow(text, language, stated)
            entries = _courteous(entries, stated)
        li = _LEX_LANGS.index(language) if language in ("es", "en") else 2
        a = b = c = 0.0
        pos = neg = 0.0  # the lexicon's sums since the last contrast, as `score` keeps them
        before: tuple[float, float, float] | None = None  # the model's sums before it
        lex_before: tuple[float, float] | None = None
        hits: list[tuple[str, float]] = []
        cut = -1  # hits before the last contrast
        pushes: dict[str, float] = {}  # driver candidates: the model's push as used here
        last = -1  # entries up to the last contrast push less, after it more
        if contrast and CONTRAST_SCOPE == "all":
            for at in range(len(entries) - 1, -1, -1):
                if entries[at][1] == _CONTRAST:
                    last = at
                    break
        feelings: list[tuple[str, ...]] = []
        negate = 0  # the lexicon's scope: three tokens, "?" and "!" included
        negated = 0  # the model's scope: three words, ended by "?" or "!"
        previous = "<s>"
        for at, entry in enumerate(entries):
            (
                token,
                kind,
                _,
                _,
                with_plain,
                feel,
                candidate,
                values,
                u,
                nu,
                push,
                npush,
                with_neg,
                _,
            ) = entry
            if last >= 0:
                weight = BEFORE if at <= last else AFTER
                push *= weight
                npush *= weight
            if kind <= _CONTRAST:
                x, y, z = with_plain.get(previous) or u
                if kind == _NEGATION:
                    negate = negated = 3
                else:  # a contrast: split the sums after it (below)
                    negate = negated = 0
            else:
                value = values[li]
                if value:
                    if negate and kind == _WORD:
                        value *= -0.74
                    hits.append((token, value))
                    if value > 0:
                        pos += value
                    else:
                        neg -= value
                if kind == _WORD:
                    if negate:
                        negate -= 1
                    if negated:
                        negated -= 1
                        x, y, z = with_neg.get(previous) or nu
                        if candidate:
                            pushes[token] = npush
                    else:
                        x, y, z = with_plain.get(previous) or u
                        if candidate:
                            pushes[token] = push
                else:
                    if kind == _STOP:
                        negated = 0
                    x, y, z = with_plain.get(previous) or u
            if feel:
                feelings.append(feel)
            a += x
            b += y
            c += z
            previous = token
            if kind == _CONTRAST:  # the sums so far (the contrast word's too) go before it
                before, lex_before = _split(before, lex_before, a, b, c, pos, neg)
                a = b = c = pos = neg = 0.0
                cut = len(hits)
        dense = _lexicon_features(pos, neg, lex_before)
        if stated is not None:
            dense[CUE_FEATURES[stated.index(True)]] = 1.0
        p_pos, p_neu, p_neg = self.linear.finish(a, b, c, dense, before)
        hits = _contrasted(hits, cut)
        score = p_pos - p_neg
        label, top_p = self.linear.w.label((p_pos, p_neu, p_neg), bool(hits) or bool(stated))
        label, top_p = by_emoji(
            label, top_p, (p_pos, p_neu, p_neg), pos - neg, language, lambda: _has_words(entries)
        )
        scores = dict.fromkeys(EMOTIONS, 0.0)
        if stated is not None:
            feeling = CUE_EMOTIONS.get(CUE_FEATURES[stated.index(True)])
            if feeling:  # a complaint is anger, praise joy, whatever their words
                feelings.append((feeling,))
        if feelings:
            counted: dict[str, float] = {}
            for cues in feelings:
                for emotion in cues:
                    counted[emotion] = counted.get(emotion, 0.0) + 1.0
            strength = 0.2 * abs(score)
            for emotion, n in counted.items():
                scores[emotion] = round(min(1.0, 0.4 * n + strength), 3)
        for word, value in hits:
            pushes[word] = pushes.get(word, 0.0) + value / 4.0
        if stated is not None:
            at = stated.index(True)
            cue = self.linear.w.dense.get(CUE_FEATURES[at])
            if cue:
                pushes[CUE_DRIVERS[at]] = cue[0] - cue[2]
        # Dropping the small pushes before the (stable) sort keeps the same top six.
        kept = [(w, v) for w, v in pushes.items() if v >= 0.1 or v <= -0.1]
        if len(kept) > 1:
            kept.sort(key=_strength)
        shown = self._shown
        named = []
        for word, value in kept[:6]:
            # "word(+0.3)", memoised: a word's push is mostly the same from text to text.
            known = shown.get(word)
            if known is None or known[0] != value:
                known = (value, f"{word}({value:+.1f})")
                if len(shown) < 200_000:
                    shown[word] = known
            named.append(known[1])
        return SentimentResult(label, round(score, 4), round(top_p, 3), language, scores, named)

    def score(self, text: str) -> tuple[str, float]:
        """The label and score of one text, exactly as `analyze` gives them (import's path)."""
        text = visible(text)
        entries, language, slow, _, stated = self._read(text)
        if slow:
            if stated is None or language in OTHERS:
                plain = self._slow(text, language, stated)
                return plain.label, plain.score
            entries = _courteous(entries, stated)
        li = _LEX_LANGS.index(language) if language in ("es", "en") else 2
        a = b = c = 0.0
        pos = neg = 0.0  # summed lexicon valence since the last contrast
        before: tuple[float, float, float] | None = None  # the sums before it
        lex_before: tuple[float, float] | None = None
        negate = negated = 0
        previous = "<s>"
        # `analyze`'s loop without what only explanations need (drivers, emotions).
        for entry in entries:
            kind = entry[1]
            if kind <= _CONTRAST:
                x, y, z = entry[4].get(previous) or entry[8]
                if kind == _NEGATION:
                    negate = negated = 3
                else:  # a contrast: the sums so far go before it
                    negate = negated = 0
                    a += x
                    b += y
                    c += z
                    previous = entry[0]
                    before, lex_before = _split(before, lex_before, a, b, c, pos, neg)
                    a = b = c = pos = neg = 0.0
                    continue
            else:
                value = entry[7][li]
                if value:
                    if negate and kind == _WORD:
                        value *= -0.74
                    if value > 0:
                        pos += value
                    else:
                        neg -= value
                if kind == _WORD:
                    if negate:
                        negate -= 1
                    if negated:
                        negated -= 1
                        x, y, z = entry[12].get(previous) or entry[9]
                    else:
                        x, y, z = entry[4].get(previous) or entry[8]
                else:
                    if kind == _STOP:
                        negated = 0
                    x, y, z = entry[4].get(previous) or entry[8]
            a += x
            b += y
            c += z
            previous = entry[0]
        if lex_before is None:
            dense = {LEX_POS: math.log1p(pos), LEX_NEG: math.log1p(neg)}
        else:
            dense = _lexicon_features(pos, neg, lex_before)
        if stated is not None:
            dense[CUE_FEATURES[stated.index(True)]] = 1.0
        p_pos, p_neu, p_neg = self.linear.finish(a, b, c, dense, before)
        # Evidence: a lexicon word anywhere (before the last contrast or after it), or a cue.
        evidence = bool(
            pos or neg or (lex_before and (lex_before[0] or lex_before[1])) or stated is not None
        )
        label, top_p = self.linear.w.label((p_pos, p_neu, p_neg), evidence)
        label, _ = by_emoji(
            label, top_p, (p_pos, p_neu, p_neg), pos - neg, language, lambda: _has_words(entries)
        )
        return label, round(p_pos - p_neg, 4)

    def _slow(self, text: str, language: str, cues: Cues | None) -> SentimentResult:
        """Sales cues and unscored languages: the plain path (rare in chat)."""
        f = featurize(text, self.lexical, language, cues)
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
        label, top_p = self.linear.w.label((p_pos, p_neu, p_neg), _evidence(f))
        lean = sum(value for _, value in f.lexical)
        label, top_p = by_emoji(
            label, top_p, (p_pos, p_neu, p_neg), lean, f.language, lambda: bool(f.words)
        )
        score = p_pos - p_neg
        return SentimentResult(
            label=label,
            score=round(score, 4),
            confidence=round(top_p, 3),
            language=f.language,
            emotions=emotions(f, self.lex, abs(score)),
            drivers=[f"{w}({v:+.1f})" for w, v in drivers(f, self.linear)],
        )

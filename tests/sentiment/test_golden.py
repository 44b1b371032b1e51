"""The default analyser gives exactly the golden results: speed work changes no output."""

from __future__ import annotations

import gzip
import json
from functools import partial

from tests.sentiment.golden import GOLDEN, golden_texts
from tools.sentiment import _Scorer, analyze_many, score_many
from tools.sentiment._fast import _evidence, by_emoji
from tools.sentiment._language import OTHERS
from tools.sentiment._model import _QUOTED_IRONY, _may_be_ironic, featurize, loss_text


def _golden() -> list[tuple[str, dict[str, object]]]:
    return [(text, result) for text, result in json.loads(gzip.decompress(GOLDEN.read_bytes()))]


def test_golden_file_holds_the_development_sets_and_generated_texts() -> None:
    assert [text for text, _ in _golden()] == golden_texts()


def test_every_result_is_identical_to_the_golden_one() -> None:
    scorer = _Scorer()  # fresh: the golden file was scored in order by a fresh scorer
    mismatches = [
        (text, expected, got)
        for text, expected in _golden()
        if (got := scorer.analyze(text).to_dict()) != expected
    ]
    assert not mismatches, mismatches[:3]


def test_batch_scoring_equals_one_by_one() -> None:
    texts = golden_texts()[:800]
    single = _Scorer()
    assert [r.to_dict() for r in _Scorer().analyze_many(texts)] == [
        single.analyze(t).to_dict() for t in texts
    ]
    assert [r.label for r in analyze_many(texts)] == [r.label for r in single.analyze_many(texts)]


def test_results_do_not_depend_on_what_was_scored_before() -> None:
    # A word met negated first ("no response") must not change its driver weight later.
    history = ["Called and emailed with no response. Not happy, not helpful, no refund"]
    used = _Scorer()
    used.analyze_many(history)
    for text in ["Great response, thanks!", "response", "helpful and happy"]:
        assert used.analyze(text).to_dict() == _Scorer().analyze(text).to_dict(), text
    # The same texts in opposite orders, each scorer with its own history, agree throughout.
    texts = golden_texts()
    forward = [r.to_dict() for r in _Scorer().analyze_many(history + texts)][1:]
    backward = [r.to_dict() for r in _Scorer().analyze_many(texts[::-1])][::-1]
    assert forward == backward


def test_label_and_score_only_equal_the_full_results() -> None:
    # score_many is import's and backfill's own loop, not a wrapper: check it on every text.
    golden = _golden()
    expected = [(result["label"], result["score"]) for _, result in golden]
    assert score_many([text for text, _ in golden]) == expected


def test_the_fast_path_reads_every_text_as_the_plain_path_does() -> None:
    # The fast path keys formulae, sales phrases and scores on cached chunks; the plain path
    # (featurize, the model, the label rule) reads the whole text. They must agree.
    scorer = _Scorer()
    disagree = []
    for text in golden_texts():
        got = scorer.analyze(text)
        f = featurize(text, scorer.lexical)
        if f.language in OTHERS:
            same = got.label == "neutral" and got.language == f.language
        else:
            p = scorer.linear.probabilities(f)
            label, top = scorer.weights.label(p, _evidence(f))
            lean = sum(value for _, value in f.lexical)
            label, _ = by_emoji(label, top, p, lean, f.language, partial(bool, f.words))
            same = (label, f.language) == (got.label, got.language)
            same = same and abs(p[0] - p[2] - got.score) < 1e-3
        if not same:
            disagree.append(text)
    assert not disagree, disagree[:5]


def test_the_loss_rule_reads_the_same_words_from_cached_chunks() -> None:
    # Clauses split at a chunk's end punctuation or opening mark, or at a line break: the
    # pieces cached per chunk must give exactly the text the loss rule reads.
    fast = _Scorer().fast
    texts = [
        *golden_texts(),
        "No, es muy caro.\nGracias",
        "hola (otra vez) ¿seguimos?¡sí!",
        "x.co/1 at 3:30, ok",
        "we went elsewhere;thanks [sorry]",
        "",
    ]
    assert [fast._loss_text(t) for t in texts] == [loss_text(t) for t in texts]


def test_the_first_look_for_irony_never_misses_a_mark_the_full_regex_reads() -> None:
    texts = [
        *golden_texts(),
        'JAJAJA "entrega express"',
        'Sí claro, "mañana sin falta"',
        '"next day delivery" 🙃',
        'yeah right, "fixed"',
        'xD "garantizado"',
        'jeha "arreglado"',
    ]
    ironic = [t for t in texts if _QUOTED_IRONY.search(t)]
    assert len(ironic) >= 6
    assert all(_may_be_ironic(t) for t in ironic)

"""The default analyser gives exactly the golden results: speed work changes no output."""

from __future__ import annotations

import gzip
import json

from tests.sentiment.golden import GOLDEN, golden_texts
from tools.sentiment import _Scorer, analyze_many, score_many


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
    # Fresh scorers on both sides: a word's driver weight comes from the scorer's memo of
    # the words it has met, so a used scorer may word the drivers differently.
    texts = golden_texts()[:800]
    single = _Scorer()
    assert [r.to_dict() for r in _Scorer().analyze_many(texts)] == [
        single.analyze(t).to_dict() for t in texts
    ]
    assert [r.label for r in analyze_many(texts)] == [r.label for r in single.analyze_many(texts)]


def test_label_and_score_only_equal_the_full_results() -> None:
    texts = golden_texts()[::5]
    assert score_many(texts) == [(r.label, r.score) for r in analyze_many(texts)]

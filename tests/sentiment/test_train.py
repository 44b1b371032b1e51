"""The training script's contract: what it writes is what ships, and its recipes are explicit.

Training itself needs the registry downloads and Apertium, so it is run by hand (and its
byte-for-byte rebuild is recorded in DATA-SOURCES.md); these checks need neither.
"""

from __future__ import annotations

import gc
import hashlib
import json
from pathlib import Path

import pytest

from tools.sentiment import analyze_many, score_many
from tools.sentiment._model import MODEL_FILE
from tools.sentiment.train import (
    BAND_TOLERANCE,
    CHECK_FILE,
    CLASSES,
    EVIDENCE,
    NEUTRAL_SHIFTS,
    RECIPES,
    REVIEW_SENTENCES_FILE,
    REVIEW_SENTENCES_WEIGHT,
    REVIEWS_FILE,
    REVIEWS_WEIGHT,
    SALES_FILE,
    SALES_WEIGHT,
    SOCIAL_FILE,
    SOCIAL_WEIGHT,
    C,
    choose_neutral_shift,
    sales_rows,
    train,
)


def test_the_shipped_file_is_what_the_training_script_writes() -> None:
    data = json.loads(MODEL_FILE.read_text(encoding="utf-8"))
    body = {k: v for k, v in data.items() if k != "version"}
    payload = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    # The version is the hash of the weights: a hand edit of the file would not match it.
    assert data["version"] == "lr-" + hashlib.sha256(payload.encode()).hexdigest()[:12]


def test_every_recipe_has_its_regularisation_and_evidence_rule() -> None:
    assert set(C) == set(RECIPES) == set(EVIDENCE)
    assert RECIPES[0] == "teachers"  # the shipped recipe is the default
    assert C["teachers"] == C["snippets"] < C["airline"]
    # The shipped recipe and the one it grew from carry the evidence rule; the others do not.
    assert EVIDENCE["teachers"] > 0 and EVIDENCE["snippets"] > 0
    assert EVIDENCE["airline"] == EVIDENCE["general"] == 0


def _written(path: Path) -> list[str]:
    """The labelled lines of one of our TSV files."""
    return [
        line
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]


def test_our_sales_messages_train_the_model_and_a_fifth_stays_for_the_band() -> None:
    rows = sales_rows()
    written = _written(SALES_FILE)
    assert SALES_WEIGHT > 0 and 0.98 * len(written) < len(rows) <= len(written)
    assert {language for (language, _, _), _ in rows} == {"en", "es"}
    assert {gold for (_, _, gold), _ in rows} == set(CLASSES)
    share = sum(dev for _, dev in rows) / len(rows)
    assert 0.15 < share < 0.25  # one in five by hash: the same texts in every rebuild
    # The check file never trains: none of its texts is a training row, even one both files
    # hold ("ok", "Received, thanks.").
    check = CHECK_FILE.read_text(encoding="utf-8")
    checked = {line.split("\t", 2)[2] for line in check.splitlines() if line.count("\t") == 2}
    assert not checked & {text for (_, text, _), _ in rows}


def test_our_social_posts_are_development_data_in_both_languages() -> None:
    rows = sales_rows(SOCIAL_FILE)
    written = _written(SOCIAL_FILE)
    assert 0.98 * len(written) < len(rows) <= len(written)
    assert {language for (language, _, _), _ in rows} == {"en", "es"}
    assert {gold for (_, _, gold), _ in rows} == set(CLASSES)
    # Measured as training rows and not used (DATA-SOURCES.md): they stay development data.
    assert SOCIAL_WEIGHT == 0
    sales = {text for (_, text, _), _ in sales_rows()}
    assert not sales & {text for (_, text, _), _ in rows}  # no text in both sets


def test_our_product_reviews_train_in_both_languages_apart_from_every_other_set() -> None:
    rows = sales_rows(REVIEWS_FILE)
    written = _written(REVIEWS_FILE)
    assert REVIEWS_WEIGHT > 0 and len(rows) == len(written)
    assert {language for (language, _, _), _ in rows} == {"en", "es"}
    assert {gold for (_, _, gold), _ in rows} == set(CLASSES)
    assert 0.15 < sum(dev for _, dev in rows) / len(rows) < 0.25  # the dev fifth
    others = {text for (_, text, _), _ in sales_rows() + sales_rows(SOCIAL_FILE)}
    assert not others & {text for (_, text, _), _ in rows}  # no text in two sets


def test_our_review_sentences_are_development_data_apart_from_every_other_set() -> None:
    rows = sales_rows(REVIEW_SENTENCES_FILE)
    written = _written(REVIEW_SENTENCES_FILE)
    assert len(rows) == len(written) > 1000
    assert {language for (language, _, _), _ in rows} == {"en", "es"}
    assert {gold for (_, _, gold), _ in rows} == set(CLASSES)
    # Whole reviews split into sentences: many say nothing either way, as the Amazon snippets.
    neutral = sum(gold == "neutral" for (_, _, gold), _ in rows) / len(rows)
    assert 0.25 < neutral < 0.45
    # Measured as training rows and not used (DATA-SOURCES.md): they stay development data.
    assert REVIEW_SENTENCES_WEIGHT == 0
    others = sales_rows() + sales_rows(SOCIAL_FILE) + sales_rows(REVIEWS_FILE)
    assert not {text for (_, text, _), _ in others} & {text for (_, text, _), _ in rows}


def test_an_unknown_recipe_is_refused_before_any_download() -> None:
    with pytest.raises(ValueError, match="unknown recipe 'tweets'; one of teachers, snippets"):
        train(recipe="tweets")


class _Logits:
    """A fitted model's decision function, fixed: one row of logits per dev text."""

    def __init__(self, rows: list[list[float]]) -> None:
        self.rows = rows

    def decision_function(self, x: object) -> object:
        import numpy as np

        return np.array(self.rows, dtype=float)


def test_the_neutral_band_is_the_best_or_the_nearest_zero_among_near_ties() -> None:
    assert CLASSES == ("positive", "neutral", "negative") and 0 in NEUTRAL_SHIFTS
    gold, languages = ["neutral", "positive"], ["en", "en"]
    # Every shift from -0.5 to 0.2 gets both texts right: the dev split cannot choose, so the
    # band is the model as fit (0), not the first of the ties (-0.5).
    model = _Logits([[0.0, 0.6, -5.0], [1.0, 0.7, -5.0]])
    assert choose_neutral_shift(model, None, gold, languages) == -0.5
    assert choose_neutral_shift(model, None, gold, languages, BAND_TOLERANCE) == 0.0
    # Only -0.2 gets both right: a clear best stands, tolerance or not.
    model = _Logits([[1.0, 1.25, -1.0], [1.0, 1.15, -1.0]])
    assert choose_neutral_shift(model, None, gold, languages, BAND_TOLERANCE) == -0.2
    assert choose_neutral_shift(model, None, gold, languages) == -0.2


@pytest.mark.parametrize("enabled", [True, False])
def test_batch_scoring_restores_the_garbage_collector(enabled: bool) -> None:
    texts = ["Muchas gracias, todo perfecto", "The order arrived broken", "Te llamo mañana"]
    was = gc.isenabled()
    (gc.enable if enabled else gc.disable)()
    try:
        scored = score_many(texts)
        assert gc.isenabled() is enabled
        full = analyze_many(texts)
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()
    assert scored == [(r.label, r.score) for r in full]
    assert [label for label, _ in scored] == ["positive", "negative", "neutral"]

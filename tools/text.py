"""Text normalisation shared by storage and search: accents, case, phones."""

from __future__ import annotations

import re
import unicodedata

_DIGITS = re.compile(r"\D+")
_WORD = re.compile(r"[^\W_]+")

# Spain is the default market: a bare 9-digit national number gets its country code.
DEFAULT_COUNTRY_CODE = "34"


def fold(text: str) -> str:
    """Lower-case `text` and strip its accents ("José" -> "jose"); ñ becomes n."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def search_text(*parts: str | None) -> str:
    """Folded words for a full-text index ("Ana.García@x.es" -> "ana garcia x es").

    Splitting on punctuation here makes SQLite's and PostgreSQL's tokenizers agree.
    """
    return " ".join(words(" ".join(p for p in parts if p)))


def phone_digits(raw: str | None) -> str | None:
    """A phone number as E.164 digits without '+' ("+34 600-12-34-56" -> "34600123456")."""
    if not raw:
        return None
    stripped = raw.strip()
    digits = _DIGITS.sub("", stripped)
    if not digits:
        return None
    if stripped.startswith("00"):
        digits = digits[2:]
    elif not stripped.startswith("+") and len(digits) == 9 and digits[0] in "6789":
        digits = DEFAULT_COUNTRY_CODE + digits
    return digits


def query_digits(query: str) -> str | None:
    """The digits of a query that looks like a phone number (6+ digits), else None."""
    if re.search(r"[a-zA-Z]", query):
        return None
    digits = _DIGITS.sub("", query)
    return digits if len(digits) >= 6 else None


def words(text: str) -> list[str]:
    """Folded word tokens of `text` (letters and digits; '_' splits words)."""
    return _WORD.findall(fold(text))


# Spanish and English words that carry no topic: left out of searches so ranking stays sharp.
STOP_WORDS = frozenset(
    """
    a al algo algun alguna algunos ante como con contra cual cuando de del desde donde
    durante e el ella ellas ellos en entre era es esa ese eso esta este esto estos fue ha
    han hay la las le les lo los mas me mi mis mucho muy nada ni no nos o os otra otro para
    pero poco por porque que quien se sea segun ser si sin sobre su sus tambien te tiene
    tienen todo todos tu tus un una uno unos y ya yo cual cuales cuanto que quienes han
    hicieron hizo este esta mes semana dia clientes cliente cliente como fue termino cada
    caso casos
    the of and or to in on at for with by from is are was were be been it its this that
    these those as an a i you he she we they my your our their me him her us them do does
    did what which who whom how why when where there here not no yes can could would should
    will shall may might must have has had about into than then so if but any all some
    """.split()
)

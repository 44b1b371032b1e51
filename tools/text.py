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


# `scheme://user:password@` anywhere in a text: the password is masked before it is shown.
_CREDENTIALS = (
    re.compile(r"(?P<head>[\w+.-]+://[^:/?#@\s]*:)[^@\s]*@"),
    re.compile(r"(?P<head>(?:^|[\s'\"=])[^:/?#@\s'\"]+:)[^@\s/'\"]+@"),  # no scheme
)


def mask_password(text: str) -> str:
    """`text` with the password of every URL in it replaced by `***`."""
    for pattern in _CREDENTIALS:
        text = pattern.sub(r"\g<head>***@", text)
    return text

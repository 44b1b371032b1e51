"""Text normalisation shared by storage and search: accents, case, phones, secrets."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import phonenumbers

_DIGITS = re.compile(r"\D+")
_WORD = re.compile(r"[^\W_]+")


def fold(text: str) -> str:
    """Lower-case `text` and strip its accents ("José" -> "jose"); ñ becomes n."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def search_text(*parts: str | None) -> str:
    """Folded words for a full-text index ("Ana.García@x.es" -> "ana garcia x es").

    Splitting on punctuation here makes SQLite's and PostgreSQL's tokenizers agree.
    """
    return " ".join(words(" ".join(p for p in parts if p)))


@lru_cache(maxsize=65_536)
def normalise_phone(raw: str | None, region: str | None = None) -> str | None:
    """A phone in E.164 ("+34600123456"), or None when `raw` is not a possible number.

    `raw` may be international ("+44 7700 900123", "0044 ...") or national for `region`
    (ISO 3166 code; default WALLIE_DEFAULT_REGION, itself "ES" by default).
    """
    if not raw or not _DIGITS.sub("", raw):
        return None
    number = _parse(raw, region or default_region())
    if number is None:
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _parse(raw: str, region: str | None) -> phonenumbers.PhoneNumber | None:
    """A possible phone number of 6+ national digits ("00" counts as "+"), else None."""
    text = raw.strip()
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number) or len(str(number.national_number)) < 6:
        return None
    return number


def phone_digits(raw: str | None, region: str | None = None) -> str | None:
    """A phone as stored and matched: E.164 digits without '+' ("+34 600-12-34-56" ->
    "34600123456"); a number that is not a possible phone keeps its bare digits."""
    if not raw:
        return None
    e164 = normalise_phone(raw, region)
    if e164:
        return e164[1:]
    digits = _DIGITS.sub("", raw)
    if raw.strip().startswith("00"):
        digits = digits[2:]
    return digits or None


def query_digits(query: str) -> str | None:
    """The digits to look for in stored phones when `query` looks like one (6+ digits).

    An international query ("+1 415 555 2671") gives its national number, which is found
    whether the client's phone was stored with or without its country code.
    """
    if re.search(r"[a-zA-Z]", query):
        return None
    digits = _DIGITS.sub("", query)
    if len(digits) < 6:
        return None
    text = query.strip()
    if text.startswith(("+", "00")):
        try:
            number = phonenumbers.parse(
                "+" + text.lstrip("+")[2 if text.startswith("00") else 0 :], None
            )
        except phonenumbers.NumberParseException:
            return digits
        national = str(number.national_number)
        if phonenumbers.is_possible_number(number) and len(national) >= 6:
            return national
    return digits


def default_region() -> str:
    """WALLIE_DEFAULT_REGION: the region of phone numbers written without a country code."""
    from tools.settings import get_settings

    return get_settings().default_region


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

"""Answers never carry markdown images or links a host could follow to anything but the web.

An image is fetched by the host as soon as the answer renders (a way to send data out in
its URL), and a `javascript:`/`data:`/`file:` link runs or opens something local. Message
texts are written by third parties and models repeat them, so every answer is cleaned.
"""

from __future__ import annotations

import re

_TARGET = r"((?:[^()\s]|\([^()\s]*\))*)"  # a URL, with one level of balanced parentheses
_IMAGE = re.compile(r"!\[([^\]\n]*)\]\(\s*<?" + _TARGET + r">?(?:\s+[^)\n]*)?\)")
_HTML_IMAGE = re.compile(r"<img\b[^>\n]*>", re.IGNORECASE)
_LINK = re.compile(r"(?<!!)\[([^\]\n]*)\]\(\s*<?" + _TARGET + r">?(?:\s+[^)\n]*)?\)")
_AUTOLINK = re.compile(r"<([a-zA-Z][a-zA-Z0-9+.-]*):[^>\s]*>")
_REFERENCE = re.compile(r"^\s{0,3}\[[^\]\n]+\]:\s*<?([^\s>]+)>?.*$", re.MULTILINE)
_WEB = ("http", "https")

NOTE = {
    "es": "_(He quitado {count} imagen(es) o enlace(s) no web de esta respuesta.)_",
    "en": "_(Dropped {count} image(s) or non-web link(s) from this answer.)_",
}


def _scheme(url: str) -> str:
    match = re.match(r"\s*([a-zA-Z][a-zA-Z0-9+.-]*):", url)
    return match.group(1).lower() if match else ""


def _web(url: str) -> bool:
    """True for an http(s) URL; a relative or scheme-less target is not followed either."""
    return _scheme(url) in _WEB


def clean(text: str) -> tuple[str, int]:
    """`text` without images and non-web links (a link keeps its words), and how many went."""
    dropped = 0

    def image(match: re.Match[str]) -> str:
        nonlocal dropped
        dropped += 1
        return match.group(1) if match.re is _IMAGE else ""

    def link(match: re.Match[str]) -> str:
        nonlocal dropped
        if _web(match.group(2)):
            return match.group(0)
        dropped += 1
        return match.group(1)

    def autolink(match: re.Match[str]) -> str:
        nonlocal dropped
        if match.group(1).lower() in _WEB:
            return match.group(0)
        dropped += 1
        return ""

    def reference(match: re.Match[str]) -> str:
        nonlocal dropped
        if _web(match.group(1)):
            return match.group(0)
        dropped += 1
        return ""

    text = _IMAGE.sub(image, text)
    text = _HTML_IMAGE.sub(image, text)
    text = _LINK.sub(link, text)
    text = _AUTOLINK.sub(autolink, text)
    text = _REFERENCE.sub(reference, text)
    return text, dropped


def note(count: int, language: str) -> str:
    """The line that says how many images or links were dropped."""
    return NOTE["es" if language == "es" else "en"].format(count=count)

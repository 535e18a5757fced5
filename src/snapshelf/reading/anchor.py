"""Finding a quoted passage again in a text (no Django): the W3C TextQuoteSelector
(exact + prefix/suffix) decides, the TextPositionSelector (start) only breaks ties.

Whitespace is left out of the comparison (a re-render or a new capture often re-flows
it, and block boundaries may or may not carry a line break), so "a  passage\\n that
moved" is found as "a passage that moved". The reader's JavaScript
(web/static/snapshelf/highlights.js) does the same, so the page and the server agree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import lxml.html

_SPACE = re.compile(r"\s+")
_WORD = re.compile(r"\S+")
#: Beyond this many occurrences of one quote, the rest are not scored (a quote of "the").
MAX_CANDIDATES = 2000


@dataclass(frozen=True)
class Quote:
    """The selectors of one highlight."""

    exact: str
    prefix: str = ""
    suffix: str = ""
    start: int = 0  # where it was: a hint, used to choose between equal candidates


@dataclass(frozen=True)
class Anchor:
    """Where a quote sits in a text (offsets into that text), with fresh context."""

    start: int
    end: int
    exact: str
    prefix: str
    suffix: str


def reader_text(html: str) -> str:
    """The text of reader HTML as a browser's textContent has it (every text node in
    order): the text the highlights' offsets point into."""
    if not html or not html.strip():
        return ""
    try:
        root = lxml.html.fragment_fromstring(html, create_parent="div")
    except (lxml.etree.ParserError, ValueError):
        return ""
    return "".join(t for t in root.itertext() if isinstance(t, str))


def _squeeze(text: str) -> tuple[str, list[int]]:
    """`text` without whitespace, and for every character left the index it had."""
    out: list[str] = []
    origin: list[int] = []
    for m in _WORD.finditer(text):
        out.append(m.group())
        origin.extend(range(m.start(), m.end()))
    return "".join(out), origin


def _norm(text: str) -> str:
    return _SPACE.sub("", text)


def _common_tail(a: str, b: str) -> int:
    """How many characters a and b share at their ends."""
    n = 0
    while n < len(a) and n < len(b) and a[-1 - n] == b[-1 - n]:
        n += 1
    return n


def _common_head(a: str, b: str) -> int:
    n = 0
    while n < len(a) and n < len(b) and a[n] == b[n]:
        n += 1
    return n


def context(text: str, start: int, end: int, size: int) -> tuple[str, str]:
    """The `size` characters before `start` and after `end`."""
    return text[max(0, start - size) : start], text[end : end + size]


def locate(text: str, quote: Quote, *, context_size: int = 32) -> Anchor | None:
    """Where `quote` is in `text`, or None when its exact passage is not there.

    Among several occurrences the one whose surroundings match the prefix and suffix
    best wins; then the one nearest the old position (scaled to the new length)."""
    exact = _norm(quote.exact)
    if not exact or not text:
        return None
    flat, origin = _squeeze(text)
    prefix, suffix = _norm(quote.prefix), _norm(quote.suffix)
    best: tuple[tuple[int, float], int] | None = None
    at = flat.find(exact)
    seen = 0
    while at >= 0 and seen < MAX_CANDIDATES:
        seen += 1
        before = flat[max(0, at - len(prefix)) : at]
        after = flat[at + len(exact) : at + len(exact) + len(suffix)]
        fit = _common_tail(before, prefix) + _common_head(after, suffix)
        distance = abs(origin[at] - quote.start) / max(len(text), 1)
        score = (fit, -distance)
        if best is None or score > best[0]:
            best = (score, at)
        at = flat.find(exact, at + 1)
    if best is None:
        return None
    at = best[1]
    start = origin[at]
    end = origin[at + len(exact) - 1] + 1
    before, after = context(text, start, end, context_size)
    return Anchor(start=start, end=end, exact=text[start:end], prefix=before, suffix=after)

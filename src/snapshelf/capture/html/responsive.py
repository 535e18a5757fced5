"""Responsive images: which ``srcset`` candidates a browser would load, and only those.

A ``srcset`` often lists five to ten sizes of one picture; a browser loads one. The capture
fetches the candidate each of a few reader contexts would load (:data:`CONTEXTS`: the
capture's own 1280-pixel viewport, that viewport on a high-density screen, and a phone)
and nothing else, following the HTML selection rules: ``<picture>`` sources in order
(``media`` and ``type`` decide), ``sizes`` for width descriptors, then the smallest density
that covers the screen's. The replay keeps those candidates with their descriptors, so
browsers still choose between them correctly; the single file keeps the capture viewport's.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from snapshelf.capture.html.srcset import parse_srcset


@dataclass(frozen=True)
class Context:
    """A reader's screen: viewport width and height in CSS pixels, device pixel ratio."""

    width: int
    height: int
    dpr: float


#: The capture's viewport (what the archive is compared against) comes first.
CAPTURE = Context(1280, 800, 1.0)
CONTEXTS = (CAPTURE, Context(1280, 800, 2.0), Context(390, 844, 2.0))

_FONT_PX = 16.0
_SUPPORTED_TYPES = frozenset(
    {
        "image/avif",
        "image/webp",
        "image/png",
        "image/apng",
        "image/jpeg",
        "image/jpg",
        "image/pjpeg",
        "image/gif",
        "image/svg+xml",
        "image/bmp",
        "image/x-icon",
        "image/vnd.microsoft.icon",
    }
)

Get = Callable[[object, str], "str | None"]


@dataclass(frozen=True)
class Candidate:
    url: str  # as written
    descriptor: str  # as written ("", "2x", "480w")
    density: float  # effective pixel density in the context it was chosen for


# --------------------------------------------------------------------------- lengths, media


_LENGTH = re.compile(r"^\s*(-?\d*\.?\d+)\s*(px|vw|vh|em|rem|vmin|vmax)?\s*$", re.IGNORECASE)


def _length(text: str, ctx: Context) -> float | None:
    """A CSS length in px for ``sizes`` and media features; None when not understood."""
    text = text.strip()
    low = text.lower()
    if low.startswith("calc(") and low.endswith(")"):
        return _calc(text[5:-1], ctx)
    m = _LENGTH.match(text)
    if not m:
        return None
    value, unit = float(m.group(1)), (m.group(2) or "").lower()
    if unit == "px" or (not unit and value == 0):
        return value
    if unit in ("em", "rem"):
        return value * _FONT_PX
    if unit == "vw":
        return value * ctx.width / 100
    if unit == "vh":
        return value * ctx.height / 100
    if unit == "vmin":
        return value * min(ctx.width, ctx.height) / 100
    if unit == "vmax":
        return value * max(ctx.width, ctx.height) / 100
    return None


def _calc(expr: str, ctx: Context) -> float | None:
    """``calc()`` with + and - between lengths (what ``sizes`` values use in practice)."""
    total, sign = 0.0, 1.0
    for part in re.split(r"\s+([+-])\s+", expr.strip()):
        if part in ("+", "-"):
            sign = 1.0 if part == "+" else -1.0
            continue
        value = _length(part.strip("() "), ctx)
        if value is None:
            return None
        total += sign * value
    return total


_FEATURE = re.compile(r"^\s*([a-z-]+)\s*(?::\s*(.+?))?\s*$", re.IGNORECASE)
_RANGE = re.compile(r"^\s*(.+?)\s*(<=|>=|<|>|=)\s*(.+?)\s*(?:(<=|>=|<|>|=)\s*(.+?)\s*)?$")


def _feature_value(name: str, ctx: Context) -> float | str | None:
    name = name.lower()
    if name in ("width", "device-width"):
        return float(ctx.width)
    if name in ("height", "device-height"):
        return float(ctx.height)
    if name in ("resolution", "-webkit-device-pixel-ratio", "device-pixel-ratio"):
        return ctx.dpr
    return None


def _resolution(text: str) -> float | None:
    m = re.match(r"^\s*(\d*\.?\d+)\s*(dppx|x|dpi|dpcm)?\s*$", text, re.IGNORECASE)
    if not m:
        return None
    value, unit = float(m.group(1)), (m.group(2) or "").lower()
    return value / 96 if unit == "dpi" else value * 2.54 / 96 if unit == "dpcm" else value


def _compare(left: float, op: str, right: float) -> bool:
    return {
        "<": left < right,
        "<=": left <= right,
        ">": left > right,
        ">=": left >= right,
        "=": left == right,
    }[op]


def _operand(text: str, name: str, ctx: Context) -> float | None:
    if name.endswith(("resolution", "pixel-ratio")):
        return _resolution(text)
    return _length(text, ctx)


def _condition(text: str, ctx: Context) -> bool | None:
    """One parenthesised media feature; None when not understood."""
    rng = _RANGE.match(text) if ":" not in text else None
    if rng:
        a, op1, b, op2, c = rng.groups()
        if _feature_value(a, ctx) is not None:  # width < 800px
            value = _operand(b, a, ctx)
            return None if value is None else _compare(_feature_value(a, ctx), op1, value)
        if _feature_value(b, ctx) is None:
            return None
        first = _operand(a, b, ctx)  # 400px < width [< 800px]
        if first is None or not _compare(first, op1, _feature_value(b, ctx)):
            return False if first is not None else None
        if op2 is None:
            return True
        second = _operand(c, b, ctx)
        return None if second is None else _compare(_feature_value(b, ctx), op2, second)
    m = _FEATURE.match(text)
    if not m:
        return None
    name, value = m.group(1).lower(), (m.group(2) or "").strip().lower()
    for prefix, op in (
        ("min-", ">="),
        ("max-", "<="),
        ("-webkit-min-", ">="),
        ("-webkit-max-", "<="),
    ):
        if name.startswith(prefix):
            base = name[len(prefix) :]
            actual = _feature_value(base, ctx)
            wanted = _operand(value, base, ctx)
            if actual is None or wanted is None:
                return None
            return _compare(actual, op, wanted)
    if name == "orientation":
        return value == ("landscape" if ctx.width > ctx.height else "portrait")
    if name == "prefers-color-scheme":
        return value == "light"
    if name == "prefers-reduced-motion":
        return value == "no-preference"
    if name in ("hover", "any-hover"):
        return value == ("hover" if ctx.width > 800 else "none")
    if name in ("pointer", "any-pointer"):
        return value == ("fine" if ctx.width > 800 else "coarse")
    actual = _feature_value(name, ctx)
    if actual is not None and value:
        wanted = _operand(value, name, ctx)
        return None if wanted is None else actual == wanted
    return None


def _query(text: str, ctx: Context) -> bool | None:
    """One media query (no top-level commas): ``[only|not] type and (…) and (…)``."""
    words = re.findall(r"\([^()]*(?:\([^()]*\)[^()]*)*\)|[^\s()]+", text.strip().lower())
    negate = False
    result: bool | None = True
    joiner = "and"
    for i, word in enumerate(words):
        if word == "only" and i == 0:
            continue
        if word == "not" and i == 0:
            negate = True
            continue
        if word in ("and", "or"):
            joiner = word
            continue
        if word.startswith("("):
            inner = word[1:-1]
            value = _query(inner, ctx) if inner.strip().startswith("(") else _condition(inner, ctx)
        elif word in ("all", "screen"):
            value = True
        elif word in ("print", "speech", "tty", "tv", "projection", "handheld", "aural"):
            value = False
        else:
            return None
        if value is None:
            return None
        result = (result and value) if joiner == "and" else (result or value)
    return (not result) if negate else result


def media_matches(media: str | None, ctx: Context) -> bool | None:
    """Whether a media query list matches; None when a part of it is not understood."""
    if media is None or not media.strip():
        return True
    unknown = False
    for query in _split_commas(media):
        value = _query(query, ctx)
        if value:
            return True
        unknown = unknown or value is None
    return None if unknown else False


def _split_commas(text: str) -> list[str]:
    out, depth, start = [], 0, 0
    for i, c in enumerate(text):
        if c == "(":
            depth += 1
        elif c == ")":
            depth = max(0, depth - 1)
        elif c == "," and depth == 0:
            out.append(text[start:i])
            start = i + 1
    out.append(text[start:])
    return [part for part in out if part.strip()]


def source_size(sizes: str | None, ctx: Context) -> float:
    """The ``sizes`` attribute's width for a context, in CSS pixels (default 100vw)."""
    for entry in _split_commas(sizes or ""):
        entry = entry.strip()
        m = re.match(r"^(.*?)\s*((?:calc\(.*\)|[-\d.]+[a-z]*))\s*$", entry, re.IGNORECASE)
        if not m:
            continue
        condition, length = m.group(1).strip(), m.group(2)
        if condition and media_matches(condition, ctx) is not True:
            continue
        value = _length(length, ctx)
        if value is not None and value > 0:
            return value
    return float(ctx.width)


# --------------------------------------------------------------------------- selection


def _candidates(srcset: str, sizes: str | None, src: str | None, ctx: Context) -> list[Candidate]:
    """A srcset's valid candidates with their density in ``ctx`` (first of a density wins)."""
    out: list[Candidate] = []
    width_px: float | None = None
    has_w = False
    for url, descriptor in parse_srcset(srcset):
        d = descriptor.strip().lower()
        if not d:
            density = 1.0
        elif d.endswith("x") and _number(d[:-1]) is not None:
            density = _number(d[:-1])
        elif d.endswith("w") and _number(d[:-1]) is not None:
            if width_px is None:
                width_px = source_size(sizes, ctx)
            density = _number(d[:-1]) / width_px
            has_w = True
        else:
            continue  # height-only or invalid descriptors: browsers drop the candidate
        if density and density > 0 and all(c.density != density for c in out):
            out.append(Candidate(url, descriptor, density))
    if src and src.strip() and not has_w and all(c.density != 1.0 for c in out):
        out.append(Candidate(src, "", 1.0))
    return out


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def pick(candidates: list[Candidate], ctx: Context) -> Candidate | None:
    """The smallest density that covers the screen, else the densest there is."""
    if not candidates:
        return None
    enough = [c for c in candidates if c.density >= ctx.dpr]
    if enough:
        return min(enough, key=lambda c: c.density)
    return max(candidates, key=lambda c: c.density)


def _type_supported(el, get: Get) -> bool:
    mime = (get(el, "type") or "").split(";", 1)[0].strip().lower()
    return not mime or mime in _SUPPORTED_TYPES


@dataclass(frozen=True)
class Choice:
    element: object  # the <img> or <source> whose srcset (or src) it came from
    candidate: Candidate


def choose(img, ctx: Context, get: Get) -> Choice | None:
    """What ``img`` shows in ``ctx``: its ``<picture>`` sources first, then its own srcset/src."""
    parent = img.getparent()
    if parent is not None and parent.tag == "picture":
        for source in parent:
            if source is img:
                break
            if source.tag != "source" or not (get(source, "srcset") or "").strip():
                continue
            if media_matches(get(source, "media"), ctx) is False or not _type_supported(
                source, get
            ):
                continue
            found = pick(
                _candidates(get(source, "srcset") or "", get(source, "sizes"), None, ctx), ctx
            )
            if found is not None:
                return Choice(source, found)
    srcset = get(img, "srcset") or ""
    found = pick(_candidates(srcset, get(img, "sizes"), get(img, "src"), ctx), ctx)
    return Choice(img, found) if found is not None else None


def is_responsive(img, get: Get) -> bool:
    """Whether ``img`` picks among candidates (a srcset, or ``<picture>`` sources)."""
    if (get(img, "srcset") or "").strip():
        return True
    parent = img.getparent()
    return (
        parent is not None
        and parent.tag == "picture"
        and any(s.tag == "source" and (get(s, "srcset") or "").strip() for s in parent)
    )


def needed(img, get: Get) -> list[Choice]:
    """The choices of every context, each candidate once, the capture viewport's first."""
    out: list[Choice] = []
    for ctx in CONTEXTS:
        choice = choose(img, ctx, get)
        if choice is not None and all(
            (c.element, c.candidate.url) != (choice.element, choice.candidate.url) for c in out
        ):
            out.append(choice)
    return out

"""Which web fonts a page can use, so a capture fetches those and not every face listed.

A font service's stylesheet lists every weight of a family in every subset (latin,
cyrillic, greek, vietnamese…), each in several formats; a browser downloads one file of a
face, and only when text on the page falls in the face's ``unicode-range`` and an element
asks for its family. The rule here is that one, kept simple and on the safe side:

- a face is fetched when its family name appears somewhere in the page's CSS outside
  ``@font-face`` rules (or in a ``style``/``face`` attribute), and its ``unicode-range`` (if
  any) holds a character of the page's text or of a CSS ``content`` string;
- of its ``src`` list, the first URL in a format browsers read (WOFF2, WOFF, TrueType,
  OpenType) is fetched; the next ones only if it fails.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass

import tinycss2

from snapshelf.capture.css.references import find_css_resources
from snapshelf.capture.css.urls import Ref, classify

_FACE = re.compile(r"@font-face\s*\{[^{}]*\}", re.IGNORECASE)
_UNSUPPORTED_FORMATS = frozenset({"embedded-opentype", "svg"})
_UNSUPPORTED_EXTENSIONS = (".eot", ".svg", ".svgz")
_RANGE = re.compile(r"u\+([0-9a-f?]{1,6})(?:-([0-9a-f]{1,6}))?", re.IGNORECASE)
_CONTENT = re.compile(r"content\s*:\s*([^;}]*)", re.IGNORECASE)
_HEX_ESCAPE = re.compile(r"\\([0-9a-fA-F]{1,6})\s?")
_STRING = re.compile(r"\"((?:[^\"\\]|\\.)*)\"|'((?:[^'\\]|\\.)*)'")


@dataclass(frozen=True)
class FontFace:
    family: str  # lower case, unquoted
    urls: tuple[str, ...]  # absolute http(s) URLs of its src, readable formats first
    ranges: tuple[tuple[int, int], ...] | None  # unicode-range, None when absent
    mentioned: frozenset[str] = frozenset()  # every URL in the rule (earlier src too)


def _declarations(block: str) -> dict[str, list]:
    out: dict[str, list] = {}
    inner = block[block.index("{") + 1 : -1]
    for decl in tinycss2.parse_declaration_list(inner, skip_comments=True, skip_whitespace=True):
        if decl.type == "declaration":
            out[decl.lower_name] = decl.value
    return out


def _family(tokens: list) -> str:
    parts = [t.value for t in tokens if t.type in ("string", "ident")]
    return " ".join(parts).strip().lower()


def _sources(tokens: list, base_url: str) -> tuple[str, ...]:
    """The src list's URLs: readable formats in order, then the others (last resort)."""
    good: list[str] = []
    other: list[str] = []
    for item in _split(tokens):
        url, fmt = None, None
        for t in item:
            if t.type == "url":
                url = t.value
            elif t.type == "function" and t.lower_name == "url":
                url = next((a.value for a in t.arguments if a.type == "string"), None)
            elif t.type == "function" and t.lower_name == "format":
                fmt = next(
                    (a.value.lower() for a in t.arguments if a.type in ("string", "ident")), ""
                )
        if url is None:
            continue
        target = classify(url, base_url)
        if target.kind != "http":
            continue
        path = target.url.split("?", 1)[0].lower()
        readable = (
            fmt not in _UNSUPPORTED_FORMATS if fmt else not path.endswith(_UNSUPPORTED_EXTENSIONS)
        )
        (good if readable else other).append(target.url)
    return tuple(dict.fromkeys(good + other))


def _split(tokens: list) -> list[list]:
    items: list[list] = [[]]
    for t in tokens:
        if t.type == "literal" and t.value == ",":
            items.append([])
        else:
            items[-1].append(t)
    return items


def _ranges(tokens: list | None) -> tuple[tuple[int, int], ...] | None:
    if tokens is None:
        return None
    text = tinycss2.serialize(tokens)
    out = []
    for start, end in _RANGE.findall(text):
        if "?" in start:
            out.append((int(start.replace("?", "0"), 16), int(start.replace("?", "f"), 16)))
        else:
            out.append((int(start, 16), int(end or start, 16)))
    return tuple(out) or None


def font_faces(css: str, base_url: str) -> list[FontFace]:
    """The ``@font-face`` rules of a stylesheet (also inside ``@media``/``@supports``)."""
    if "@font-face" not in css.lower():
        return []
    faces = []
    for match in _FACE.finditer(css):
        decls = _declarations(match.group())
        family = _family(decls.get("font-family", []))
        urls = _sources(decls.get("src", []), base_url)
        if family and urls:
            mentioned = frozenset(r.url for r in find_css_resources(match.group(), base_url))
            faces.append(FontFace(family, urls, _ranges(decls.get("unicode-range")), mentioned))
    return faces


def without_faces(css: str) -> str:
    """The stylesheet without its ``@font-face`` rules, lower case: where families are used."""
    return _FACE.sub(" ", css).lower() if "@font-face" in css.lower() else css.lower()


def content_characters(css: str) -> set[int]:
    """Characters CSS ``content`` values insert (icon fonts draw these)."""
    chars: set[int] = set()
    for value in _CONTENT.findall(css):
        for m in _STRING.finditer(value):
            text = m.group(1) if m.group(1) is not None else m.group(2) or ""
            text = _HEX_ESCAPE.sub(lambda h: _char(int(h.group(1), 16)), text)
            chars.update(map(ord, text))
    return chars


def _char(code: int) -> str:
    return chr(code) if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else "\ufffd"


class FontUse:
    """What a page's text and CSS ask of fonts; decides which faces to fetch."""

    def __init__(self, characters: set[int] | None = None) -> None:
        # None: the page's text is unknown, so every unicode-range counts as used
        self.characters = characters
        self.usage: list[str] = []
        self._sorted: list[int] | None = None

    def add_css(self, css: str) -> None:
        self.usage.append(without_faces(css))
        if self.characters is not None and "content" in css:
            self.characters |= content_characters(css)

    def add_usage(self, text: str) -> None:
        self.usage.append(text.lower())

    def wants(self, face: FontFace) -> bool:
        if not any(face.family in text for text in self.usage):
            return False
        if face.ranges is None or self.characters is None:
            return True
        if self._sorted is None or len(self._sorted) != len(self.characters):
            self._sorted = sorted(self.characters)
        chars = self._sorted
        for lo, hi in face.ranges:
            i = bisect_left(chars, lo)
            if i < len(chars) and chars[i] <= hi:
                return True
        return False


def split_faces(refs: list[Ref], faces: list[FontFace]) -> list[Ref]:
    """``refs`` without the font files of ``faces`` (those are fetched only when used)."""
    face_urls = {url for face in faces for url in (*face.urls, *face.mentioned)}
    return [r for r in refs if not (r.kind == "font" and r.url in face_urls)]

"""Scanning a stylesheet once for its URL tokens; transforming it by replacing just those.

Tokenising is the slow part (tinycss2 is pure Python), and the same text is looked at
several times: discovery in resources.collect, rewriting in replay.build_replay, the
same stylesheet on every page of a site. So a stylesheet is tokenised once into a
_Scan: where each URL token sits in the text. Rewriting then replaces just those
tokens in the original text (everything else is kept byte for byte) instead of
re-serialising a token tree. Scans are cached (bounded, least recently used out).
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from dataclasses import dataclass

import tinycss2
from tinycss2.serializer import serialize_string_value

from snapshelf.capture.css.tokens import (
    Visit,
    Walk,
    first_significant,
    may_have_urls,
    parse_sheet,
    parse_values,
    safe_serialize,
    serialize_url,
)


class _Recorder(Walk):
    """A walk that records URL tokens (and what they load) instead of replacing them."""

    def __init__(self) -> None:
        super().__init__(lambda _raw, _kind: None)
        self.found: list[tuple[object, str]] = []

    def _replace(self, nodes: list, i: int, kind: str) -> None:
        node = nodes[i]
        if node.type in ("url", "string"):
            self.found.append((node, kind))
        elif node.type == "function" and node.lower_name in ("url", "src"):
            j = first_significant(node.arguments)
            if j is not None and node.arguments[j].type == "string":
                self._replace(node.arguments, j, kind)


@dataclass(frozen=True)
class _Url:
    start: int  # offsets in _Scan.text
    end: int
    value: str  # the URL as written (unescaped token value)
    kind: str
    quoted: bool  # a string token (else a url() token)


@dataclass(frozen=True)
class _Scan:
    text: str  # the text after CSS input preprocessing (what the offsets refer to)
    urls: tuple[_Url, ...]
    charset_end: int  # length of a leading @charset rule to drop, else 0


# tinycss2's input preprocessing (CSS Syntax §3.3); offsets refer to the result.
def _preprocess(css: str) -> str:
    if "\r" in css or "\f" in css or "\0" in css:
        css = css.replace("\0", "\ufffd").replace("\r\n", "\n").replace("\r", "\n")
        css = css.replace("\f", "\n")
    return css


def _string_end(text: str, pos: int) -> int:
    quote, pos, n = text[pos], pos + 1, len(text)
    while pos < n:
        c = text[pos]
        if c == quote:
            return pos + 1
        pos += 2 if c == "\\" else 1
    return n


def _url_end(text: str, pos: int) -> int:
    n = len(text)
    while pos < n and text[pos] != "(":  # the "url" name, possibly escaped
        pos += 2 if text[pos] == "\\" else 1
    pos += 1
    while pos < n:
        c = text[pos]
        if c == ")":
            return pos + 1
        pos += 2 if c == "\\" else 1
    return n


def _token_at(text: str, start: int, end: int, node) -> bool:
    """Whether ``text[start:end]`` is exactly the token ``node`` (guards the offsets)."""
    tokens = tinycss2.parse_component_value_list(text[start:end])
    if not tokens or tokens[0].type != node.type or tokens[0].value != node.value:
        return False
    return all(t.type == "error" and t.kind.startswith("eof") for t in tokens[1:])


_CHARSET_RULE = re.compile(r'@charset "[^"]*";')


# The few things that decide where a top-level rule ends: comments, strings (a newline
# ends a bad one), unquoted url(...) tokens (which swallow brackets and semicolons up to
# ")"), escapes, and brackets. "url(" counts only as a whole name (not the end of "xurl(").
_RULE_TOKENS = re.compile(
    r"""/\*.*?(?:\*/|\Z)|"(?:[^"\\\n]|\\.)*(?:"|\n|\Z)|'(?:[^'\\\n]|\\.)*(?:'|\n|\Z)"""
    r"""|(?<![\w\-\u0080-\U0010ffff])url\([ \t\n]*(?!["' \t\n])(?:[^)\\]|\\.)*(?:\)|\Z)"""
    r"|\\.|[{}()\[\];]",
    re.DOTALL | re.IGNORECASE,
)
# An at-keyword first (after whitespace and comments): the rule may also end at ";".
# Atomic and possessive, so a long run of blanks cannot backtrack.
_AT_RULE_START = re.compile(
    r"(?>[ \t\n]+|/\*.*?(?:\*/|\Z))*+@(?:-?[a-zA-Z_\u0080-\U0010ffff]|--)", re.DOTALL
)
# From an escape to the end of the name it is in: name characters and escapes (a hex
# escape takes one whitespace after it, as in CSS). Possessive, as a CSS tokeniser
# consumes a name: no backtracking on long junk names.
_ESCAPED_NAME = re.compile(
    r"(?:\\(?:[0-9a-fA-F]{1,6}+[ \t\n]?|[^\n0-9a-fA-F])|[\w\-\u0080-\U0010ffff])*+"
)
_CLOSER = {"{": "}", "(": ")", "[": "]"}


def _rules_with_urls(text: str) -> list[tuple[int, int]]:
    """Spans of the top-level rules that may hold a URL, so only those get tokenised.

    A rule ends where CSS ends it: an at-rule at its ";" or its block, a qualified rule
    at its block, each counted only outside nested brackets, strings and comments.
    Ending a span later than CSS would is harmless (two rules parse as two rules).
    """
    spans = []
    start = 0
    stack: list[str] = []
    at_rule = bool(_AT_RULE_START.match(text))

    def close(end: int) -> None:
        nonlocal start, at_rule
        if may_have_urls(text[start:end]):
            spans.append((start, end))
        start = end
        at_rule = bool(_AT_RULE_START.match(text, end))

    name_end = 0  # where the name holding the last escaped letter or digit ends
    for match in _RULE_TOKENS.finditer(text):
        mark = match.group()
        if mark[0] == "\\":
            if (mark[1:].isalnum() or mark[1:] >= "\x80") and match.start() >= name_end:
                name_end = _ESCAPED_NAME.match(text, match.start()).end()
                if text.startswith("(", name_end):
                    # An escaped letter or digit in a function name could spell "url(" (as
                    # in "\75 rl("), whose contents this scan would misread: tokenise it
                    # all. Elsewhere ("width: auto\9", "content: \f101") it is in a name.
                    return [(0, len(text))]
            continue  # an escaped punctuation mark ("md\:flex"): part of a name
        if len(mark) != 1:
            continue
        if mark in _CLOSER:
            stack.append(_CLOSER[mark])
        elif stack and mark == stack[-1]:
            stack.pop()
            if not stack and mark == "}":
                close(match.end())
        elif mark == ";" and not stack and at_rule:
            close(match.end())
    if start < len(text):
        close(len(text))
    return spans


def _scan_whole(css: str) -> _Scan | None:
    """A stylesheet's scan from tokenising all of it (what the split scan must equal)."""
    return _scan_uncached(css, False, split=False)


def _scan_uncached(css: str, inline: bool, split: bool = True) -> _Scan | None:
    text = _preprocess(css)
    spans = _rules_with_urls(text) if split and not inline else [(0, len(text))]
    urls: list[_Url] = []
    for first, last in spans:
        part = text[first:last]
        recorder = _Recorder()
        if inline:
            recorder.values(parse_values(part), "image")
        else:
            recorder.stylesheet(parse_sheet(part))
        line_starts = [0]
        if recorder.found:
            index = part.find("\n")
            while index >= 0:
                line_starts.append(index + 1)
                index = part.find("\n", index + 1)
        for node, kind in recorder.found:
            start = first + line_starts[node.source_line - 1] + node.source_column - 1
            quoted = node.type == "string"
            end = _string_end(text, start) if quoted else _url_end(text, start)
            if not _token_at(text, start, end, node):
                return None  # never expected; the caller then rewrites the token tree
            urls.append(_Url(start, end, node.value, kind, quoted))
    urls.sort(key=lambda u: u.start)
    charset = _CHARSET_RULE.match(text) if not inline else None
    return _Scan(text, tuple(urls), charset.end() if charset else 0)


_SCAN_CACHE: OrderedDict[tuple[bool, str], _Scan | None] = OrderedDict()
_SCAN_LOCK = threading.Lock()
# Total text kept (bounded memory), least recently used out. A single text may take a
# quarter: sites inline style blocks of 500 kB+, which take tinycss2 half a second.
_SCAN_CACHE_CHARS = 8_000_000
_scan_cache_size = 0


def _scan(css: str, inline: bool = False) -> _Scan | None:
    """Where the URLs of a stylesheet (or ``style=""`` value) are; None: use a token tree."""
    global _scan_cache_size
    key = (inline, css)
    with _SCAN_LOCK:
        if key in _SCAN_CACHE:
            _SCAN_CACHE.move_to_end(key)
            return _SCAN_CACHE[key]
    scan = _scan_uncached(css, inline)
    if len(css) <= _SCAN_CACHE_CHARS // 4:
        with _SCAN_LOCK:
            if key not in _SCAN_CACHE:
                _SCAN_CACHE[key] = scan
                _scan_cache_size += _cached_chars(css, scan)
                while _scan_cache_size > _SCAN_CACHE_CHARS:
                    (_inline, old), old_scan = _SCAN_CACHE.popitem(last=False)
                    _scan_cache_size -= _cached_chars(old, old_scan)
    return scan


def _cached_chars(css: str, scan: _Scan | None) -> int:
    return len(css) + (len(scan.text) if scan is not None and scan.text is not css else 0)


def _token_text(url: _Url, value: str) -> str:
    if url.quoted:
        return f'"{serialize_string_value(value)}"'
    return f"url({serialize_url(value)})"


def transform(css: str, visit: Visit, inline: bool) -> str:
    """Apply ``visit`` to every URL; unchanged text comes back as it was."""
    if not may_have_urls(css):
        return css
    scan = _scan(css, inline)
    if scan is None:  # fallback: rewrite and re-serialise the token tree
        walk = Walk(visit)
        if inline:
            nodes = parse_values(css)
            walk.values(nodes, "image")
        else:
            nodes = walk.stylesheet(parse_sheet(css))
        return safe_serialize(nodes) if walk.changed else css
    text = scan.text
    # The output is UTF-8: a leading @charset rule would lie about it.
    pieces: list[str] = []
    last = scan.charset_end
    for url in scan.urls:
        new = visit(url.value, url.kind)
        if new is not None and new != url.value:
            pieces += (text[last : url.start], _token_text(url, new))
            last = url.end
    if not pieces and not last:
        return css
    pieces.append(text[last:])
    return "".join(pieces)

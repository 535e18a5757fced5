"""Highlighted excerpts cut from the original text.

Matching reuses the analyzer's token spans, so what is highlighted is exactly what the
index matched: whole words for alphabetic scripts, and for CJK only the matched
characters (the spans of matched bigrams, merged), never whole sentences.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from snapshelf.search.query import Query
from snapshelf.text.analyzer import (
    QueryTokens,
    Token,
    has_word,
    is_cjk,
    word_at,
    word_tokens,
    words,
)

#: Only the start of very long texts is scanned, to keep a results page fast.
MAX_SCAN = 100_000
ELLIPSIS = "…"
_SPACE = re.compile(r"\s+")
#: Long texts are pre-checked in chunks; only this many chunk pairs are tokenized.
MAX_REGIONS = 6
_PAD = 40  # context tokenized around a chunk pair, so phrases crossing its edges match
_SNAP = 40  # how far a cut moves to reach a word boundary

Span = tuple[int, int, int]  # start, end, key of the matched alternative


@dataclass(frozen=True)
class Snippet:
    html: SafeString  # escaped, with <mark> around matches
    text: str  # the same excerpt as plain text


def _alternatives(query: Query) -> list[QueryTokens]:
    """The distinct word/phrase alternatives of the query's positive clauses."""
    seen: dict[QueryTokens, None] = {}
    for clause in query.clauses:
        if not clause.negated:
            for alt in clause.alternatives:
                if alt.tokens:
                    seen.setdefault(alt, None)
    return list(seen)


def _token_matches(tok: str, want: str, prefix: bool) -> bool:
    return tok == want or (prefix and tok.startswith(want))


def _fold(text: str) -> str:
    """A cheap form for substring pre-checks: decomposed and case-folded, so that the
    analyzer's token for a piece of `text` is (in practice) a substring of it."""
    return unicodedata.normalize("NFKD", text.casefold())


def _boundary(text: str, pos: int, step: int) -> int:
    """A position near `pos` between two words (a space or punctuation), moving by `step`."""
    for _ in range(_SNAP):
        if pos <= 0 or pos >= len(text) or not text[pos - 1].isalnum() or not text[pos].isalnum():
            break
        pos += step
    return max(0, min(len(text), pos))


def _chunks(text: str, size: int) -> list[tuple[int, int]]:
    """`text` cut into pieces of about `size` chars, at word boundaries where possible."""
    out = []
    start = 0
    while start < len(text):
        end = _boundary(text, min(len(text), start + size), 1)
        out.append((start, end))
        start = end
    return out


def _regions(text: str, alts: list[QueryTokens], size: int) -> list[tuple[int, int]]:
    """Where to look for matches: the pairs of neighbouring chunks that seem to hold the most
    distinct alternatives (a substring pre-check), at most MAX_REGIONS, in text order.

    Tokenizing is the slow part; this keeps it to a few thousand characters of a long text.
    """
    chunks = _chunks(text, size)
    if len(chunks) <= MAX_REGIONS * 2:
        return [(0, len(text))]
    wants = [(key, _fold(alt.tokens[0])) for key, alt in enumerate(alts)]
    found = []
    for start, end in chunks:
        folded = _fold(text[start:end])
        found.append({key for key, want in wants if want in folded})
    scored = [(len(found[i] | found[i + 1]), i) for i in range(len(chunks) - 1) if found[i]]
    if not scored:
        return []
    best = sorted(sorted(scored, key=lambda s: (-s[0], s[1]))[:MAX_REGIONS], key=lambda s: s[1])
    regions: list[tuple[int, int]] = []
    for _score, i in best:
        start = _boundary(text, max(0, chunks[i][0] - _PAD), -1)
        end = _boundary(text, min(len(text), chunks[i + 1][1] + _PAD), 1)
        if regions and start <= regions[-1][1]:
            regions[-1] = (regions[-1][0], max(end, regions[-1][1]))
        else:
            regions.append((start, end))
    return regions


def _find(text: str, alts: list[QueryTokens], size: int) -> list[Span]:
    """Match spans in the likeliest regions of `text`, sorted by start."""
    spans: list[Span] = []
    for start, end in _regions(text, alts, size):
        spans.extend((s + start, e + start, k) for s, e, k in _matches(text[start:end], alts))
    return sorted(set(spans))


def _candidate_tokens(text: str, alts: list[QueryTokens]) -> list[Token | None]:
    """The tokens of the words of `text` that may hold a query token, with None where
    words were skipped (so a phrase never matches across them).

    Building a token per word (per CJK character) is the slow part of a results page;
    one regular-expression scan of the folded text finds the words worth tokenizing.
    The check is the same approximate one as `_regions` uses: a word it skips could at
    worst lose a highlight, never gain one."""
    wants = sorted({_fold(t) for alt in alts for t in alt.tokens if t}, key=len, reverse=True)
    if not wants:
        return []
    folded = _fold(text)
    if len(folded) == len(text):  # positions agree: the words around the matches
        pattern = re.compile("|".join(re.escape(w) for w in wants))
        kept = _words_at(text, (m.start() for m in pattern.finditer(folded)))
    else:  # folding changed lengths somewhere: check word by word
        kept = [m for m in words(text) if any(w in _fold(m.group()) for w in wants)]
    out: list[Token | None] = []
    end = -1
    for m in kept:
        if end >= 0 and has_word(text, end, m.start()):
            out.append(None)
        out.extend(word_tokens(m.group(), m.start()))
        end = m.end()
    return out


def _words_at(text: str, positions: Iterable[int]) -> list[re.Match[str]]:
    """The words (as `words` finds them) holding these ascending positions, each once."""
    kept: list[re.Match[str]] = []
    for pos in positions:
        if kept and pos < kept[-1].end():
            continue
        start = pos
        while start > 0 and text[start - 1].isalnum():
            start -= 1
        if (m := word_at(text, start)) is not None:
            kept.append(m)
    return kept


def _matches(text: str, alts: list[QueryTokens]) -> list[Span]:
    """Spans of every occurrence of an alternative in `text` (phrases as consecutive tokens)."""
    toks = _candidate_tokens(text, alts)
    by_first: dict[str, list[int]] = {}
    prefixed: list[int] = []  # one-token prefix alternatives, tested with startswith
    for key, alt in enumerate(alts):
        if alt.prefix and len(alt.tokens) == 1:
            prefixed.append(key)
        else:
            by_first.setdefault(alt.tokens[0], []).append(key)
    spans: list[Span] = []
    for i, tok in enumerate(toks):
        if tok is None:
            continue
        for key in by_first.get(tok.text, ()):
            spans.extend(_phrase_spans(toks, i, alts[key], key))
        for key in prefixed:
            if tok.text.startswith(alts[key].tokens[0]):
                spans.extend(_phrase_spans(toks, i, alts[key], key))
    return spans


def _phrase_spans(toks: list[Token | None], i: int, alt: QueryTokens, key: int) -> list[Span]:
    """The span of the phrase `alt` starting at token i (one span for the whole phrase),
    or [] when it does not occur there."""
    n = len(alt.tokens)
    if i + n > len(toks):
        return []
    for j, want in enumerate(alt.tokens):
        tok = toks[i + j]
        if tok is None or not _token_matches(tok.text, want, alt.prefix and j == n - 1):
            return []
    last, want = toks[i + n - 1], alt.tokens[-1]
    end = last.end
    if last.cjk and len(want) < len(last.text):  # 卷* in 卷与: mark 卷 only
        end = min(last.end, last.start + len(want))
    return [(toks[i].start, end, key)]


def _merge(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Overlapping or touching spans as one (CJK bigrams 快照 照平 -> one mark)."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _best_window(spans: list[Span], length: int) -> tuple[int, int]:
    """(first, last) span indexes of the window of `length` chars with the most distinct
    alternatives; ties go to the earliest. Two pointers over spans sorted by start."""
    counts: dict[int, int] = {}
    best = (-1, 0, 0)
    hi = 0
    for lo, (start, _end, _key) in enumerate(spans):
        while hi < len(spans) and spans[hi][1] <= start + length:
            counts[spans[hi][2]] = counts.get(spans[hi][2], 0) + 1
            hi += 1
        if hi > lo and len(counts) > best[0]:
            best = (len(counts), lo, hi - 1)
        key = spans[lo][2]
        if lo < hi:
            counts[key] -= 1
            if not counts[key]:
                del counts[key]
        else:
            hi = lo + 1  # the span alone is longer than the window
    return best[1], best[2]


def _is_word(char: str) -> bool:
    return (char.isalnum() or char == "_") and not is_cjk(char)


def _cut(text: str, start: int, end: int, keep: tuple[int, int]) -> tuple[int, int]:
    """Move the window's ends off the middle of words, never into the `keep` span."""
    if 0 < start < len(text) and _is_word(text[start - 1]):
        while start < keep[0] and _is_word(text[start]):
            start += 1
    if 0 < end < len(text) and _is_word(text[end]):
        while end > keep[1] and _is_word(text[end - 1]):
            end -= 1
    while start < keep[0] and text[start].isspace():
        start += 1
    while end > keep[1] and text[end - 1].isspace():
        end -= 1
    return start, end


def _window(text: str, spans: list[Span], length: int) -> tuple[int, int]:
    """The excerpt's (start, end) in `text`: the best matches with some context before."""
    if not spans:
        end = min(len(text), length)
        return _cut(text, 0, end, (0, end // 2))
    lo, hi = _best_window(spans, length)
    first = spans[lo][0]
    last = max(s[1] for s in spans[lo : hi + 1])
    slack = max(0, length - (last - first))
    start = max(0, first - min(slack // 2, length // 4))
    end = min(len(text), start + length)
    start = max(0, min(start, end - length))
    return _cut(text, start, max(end, last), (first, last))


def _render(text: str, start: int, end: int, marks: list[tuple[int, int]]) -> Snippet:
    html: list[str] = []
    plain: list[str] = []
    pos = start
    for m_start, m_end in marks:
        m_start, m_end = max(m_start, start), min(m_end, end)
        if m_start >= m_end:
            continue
        before = _SPACE.sub(" ", text[pos:m_start])
        word = _SPACE.sub(" ", text[m_start:m_end])
        html += [str(escape(before)), "<mark>", str(escape(word)), "</mark>"]
        plain += [before, word]
        pos = m_end
    rest = _SPACE.sub(" ", text[pos:end])
    html.append(str(escape(rest)))
    plain.append(rest)
    lead = ELLIPSIS if start > 0 and text[:start].strip() else ""
    tail = ELLIPSIS if end < len(text) and text[end:].strip() else ""
    return Snippet(
        mark_safe(lead + "".join(html).strip() + tail),  # noqa: S308 - every part escaped
        lead + "".join(plain).strip() + tail,
    )


def snippet(text: str, query: Query, *, length: int = 240) -> Snippet:
    """An excerpt of about `length` chars around the most distinct query matches."""
    text = text or ""
    scanned = text[:MAX_SCAN]
    alts = _alternatives(query)
    spans = _find(scanned, alts, max(length, 80)) if alts else []
    start, end = _window(text, spans, length)
    marks = _merge((s, e) for s, e, _k in spans if s < end and e > start)
    return _render(text, start, end, marks)


def highlight(text: str, query: Query) -> SafeString:
    """The whole (short) text, escaped, with the query's matches marked (for titles)."""
    text = text or ""
    alts = _alternatives(query)
    spans = _matches(text[:MAX_SCAN], alts) if alts else []
    marks = _merge((s, e) for s, e, _k in spans)
    html: list[str] = []
    pos = 0
    for start, end in marks:
        html += [str(escape(text[pos:start])), "<mark>", str(escape(text[start:end])), "</mark>"]
        pos = end
    html.append(str(escape(text[pos:])))
    return mark_safe("".join(html))  # noqa: S308 - every part escaped

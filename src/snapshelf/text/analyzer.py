"""One analyzer for indexing and querying: NFKC, case folding, accent folding for Latin
letters, word runs, CJK bigrams.

Runs of CJK characters (Han, kana, Hangul) have no spaces between words, so they become
overlapping character bigrams, as Lucene's CJK analyzer does: 快照平台 -> 快照 照平 平台.
No dictionary is needed and any two-character word is found exactly: a page with 快 and
照 apart has no 快照 token.

A run's last character is also indexed on its own (平台 -> 平台 台): together with the
bigrams, every character of a run then begins some token, so a one-character query
becomes the prefix query 台* and finds the character anywhere in a run.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from typing import NamedTuple

#: Letters and digits; underscores and punctuation separate words (as FTS5's unicode61).
_WORD = re.compile(r"[^\W_]+")
#: A run of CJK characters. One pattern serves for single characters too: this class
#: takes ~3.5 ms to compile, paid at start-up by every command that analyses text.
_CJK_RUN = re.compile(
    "["
    "\u1100-\u11ff"  # Hangul Jamo
    "\u2e80-\u2fdf"  # CJK radicals
    "\u3040-\u30ff"  # Hiragana, Katakana
    "\u3100-\u31ff"  # Bopomofo, Hangul compatibility Jamo, Katakana extension
    "\u3400-\u4dbf"  # CJK extension A
    "\u4e00-\u9fff"  # CJK unified ideographs
    "\ua960-\ua97f"  # Hangul Jamo extended A
    "\uac00-\ud7ff"  # Hangul syllables, Jamo extended B
    "\uf900-\ufaff"  # CJK compatibility ideographs
    "\uff66-\uff9f"  # half-width Katakana
    "\U00020000-\U0003134f"  # CJK extensions B-G
    "]+"
)
#: Longer "words" are noise (hashes, base64); they are cut, not dropped, so they still match.
MAX_TOKEN = 40


class Token(NamedTuple):
    """A token and where it came from; a tuple because snippets build one per CJK
    character (a frozen dataclass took a quarter longer to create)."""

    text: str
    start: int  # offsets into the text given, for highlighting
    end: int
    cjk: bool  # a CJK bigram or character
    run_end: bool  # the last token of a CJK run (its lone last character, or the run)


#: Latin letters that can carry a diacritic (Latin-1 Supplement to Latin Extended-B,
#: Latin Extended Additional): the only ones whose marks are folded away
_LATIN_ACCENTED = re.compile("[\u00c0-\u024f\u1e00-\u1eff]")
_LATIN_BASE = re.compile("[A-Za-z\u00c0-\u024f\u1e00-\u1eff]")


def normalize(text: str) -> str:
    """NFKC, case folded, and Latin letters without their diacritics (Māori -> maori,
    café -> cafe), as people type them; marks on other scripts (kana's voicing marks,
    Hangul) are letters of their own and stay."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    if folded.isascii() or _LATIN_ACCENTED.search(folded) is None:
        return folded
    return _strip_latin_marks(folded)


def _strip_latin_marks(text: str) -> str:
    out: list[str] = []
    latin = False
    for char in unicodedata.normalize("NFD", text):
        if unicodedata.combining(char):
            if latin:
                continue
        else:
            latin = _LATIN_BASE.match(char) is not None
        out.append(char)
    return unicodedata.normalize("NFC", "".join(out))


def is_cjk(char: str) -> bool:
    return bool(_CJK_RUN.match(char))


def _segments(word: str, offset: int) -> Iterator[tuple[str, int, bool]]:
    """Split a word run into CJK and non-CJK pieces (Docker卷与Windows -> 3 pieces)."""
    pos = 0
    for m in _CJK_RUN.finditer(word):
        if m.start() > pos:
            yield word[pos : m.start()], offset + pos, False
        yield m.group(), offset + m.start(), True
        pos = m.end()
    if pos < len(word):
        yield word[pos:], offset + pos, False


def tokens(text: str) -> Iterator[Token]:
    """Index-time tokens in text order, with their spans in `text`."""
    for m in _WORD.finditer(text):
        yield from word_tokens(m.group(), m.start())


def words(text: str) -> Iterator[re.Match[str]]:
    """The word runs `tokens` splits (each yields its tokens through `word_tokens`)."""
    return _WORD.finditer(text)


def word_at(text: str, pos: int) -> re.Match[str] | None:
    """The word run starting at `pos` (None when a separator is there)."""
    return _WORD.match(text, pos)


def has_word(text: str, start: int, end: int) -> bool:
    """Whether text[start:end] holds any word run."""
    return _WORD.search(text, start, end) is not None


def word_tokens(word: str, offset: int = 0) -> Iterator[Token]:
    """The tokens of one word run, with spans shifted by `offset`."""
    for piece, start, cjk in _segments(word, offset):
        if not cjk:
            norm = normalize(piece)[:MAX_TOKEN]
            if norm:
                yield Token(norm, start, start + len(piece), False, False)
            continue
        norm = normalize(piece)  # one call per run; per character only if lengths differ
        chars = list(norm) if len(norm) == len(piece) else [normalize(c) for c in piece]
        for i in range(len(chars) - 1):
            yield Token(chars[i] + chars[i + 1], start + i, start + i + 2, True, False)
        last = len(chars) - 1
        yield Token(chars[last], start + last, start + last + 1, True, True)


#: ASCII text's word runs once lower-cased (NFKC and case folding are plain lower-casing
#: there, and no ASCII letter carries a mark): one regex pass instead of a call per word.
_ASCII_WORD = re.compile(r"[a-z0-9]+")
#: Each word run's analyzed form, since words repeat (host names, common words): a dict
#: lookup instead of NFKC and case folding per occurrence. Emptied when full.
_word_cache: dict[str, str] = {}
_WORD_CACHE_MAX = 50_000


def analyze(text: str) -> str:
    """The text as the index stores it: tokens joined by spaces.

    Same output as joining `tokens(text)`, without building a Token per word: ASCII text
    in one pass, other text a word at a time through a cache (an import analyzes
    hundreds of thousands of short fields; captures' bodies repeat their words)."""
    if not text:
        return ""
    if text.isascii():
        return " ".join(w[:MAX_TOKEN] for w in _ASCII_WORD.findall(text.lower()))
    out: list[str] = []
    cache = _word_cache
    for word in _WORD.findall(text):
        analyzed = cache.get(word)
        if analyzed is None:
            analyzed = _analyze_word(word)
            if len(cache) >= _WORD_CACHE_MAX:
                cache.clear()
            cache[word] = analyzed
        if analyzed:
            out.append(analyzed)
    return " ".join(out)


def _analyze_word(word: str) -> str:
    """One word run's tokens joined by spaces ("" when it has none)."""
    if _CJK_RUN.search(word) is None:
        return normalize(word)[:MAX_TOKEN]
    return " ".join(t.text for t in word_tokens(word))


@dataclass(frozen=True)
class QueryTokens:
    """What one query word or phrase must match, as consecutive tokens."""

    tokens: tuple[str, ...]
    prefix: bool = False  # the last token matches as a prefix (a lone CJK character)


def query_tokens(text: str) -> QueryTokens:
    """Tokens for a query word or phrase, matching how `tokens` indexed the same text.

    A CJK run's trailing lone character is kept only when more tokens follow (there the
    run ends in the document too); at the end of the query the run may continue in the
    document, where no such token exists. A query ending in a one-character run asks for
    that character as a prefix.
    """
    toks = list(tokens(text))
    out: list[str] = []
    prefix = False
    for i, tok in enumerate(toks):
        last = i == len(toks) - 1
        if tok.cjk and tok.run_end and len(tok.text) == 1:
            single_run = i == 0 or not toks[i - 1].cjk or toks[i - 1].run_end
            if not last:
                out.append(tok.text)
            elif single_run:
                out.append(tok.text)
                prefix = True
            continue
        out.append(tok.text)
    return QueryTokens(tuple(out), prefix)

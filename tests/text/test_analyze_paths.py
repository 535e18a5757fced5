"""analyze() takes short cuts (ASCII text in one pass, a cache of analyzed words): its
output must stay exactly the tokens `tokens()` finds, joined by spaces."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from snapshelf.text import analyzer
from snapshelf.text.analyzer import analyze, tokens

# letters of every kind the analyzer treats apart: ASCII, accented Latin, CJK, kana,
# Hangul, full-width forms, ligatures and compatibility characters NFKC expands
ALPHABET = (
    "abcXYZ019_-. ,;:/?&=#\t\n"
    "éÀçÑøßİıĳ"
    "快照平台书签网页"
    "かなカナ"
    "한국어"
    "ＡＢＣ１２"
    "ﬁﬀ¼㍱²"
    "\u0301\u0308"  # combining marks
    "\ufdfa"  # NFKC turns it into words with spaces
)


def reference(text: str) -> str:
    return " ".join(t.text for t in tokens(text))


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=ALPHABET, max_size=60))
def test_analyze_equals_the_joined_tokens(text):
    assert analyze(text) == reference(text)
    assert analyze(text) == reference(text)  # the second time from the word cache


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="abcdefXYZ0189 _-./:?=&#%", max_size=120))
def test_ascii_text_in_one_pass(text):
    assert analyze(text) == reference(text)


def test_long_ascii_words_are_cut_as_tokens_cut_them():
    word = "A" * 50 + "b"
    assert analyze(f"x {word} y") == reference(f"x {word} y") == f"x {'a' * 40} y"


def test_a_full_cache_starts_over_and_answers_the_same(monkeypatch):
    monkeypatch.setattr(analyzer, "_WORD_CACHE_MAX", 3)
    text = "Café 快照平台 naïve Ærø ÉCOLE 书签"
    assert analyze(text) == reference(text)
    assert len(analyzer._word_cache) <= 3
    assert analyze(text) == reference(text)

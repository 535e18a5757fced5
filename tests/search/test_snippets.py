"""Snippets: the best window of the original text, escaped, with only matches marked."""

from __future__ import annotations

import re
from html import unescape

from django.utils.html import escape
from hypothesis import given, settings
from hypothesis import strategies as st

from snapshelf.search.query import parse
from snapshelf.search.snippets import MAX_SCAN, _alternatives, _matches, highlight, snippet
from snapshelf.text.analyzer import QueryTokens, tokens


def marked(html: str) -> list[str]:
    return re.findall(r"<mark>(.*?)</mark>", html)


def test_english_words_are_marked_whole():
    s = snippet("Run Docker Compose on a laptop.", parse("docker compose"))
    assert s.html == "Run <mark>Docker</mark> <mark>Compose</mark> on a laptop."
    assert s.text == "Run Docker Compose on a laptop."


def test_matching_is_by_token_not_substring():
    s = snippet("The scar is on the car.", parse("car"))
    assert marked(s.html) == ["car"]


def test_normalized_matches_keep_the_original_spelling():
    s = snippet("Die Straße und ＤＯＣＫＥＲ", parse("strasse docker"))
    assert marked(s.html) == ["Straße", "ＤＯＣＫＥＲ"]


def test_chinese_marks_only_the_matched_characters():
    s = snippet("我们的快照平台很好用", parse("快照"))
    assert s.html == "我们的<mark>快照</mark>平台很好用"
    longer = snippet("我们的快照平台很好用。平台。", parse("快照平台"))
    assert marked(longer.html) == ["快照平台"]  # overlapping bigrams: one mark


def test_cjk_chars_apart_are_not_marked():
    s = snippet("快速拍照不是快照", parse("快照"))
    assert s.html == "快速拍照不是<mark>快照</mark>"


def test_single_cjk_char_prefix_highlight():
    s = snippet("Docker卷与Windows容器的区别", parse("卷"))
    assert s.html == "Docker<mark>卷</mark>与Windows容器的区别"
    end = snippet("这是一卷", parse("卷"))  # run-final character, matched as itself
    assert marked(end.html) == ["卷"]


def test_mixed_script_phrase_is_one_mark():
    s = snippet("关于Docker卷与Windows容器的说明", parse("Docker卷与Windows容器"))
    assert marked(s.html) == ["Docker卷与Windows容器"]


def test_japanese():
    s = snippet("週末に東京タワーへ行きました", parse("東京タワー"))
    assert marked(s.html) == ["東京タワー"]


def test_phrase_requires_consecutive_words():
    s = snippet("exact words in a phrase, then the exact phrase.", parse('"exact phrase"'))
    assert marked(s.html) == ["exact phrase"]


def test_or_alternatives_and_negated_words():
    q = parse("cats OR dogs -birds")
    s = snippet("Cats and dogs, but birds too.", q)
    assert marked(s.html) == ["Cats", "dogs"]


def test_html_in_text_is_escaped_and_inert():
    text = '<img src=x onerror="alert(1)"> Tom & Jerry <b>docker</b>'
    s = snippet(text, parse("docker img"))
    assert "<img" not in s.html and "<b>" not in s.html
    assert "&lt;<mark>img</mark> src=x onerror=&quot;alert(1)&quot;&gt;" in s.html
    assert "Tom &amp; Jerry &lt;b&gt;<mark>docker</mark>&lt;/b&gt;" in s.html
    assert s.text == text  # the plain excerpt is not escaped (templates escape it)


def test_window_has_the_most_distinct_words_and_ellipses():
    filler = "lorem ipsum dolor sit amet " * 40
    text = f"alpha early. {filler} alpha beta gamma together. {filler} ending"
    s = snippet(text, parse("alpha beta gamma"), length=120)
    assert marked(s.html) == ["alpha", "beta", "gamma"]
    assert s.text.startswith("…") and s.text.endswith("…")
    assert len(s.text) <= 125
    assert "alpha beta gamma together" in s.text


def test_ties_go_to_the_earliest_window():
    filler = "lorem ipsum dolor sit amet " * 40
    s = snippet(f"one needle {filler} two needle {filler}", parse("needle"), length=60)
    assert "one" in s.text and not s.text.startswith("…")


def test_cut_at_word_boundaries():
    filler = "consectetur adipiscing " * 30
    s = snippet(f"{filler}needle {filler}", parse("needle"), length=80)
    body = s.text.strip("…")
    words = set(filler.split()) | {"needle"}
    assert all(w in words for w in body.split())


def test_no_positive_clause_gives_the_start_without_marks():
    text = "First words of the article. " * 30
    for q in ("", "-first", "tag:x"):
        s = snippet(text, parse(q), length=50)
        assert "<mark>" not in s.html
        assert s.text.startswith("First words") and s.text.endswith("…")
        assert len(s.text) <= 51


def test_no_match_gives_the_start():
    s = snippet("Nothing to see here.", parse("absent"))
    assert s.html == "Nothing to see here." and s.text == "Nothing to see here."


def test_whitespace_is_collapsed():
    s = snippet("line one\n\n\tline   two docker", parse("docker"))
    assert s.text == "line one line two docker"


def test_empty_text():
    s = snippet("", parse("docker"))
    assert s.html == "" and s.text == ""


def test_match_deep_in_a_long_text():
    text = "filler words here. " * 4000 + "the needle is here. " + "more filler. " * 1000
    s = snippet(text, parse("needle"))
    assert marked(s.html) == ["needle"]
    assert s.text.startswith("…") and s.text.endswith("…")


def test_match_deep_in_a_long_chinese_text():
    text = "这是一段很长的中文文字。" * 3000 + "我们的快照平台很好用。" + "其他内容。" * 500
    s = snippet(text, parse("快照平台"))
    assert marked(s.html) == ["快照平台"]


def test_best_region_of_a_long_text_is_found():
    filler = "lorem ipsum dolor sit amet " * 100
    parts = [f"alpha {filler}", f"beta {filler}", f"alpha beta gamma {filler}", "gamma"]
    s = snippet("".join(parts * 3), parse("alpha beta gamma"))
    assert marked(s.html) == ["alpha", "beta", "gamma"]


def test_text_beyond_the_scan_limit_is_not_searched():
    text = "x " * MAX_SCAN + "needle"
    assert "<mark>" not in snippet(text, parse("needle")).html


def test_highlight_marks_the_whole_title():
    html = highlight("Docker & <b>卷与</b> Windows", parse("卷 docker"))
    assert html == "<mark>Docker</mark> &amp; &lt;b&gt;<mark>卷</mark>与&lt;/b&gt; Windows"
    plain = "A <title> & more"
    assert highlight(plain, parse("")) == escape(plain)


_TEXT = st.text(alphabet=st.sampled_from(list("ab <>&\"'\n快照卷与Ｄé😀-")), max_size=400)
_QUERY = st.sampled_from(["a", "b OR 快照", "卷", '"a b"', "-a", "ｄ", "é 照", ""])


@settings(max_examples=200, deadline=None)
@given(_TEXT, _QUERY, st.integers(min_value=1, max_value=300))
def test_snippets_are_always_escaped_and_well_formed(text, q, length):
    s = snippet(text, parse(q), length=length)
    inner = s.html.replace("<mark>", "").replace("</mark>", "")
    assert "<" not in inner and ">" not in inner and '"' not in inner
    assert s.html.count("<mark>") == s.html.count("</mark>")
    assert "<mark></mark>" not in s.html
    assert unescape(inner) == s.text
    title = highlight(text, parse(q))
    assert unescape(title.replace("<mark>", "").replace("</mark>", "")) == text


def test_a_phrase_never_matches_across_skipped_words():
    # words that cannot hold a query token are skipped before tokenizing; the gap they
    # leave must still break a phrase
    s = snippet("new big york, then new york.", parse('"new york"'))
    assert marked(s.html) == ["new york"]
    cjk = snippet("快，的照，快照", parse("快照"))
    assert marked(cjk.html) == ["快照"]


def _all_token_spans(text: str, alts: list[QueryTokens]) -> set[tuple[int, int, int]]:
    """Reference: match every alternative against the tokens of the whole text."""
    toks = list(tokens(text))
    found = set()
    for key, alt in enumerate(alts):
        n = len(alt.tokens)
        for i in range(len(toks) - n + 1):
            run = toks[i : i + n]
            if all(
                t.text == w or (alt.prefix and j == n - 1 and t.text.startswith(w))
                for j, (t, w) in enumerate(zip(run, alt.tokens, strict=True))
            ):
                end = run[-1].end
                if run[-1].cjk and len(alt.tokens[-1]) < len(run[-1].text):
                    end = min(end, run[-1].start + len(alt.tokens[-1]))
                found.add((run[0].start, end, key))
    return found


_WORDS = st.sampled_from(
    [
        "new",
        "york",
        "big",
        "Straße",
        "strasse",
        "ＤＯＣＫＥＲ",
        "docker",
        "快照",
        "平台",
        "快",
        "照",
    ]
    + ["new_york", "ﬁle", "file", "x9", "é"]  # underscores; folds that change lengths
)
_SEPARATORS = st.sampled_from([" ", "，", "-", "", "\n"])


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(_WORDS, _SEPARATORS), max_size=30),
    st.sampled_from(
        ['"new york"', "strasse docker", "快照", "照", '"快照平台" OR big', "york", "file é"]
    ),
)
def test_skipping_words_finds_what_tokenizing_everything_finds(pieces, text_query):
    text = "".join(word + sep for word, sep in pieces)
    alts = _alternatives(parse(text_query))
    assert set(_matches(text, alts)) == _all_token_spans(text, alts)

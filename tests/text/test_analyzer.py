"""The analyzer: the same tokens at index and query time, with spans into the original."""

from __future__ import annotations

import unicodedata

import pytest

from snapshelf.text.analyzer import analyze, normalize, query_tokens, tokens


def _texts(text: str) -> list[str]:
    return [t.text for t in tokens(text)]


def test_mixed_latin_and_cjk_run():
    toks = _texts("Docker卷与Windows容器")
    assert {"docker", "windows", "容器"} <= set(toks)
    q = query_tokens("卷")
    assert q == query_tokens("卷") and q.tokens == ("卷",) and q.prefix
    assert any(t.startswith(q.tokens[0]) for t in toks)  # 卷与 answers 卷*


def test_cjk_bigrams_and_run_final_char():
    assert _texts("快照平台") == ["快照", "照平", "平台", "台"]
    assert analyze("快照平台") == "快照 照平 平台 台"


def test_two_char_word_is_one_exact_token():
    assert query_tokens("快照").tokens == ("快照",)
    assert not query_tokens("快照").prefix
    apart = _texts("快速拍照")  # 快 and 照 both present, never side by side
    assert "快照" not in apart
    assert "快照" in _texts("网页快照")


def test_query_matches_index_for_longer_cjk_words():
    q = query_tokens("快照平台")
    assert q.tokens == ("快照", "照平", "平台")
    doc = _texts("我们的快照平台很好用")
    i = doc.index("快照")
    assert tuple(doc[i : i + 3]) == q.tokens


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Ｄｏｃｋｅｒ", ["docker"]),  # full-width forms (NFKC)
        ("Straße", ["strasse"]),  # case folding, not just lower()
        ("ÉCOLE école", ["ecole", "ecole"]),  # Latin diacritics folded
        ("ﬁle", ["file"]),  # ligature
        ("docker-compose e_mail", ["docker", "compose", "e", "mail"]),
        ("!!! ... ---", []),
        ("ｶﾀｶﾅ", ["カタ", "タカ", "カナ", "ナ"]),  # half-width katakana
    ],
)
def test_normalization(text, expected):
    assert _texts(text) == expected


def test_japanese_mixed_scripts():
    toks = _texts("東京タワーへ行く")
    assert toks[:4] == ["東京", "京タ", "タワ", "ワー"]
    assert query_tokens("東京").tokens == ("東京",)
    assert "東京" in toks and "タワ" in toks


def test_korean_hangul():
    toks = _texts("서울 타워")
    assert toks == ["서울", "울", "타워", "워"]
    assert query_tokens("서울").tokens == ("서울",)


def test_long_tokens_are_cut_not_dropped():
    tok = _texts("a" * 100)
    assert tok == ["a" * 40]


@pytest.mark.parametrize(
    "text",
    ["Ｄｏｃｋｅｒ卷与Windows容器", "Straße und ÉCOLE", "東京タワー 서울", "ﬁle, naïve — x_y"],
)
def test_spans_point_into_the_original_text(text):
    for tok in tokens(text):
        piece = text[tok.start : tok.end]
        if tok.cjk:
            assert "".join(normalize(c) for c in piece) == tok.text
        else:
            assert normalize(piece)[:40] == tok.text


def test_cjk_spans_cover_the_characters():
    text = "我们的快照平台"
    spans = {t.text: (t.start, t.end) for t in tokens(text)}
    assert text[slice(*spans["快照"])] == "快照"
    assert text[slice(*spans["台"])] == "台"


def test_query_tokens_of_a_phrase_are_consecutive_index_tokens():
    q = query_tokens("Docker卷与Windows容器")
    doc = _texts("关于Docker卷与Windows容器的说明")
    n = len(q.tokens)
    assert any(tuple(doc[i : i + n]) == q.tokens for i in range(len(doc)))


def test_normalize_is_nfkc_casefold():
    assert normalize("Ｆｕｌｌ ß") == unicodedata.normalize("NFKC", "Ｆｕｌｌ ß").casefold()

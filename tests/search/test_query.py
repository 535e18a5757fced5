"""The query parser: every feature, malformed input, and that it never raises."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from snapshelf.search.query import MAX_CLAUSES, Clause, Query, parse
from snapshelf.text.analyzer import QueryTokens


def words(q: Query) -> list:
    """Clauses compactly: [alternative token tuples..., "-" first when negated]."""
    out = []
    for c in q.clauses:
        alts = [a.tokens for a in c.alternatives]
        out.append(["-", *alts] if c.negated else alts)
    return out


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("docker compose", [[("docker",)], [("compose",)]]),
        ("Docker   COMPOSE\t", [[("docker",)], [("compose",)]]),
        ("docker-compose", [[("docker", "compose")]]),
        ("e-mail", [[("e", "mail")]]),
        ('"exact phrase here"', [[("exact", "phrase", "here")]]),
        ('a "b c" d', [[("a",)], [("b", "c")], [("d",)]]),
        ("-spam eggs", [["-", ("spam",)], [("eggs",)]]),
        ('-"bad phrase" ok', [["-", ("bad", "phrase")], [("ok",)]]),
        ("a OR b", [[("a",), ("b",)]]),
        ("a OR b OR c d", [[("a",), ("b",), ("c",)], [("d",)]]),
        ("a | b", [[("a",), ("b",)]]),
        ("a|b", [[("a",), ("b",)]]),
        ('"x y" OR z', [[("x", "y"), ("z",)]]),
        ("a or b", [[("a",)], [("or",)], [("b",)]]),  # lowercase or is a word
        ("a OR a", [[("a",)]]),
        ("docker docker", [[("docker",)]]),  # a repeated clause is kept once
        ("a a OR b", [[("a",)], [("a",), ("b",)]]),
        ("foo:bar", [[("foo", "bar")]]),  # unknown key: just words, as a phrase
        ("https://example.com/x", [[("https", "example", "com", "x")]]),
        ("!!! docker ...", [[("docker",)]]),  # punctuation-only words are dropped
        ("快照平台", [[("快照", "照平", "平台")]]),
        ("快照 平台", [[("快照",)], [("平台",)]]),
        ("東京タワー", [[("東京", "京タ", "タワ", "ワー")]]),
        ("서울 타워", [[("서울",)], [("타워",)]]),
        ("Docker卷与Windows容器", [[("docker", "卷与", "与", "windows", "容器")]]),
        ("Ｄｏｃｋｅｒ Straße", [[("docker",)], [("strasse",)]]),
        ("docker 😀 🐳", [[("docker",)]]),
        ("a\x00b\x1fc", [[("a",)], [("b",)], [("c",)]]),  # control chars separate words
    ],
)
def test_words_phrases_negation_or(text, expected):
    q = parse(text)
    assert words(q) == expected
    assert not q.hints


def test_single_cjk_char_is_a_prefix():
    q = parse("卷")
    assert q.clauses == [Clause((QueryTokens(("卷",), prefix=True),))]


def test_tags():
    q = parse('tag:python #web/dev TAG:"two  words" #日本語 -tag:old -#junk')
    assert q.tags == ["python", "web/dev", "two words", "日本語"]
    assert q.exclude_tags == ["old", "junk"]
    assert not q.clauses and not q.hints


def test_hash_alone_is_not_a_tag():
    q = parse("# docker")
    assert q.tags == [] and words(q) == [[("docker",)]]


@pytest.mark.parametrize(
    ("text", "host"),
    [
        ("site:example.com", "example.com"),
        ("site:Example.COM", "example.com"),
        ("SITE:https://www.example.com/some/path?q=1", "www.example.com"),
        ("site:http://user@example.com:8080/", "example.com"),
        ("site:example.com/docs", "example.com"),
    ],
)
def test_site(text, host):
    q = parse(text)
    assert q.sites == [host] and not q.clauses and not q.hints


@pytest.mark.parametrize(
    ("text", "flags"),
    [
        ("is:unread", ["unread"]),
        ("is:favorite", ["favorite"]),
        ("is:favourite", ["favorite"]),
        ("IS:Archived is:public", ["archived", "public"]),
        ("is:unread is:unread", ["unread"]),
    ],
)
def test_flags(text, flags):
    q = parse(text)
    assert q.flags == flags and not q.hints


def test_unknown_flag_is_a_hint_and_ignored():
    q = parse("is:shiny docker")
    assert q.flags == [] and words(q) == [[("docker",)]]
    assert len(q.hints) == 1


def test_lang_and_type():
    q = parse("lang:ZH lang:pt-BR type:PDF type:html")
    assert q.langs == ["zh", "pt-br"] and q.types == ["pdf", "html"]
    assert not q.hints
    bad = parse("type:doc lang:123")
    assert bad.types == [] and bad.langs == [] and len(bad.hints) == 2


@pytest.mark.parametrize(
    ("text", "before", "after"),
    [
        ("after:2024", None, date(2024, 1, 1)),
        ("before:2024-03", date(2024, 3, 1), None),
        ("before:2024-03-15", date(2024, 3, 15), None),
        ("after:2023-7 before:2024", date(2024, 1, 1), date(2023, 7, 1)),
        ("before:2024 before:2023-06", date(2023, 6, 1), None),  # repeated: narrows
        ("after:2020 after:2022-02-02", None, date(2022, 2, 2)),
    ],
)
def test_dates(text, before, after):
    q = parse(text)
    assert (q.before, q.after) == (before, after) and not q.hints


@pytest.mark.parametrize(
    "text", ["before:2024-13", "after:2024-02-30", "before:yesterday", "after:24", "before:0000"]
)
def test_invalid_date_is_a_hint_and_ignored(text):
    q = parse(text)
    assert q.before is None and q.after is None and q.is_empty
    assert len(q.hints) == 1


def test_filters_and_words_together():
    q = parse('docker tag:ops "swarm mode" -k8s site:docs.docker.com is:unread lang:en')
    assert words(q) == [[("docker",)], [("swarm", "mode")], ["-", ("k8s",)]]
    assert q.tags == ["ops"] and q.sites == ["docs.docker.com"] and q.flags == ["unread"]
    assert q.langs == ["en"] and q.has_text and not q.hints


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('"unbalanced phrase', [[("unbalanced", "phrase")]]),
        ('a "b c', [[("a",)], [("b", "c")]]),
        ("OR", []),
        ("OR a", [[("a",)]]),
        ("a OR", [[("a",)]]),
        ("a OR OR b", [[("a",), ("b",)]]),
        ("| a", [[("a",)]]),
        ("-", []),
        ("a - b", [[("a",)], [("b",)]]),
        ("a OR -b", [[("a",)], ["-", ("b",)]]),
        ("-a OR b", [["-", ("a",)], [("b",)]]),
        ("a OR tag:x", [[("a",)]]),
        ("tag:", []),
        ("site:", []),
        ("is:", []),
    ],
)
def test_malformed_input_degrades_with_a_hint(text, expected):
    q = parse(text)
    assert words(q) == expected
    assert q.hints


@pytest.mark.parametrize("text", ["", "   ", ":", "::", '""', "-:", "#", "|||x|||"])
def test_degenerate_input_without_hints(text):
    q = parse(text)
    assert all(c.alternatives for c in q.clauses)


def test_hints_are_translatable_text():
    hint = parse('"open').hints[0]
    assert "quote" in str(hint).lower()


def test_very_long_input_is_cut():
    q = parse("word " * 1000)
    assert len(q.clauses) == 1  # the same word; the repeated clause is kept once per word
    assert q.hints
    many = parse(" ".join(f"w{i}" for i in range(90)))
    assert len(many.clauses) == MAX_CLAUSES
    assert many.clauses[0].alternatives[0].tokens == ("w0",)
    assert many.hints


def test_long_single_token_is_cut_to_500_chars():
    q = parse("x" * 2000 + " tail")
    assert words(q) == [[("x" * 40,)]]  # analyzer caps tokens; "tail" was cut with the input
    assert q.hints


def test_empty_and_has_text():
    assert parse("").is_empty
    assert not parse("tag:x").is_empty and not parse("tag:x").has_text
    assert not parse("-spam").has_text


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=700))
def test_never_raises_and_clauses_are_well_formed(text):
    q = parse(text)
    assert len(q.clauses) <= MAX_CLAUSES
    for clause in q.clauses:
        assert clause.alternatives
        for alt in clause.alternatives:
            assert alt.tokens and all(alt.tokens)


_PIECES = st.sampled_from(
    ['"', "-", "OR", "|", "tag:", "#", "site:", "is:", "before:", ":", " ", "a", "快照", "卷", "😀"]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_PIECES, max_size=30).map("".join))
def test_never_raises_on_operator_soup(text):
    q = parse(text)
    for clause in q.clauses:
        assert clause.alternatives and all(alt.tokens for alt in clause.alternatives)

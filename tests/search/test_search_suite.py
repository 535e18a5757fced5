"""The search correctness suite: the same assertions on SQLite FTS5 and PostgreSQL.

CI runs it again with DATABASE_URL pointing at PostgreSQL; result sets must be identical.
Queries are built by hand (Query/Clause) where the parser is not what is tested, and
as text where it is available, so the suite tests the index, not the parser.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from snapshelf.library.models import Link, Snapshot, Tag
from snapshelf.library.records import get_or_create_link, get_or_create_tags
from snapshelf.search import index
from snapshelf.search import ranking as search_ranking
from snapshelf.search.query import Clause, Query
from snapshelf.text.analyzer import query_tokens

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True, params=["ranked", "broad"])
def ranking(request, monkeypatch):
    """Every test runs twice: as ordinary (BM25-ranked) queries, and with every query
    treated as broad (title and tag matches first, then newest first): both paths must
    find the same links."""
    if request.param == "broad":
        monkeypatch.setattr(search_ranking, "BROAD_MATCHES", -1)
    return request.param


@pytest.fixture
def alice(db):
    return get_user_model().objects.create_user("alice", "", "alice-password-123")


@pytest.fixture
def bob(db):
    return get_user_model().objects.create_user("bob", "", "bob-password-123")


def make(owner, url, *, title="", text="", tags=(), note="", lang="en", kind="html", **flags):
    """A link with one finished capture, saved the way the app saves (signals index it)."""
    link, _ = get_or_create_link(owner, url)
    snap = Snapshot.objects.create(
        link=link,
        version=link.snapshots.count() + 1,
        status=Snapshot.Status.DONE,
        title=title,
        text=text,
        language=lang,
        kind=kind,
    )
    link.latest_snapshot = snap
    link.note = note
    for name, value in flags.items():
        setattr(link, name, value)
    link.save()
    if tags:
        link.tags.add(*get_or_create_tags(owner, tags))
    return link


def words(*items: str, negated: bool = False) -> Clause:
    """One clause: any of the items (each a word or a phrase)."""
    return Clause(tuple(query_tokens(i) for i in items), negated)


def q(*clauses: Clause, **filters) -> Query:
    return Query(clauses=list(clauses), **filters)


def ids(owner, query, **kw) -> set[int]:
    return {h.link_id for h in index.search(owner, query, limit=500, **kw).hits}


def ranked(owner, query, **kw) -> list[int]:
    return [h.link_id for h in index.search(owner, query, limit=500, **kw).hits]


@pytest.fixture
def lib(alice):
    """A small library with English, Chinese, Japanese and mixed pages."""
    return {
        "fox": make(
            alice,
            "https://news.example.com/fox",
            title="The quick brown fox",
            text="A quick brown fox jumps over the lazy dog near the river bank.",
            tags=["animals"],
        ),
        "dog": make(
            alice,
            "https://blog.example.org/dog",
            title="Lazy dogs",
            text="The dog sleeps all day. Brown is not a colour of this dog. Quick facts.",
            tags=["animals", "pets"],
            favorite=True,
        ),
        "cooking": make(
            alice,
            "https://food.test/recipe",
            title="Bread recipe",
            text="Knead the dough, let it rise, bake the bread in a hot oven.",
            tags=["cooking"],
            unread=False,
        ),
        "zh": make(
            alice,
            "https://zh.example.cn/a",
            title="网页快照平台介绍",
            text="这是一个自托管的网页快照平台，可以保存文章的全文。",
            lang="zh-CN",
        ),
        "zh_apart": make(
            alice,
            "https://zh.example.cn/b",
            title="速度",
            text="他跑得很快，我们拍了一张照片。平时台风很大。",
            lang="zh",
        ),
        "ja": make(
            alice,
            "https://ja.example.jp/a",
            title="東京の天気",
            text="今日の東京は晴れです。明日は雨が降るでしょう。",
            lang="ja",
        ),
        "mixed": make(
            alice,
            "https://dev.example.com/docker",
            title="Docker卷与Windows容器",
            text="如何在Windows容器中使用Docker卷。",
            lang="zh",
            kind="html",
        ),
        "pdf": make(
            alice,
            "https://papers.test/paper.pdf",
            title="A paper about foxes",
            text="Foxes are small omnivorous mammals.",
            kind="pdf",
            archived=True,
            visibility=Link.Visibility.PUBLIC,
        ),
    }


def test_single_word_and_and(alice, lib):
    assert ids(alice, q(words("fox"))) == {lib["fox"].pk}
    assert ids(alice, q(words("brown"), words("dog"))) == {lib["fox"].pk, lib["dog"].pk}
    assert ids(alice, q(words("bread"), words("fox"))) == set()


def test_words_are_case_folded(alice, lib):
    assert ids(alice, q(words("FOX"))) == {lib["fox"].pk}


def test_phrase_needs_adjacent_words(alice, lib):
    assert ids(alice, q(words("quick brown"))) == {lib["fox"].pk}  # dog has both, apart
    assert ids(alice, q(words("brown"), words("quick"))) == {lib["fox"].pk, lib["dog"].pk}
    assert ids(alice, q(words("brown quick"))) == set()


def test_exclusion(alice, lib):
    assert ids(alice, q(words("brown"), words("river", negated=True))) == {lib["dog"].pk}
    # only exclusions: everything else of the owner's, newest first
    got = ranked(alice, q(words("dog", negated=True)))
    assert lib["dog"].pk not in got and lib["fox"].pk not in got
    assert set(got) == {v.pk for k, v in lib.items() if k not in ("dog", "fox")}
    assert got == sorted(got, reverse=True)


def test_or(alice, lib):
    assert ids(alice, q(words("bread", "river"))) == {lib["cooking"].pk, lib["fox"].pk}
    assert ids(alice, q(words("bread", "quick brown"))) == {lib["cooking"].pk, lib["fox"].pk}


def test_tag_filters(alice, lib):
    assert ids(alice, q(tags=["animals"])) == {lib["fox"].pk, lib["dog"].pk}
    assert ids(alice, q(tags=["ANIMALS", "pets"])) == {lib["dog"].pk}
    assert ids(alice, q(words("brown"), exclude_tags=["pets"])) == {lib["fox"].pk}
    assert ids(alice, q(tags=["nope"])) == set()


def test_tags_are_searchable_words(alice, lib):
    assert ids(alice, q(words("pets"))) == {lib["dog"].pk}


def test_site_filter(alice, lib):
    assert ids(alice, q(sites=["example.com"])) == {
        lib["fox"].pk,
        lib["mixed"].pk,
    }
    assert ids(alice, q(sites=["news.example.com"])) == {lib["fox"].pk}
    assert ids(alice, q(sites=["ample.com"])) == set()  # a suffix must be a whole label
    assert ids(alice, q(sites=["food.test", "blog.example.org"])) == {
        lib["cooking"].pk,
        lib["dog"].pk,
    }


def test_site_words_are_searchable(alice, lib):
    assert ids(alice, q(words("papers"))) == {lib["pdf"].pk}


def test_flag_filters(alice, lib):
    assert ids(alice, q(words("dog"), flags=["favorite"])) == {lib["dog"].pk}
    assert lib["cooking"].pk not in ids(alice, q(flags=["unread"]))
    assert ids(alice, q(flags=["archived"])) == {lib["pdf"].pk}
    assert ids(alice, q(flags=["public"])) == {lib["pdf"].pk}
    assert lib["pdf"].pk not in ids(alice, q(words("foxes")), include_archived=False)
    assert lib["pdf"].pk in ids(alice, q(words("foxes")))


def test_lang_and_type_filters(alice, lib):
    assert ids(alice, q(langs=["zh"])) == {lib["zh"].pk, lib["zh_apart"].pk, lib["mixed"].pk}
    assert ids(alice, q(langs=["ja"])) == {lib["ja"].pk}
    assert ids(alice, q(types=["pdf"])) == {lib["pdf"].pk}
    assert ids(alice, q(words("foxes"), types=["html"])) == set()


def test_date_filters(alice, lib):
    old = lib["cooking"]
    Link.objects.filter(pk=old.pk).update(created=timezone.now() - timedelta(days=30))
    cut = timezone.localdate() - timedelta(days=10)
    assert ids(alice, q(before=cut)) == {old.pk}
    assert old.pk not in ids(alice, q(after=cut))
    assert ids(alice, q(after=cut)) == {v.pk for v in lib.values()} - {old.pk}
    assert ids(alice, q(before=date(2000, 1, 1))) == set()


def test_chinese_bigrams_must_be_contiguous(alice, lib):
    # zh_apart has 快 and 照 (and 平, 台) but never next to each other
    assert ids(alice, q(words("快照"))) == {lib["zh"].pk}
    assert ids(alice, q(words("快照平台"))) == {lib["zh"].pk}
    assert ids(alice, q(words("平台"))) == {lib["zh"].pk}
    assert ids(alice, q(words("照平台"))) == {lib["zh"].pk}
    assert ids(alice, q(words("快台"))) == set()


def test_single_chinese_character(alice, lib):
    assert ids(alice, q(words("快"))) == {lib["zh"].pk, lib["zh_apart"].pk}
    assert ids(alice, q(words("卷"))) == {lib["mixed"].pk}


def test_japanese(alice, lib):
    assert ids(alice, q(words("東京"))) == {lib["ja"].pk}
    assert ids(alice, q(words("天気"))) == {lib["ja"].pk}
    assert ids(alice, q(words("雨が降る"))) == {lib["ja"].pk}
    assert ids(alice, q(words("京東"))) == set()


def test_mixed_script_title(alice, lib):
    for word in ("docker", "Windows", "容器", "卷", "卷与", "Docker卷与Windows容器"):
        assert ids(alice, q(words(word))) == {lib["mixed"].pk}, word


def test_ranking_title_beats_body(alice):
    body = make(alice, "https://a.test/1", title="Gardening", text="a note about zeppelins")
    title = make(alice, "https://a.test/2", title="Zeppelins", text="airships of the past")
    got = ranked(alice, q(words("zeppelins")))
    assert got == [title.pk, body.pk]
    page = index.search(alice, q(words("zeppelins")))
    assert page.hits[0].score > page.hits[1].score


def test_ties_newest_first(alice):
    first = make(alice, "https://a.test/1", title="same words here")
    second = make(alice, "https://a.test/2", title="same words here")
    assert ranked(alice, q(words("same"))) == [second.pk, first.pk]


def test_owner_scoping(alice, bob, lib):
    theirs = make(bob, "https://bob.test/fox", title="Bob's fox", text="fox fox fox")
    assert theirs.pk not in ids(alice, q(words("fox")))
    assert ids(bob, q(words("fox"))) == {theirs.pk}
    assert ids(bob, q(words("fox", negated=True))) == set()
    assert ids(bob, q(tags=["animals"])) == set()


def test_public_only(alice, lib):
    assert ids(alice, q(words("foxes")), public_only=True) == {lib["pdf"].pk}
    assert ids(alice, q(words("fox")), public_only=True) == set()


def test_pagination(alice):
    made = [make(alice, f"https://p.test/{i}", title=f"page number {i}") for i in range(7)]
    first = index.search(alice, q(words("page")), limit=3)
    second = index.search(alice, q(words("page")), limit=3, offset=3)
    third = index.search(alice, q(words("page")), limit=3, offset=6)
    assert first.has_next and second.has_next and not third.has_next
    got = [h.link_id for p in (first, second, third) for h in p.hits]
    assert sorted(got) == sorted(link.pk for link in made)
    assert len(set(got)) == 7


def test_hits_carry_title_url_and_snippet(alice, lib):
    hit = index.search(alice, q(words("river"))).hits[0]
    assert hit.title == "The quick brown fox"
    assert hit.url == "https://news.example.com/fox"
    assert hit.snapshot_id == lib["fox"].latest_snapshot_id
    assert "river" in hit.snippet_text
    assert "<script" not in hit.snippet_html


def test_snippet_is_escaped(alice):
    make(alice, "https://x.test/", title="xss", text="<script>alert(1)</script> payload here")
    hit = index.search(alice, q(words("payload"))).hits[0]
    assert "<script>" not in hit.snippet_html
    assert "&lt;script&gt;" in hit.snippet_html


def test_query_text_is_parsed(alice, lib):
    assert ids(alice, "fox") == {lib["fox"].pk}


def test_odd_query_strings_never_raise(alice, lib):
    for text in [
        '"',
        "*",
        "fox*",
        '"unclosed',
        "OR",
        "-",
        "a AND",
        "NEAR(x)",
        "'",
        "\\",
        "{title}:x",
        "^fox",
        "tag:",
        "-fox",
        "((",
        "快*",
        "site:",
        "😀",
        "\x00",
    ]:
        index.search(alice, text)


def test_index_follows_title_edit(alice, lib):
    link = lib["cooking"]
    link.title = "Sourdough starter"
    link.save()
    assert ids(alice, q(words("sourdough"))) == {link.pk}
    link.title = ""
    link.save(update_fields=["title"])
    assert ids(alice, q(words("sourdough"))) == set()
    assert ids(alice, q(words("recipe"))) == {link.pk}  # the capture's title again


def test_index_follows_note_edit(alice, lib):
    link = lib["cooking"]
    link.note = "grandmother's method"
    link.save(update_fields=["note"])
    assert ids(alice, q(words("grandmother"))) == {link.pk}


def test_index_follows_tag_add_and_remove(alice, lib):
    link = lib["cooking"]
    (baking,) = get_or_create_tags(alice, ["baking"])
    link.tags.add(baking)
    assert ids(alice, q(words("baking"))) == {link.pk}
    assert ids(alice, q(tags=["baking"])) == {link.pk}
    link.tags.remove(baking)
    assert ids(alice, q(words("baking"))) == set()
    link.tags.set([baking])
    assert ids(alice, q(words("baking"))) == {link.pk}
    link.tags.clear()
    assert ids(alice, q(words("baking"))) == set()
    baking.links.add(link)
    assert ids(alice, q(words("baking"))) == {link.pk}
    baking.links.clear()
    assert ids(alice, q(words("baking"))) == set()


def test_index_follows_tag_rename_merge_delete(alice, lib):
    from snapshelf.services import tags as tagsvc

    animals = Tag.objects.get(owner=alice, name="animals")
    tagsvc.rename_tag(alice, animals, "wildlife")
    assert ids(alice, q(words("wildlife"))) == {lib["fox"].pk, lib["dog"].pk}
    assert ids(alice, q(words("animals"))) == set()
    tagsvc.rename_tag(alice, Tag.objects.get(owner=alice, name="wildlife"), "pets")  # merge
    assert ids(alice, q(words("wildlife"))) == set()
    assert ids(alice, q(words("pets"))) == {lib["fox"].pk, lib["dog"].pk}
    tagsvc.delete_tag(alice, Tag.objects.get(owner=alice, name="pets"))
    assert ids(alice, q(words("pets"))) == set()


def test_index_follows_bulk_tags_and_delete(alice, lib):
    from snapshelf.services import bulk

    bulk.apply(alice, [lib["fox"].pk, lib["cooking"].pk], "add_tags", ["reading"])
    assert ids(alice, q(words("reading"))) == {lib["fox"].pk, lib["cooking"].pk}
    bulk.apply(alice, [lib["fox"].pk], "remove_tags", ["reading"])
    assert ids(alice, q(words("reading"))) == {lib["cooking"].pk}
    bulk.apply(alice, [lib["cooking"].pk, lib["dog"].pk], "delete")
    assert ids(alice, q(words("bread"))) == set()
    assert ids(alice, q(words("dog"))) == {lib["fox"].pk}
    assert index.doc_count() == len(lib) - 2


def test_index_follows_link_delete(alice, lib):
    lib["fox"].delete()
    assert ids(alice, q(words("river"))) == set()
    assert index.doc_count() == len(lib) - 1


def test_new_capture_replaces_body(alice, lib):
    link = lib["cooking"]
    make(alice, link.url, title="Bread recipe v2", text="now with rye flour")
    assert ids(alice, q(words("rye"))) == {link.pk}
    assert ids(alice, q(words("knead"))) == set()


def test_rebuild_equals_incremental(alice, bob, lib):
    make(bob, "https://bob.test/x", title="bob things", tags=["animals"])
    queries = [
        q(words("fox")),
        q(words("快照")),
        q(words("animals")),
        q(words("dog", negated=True)),
        q(words("卷")),
        q(words("example")),
    ]
    before = [(ranked(alice, x), ranked(bob, x)) for x in queries]
    count = index.doc_count()
    assert index.rebuild() == count
    assert index.doc_count() == count
    assert [(ranked(alice, x), ranked(bob, x)) for x in queries] == before


def test_df_and_doc_count(alice, lib):
    assert index.doc_count() == len(lib)
    got = index.df(["fox", "dog", "快照", "absentword"])
    assert got["fox"] == 1
    assert got["dog"] == 2  # title "dogs" is another word; "dog" is in fox's and dog's text
    assert got["快照"] == 1
    assert got["absentword"] == 0


def test_parsed_query_language(alice, lib):
    assert ids(alice, "brown -river") == {lib["dog"].pk}
    assert ids(alice, '"quick brown"') == {lib["fox"].pk}
    assert ids(alice, "bread OR river") == {lib["cooking"].pk, lib["fox"].pk}
    assert ids(alice, "tag:animals -tag:pets") == {lib["fox"].pk}
    assert ids(alice, "#pets dog") == {lib["dog"].pk}
    assert ids(alice, "site:example.cn 快照") == {lib["zh"].pk}
    assert ids(alice, "type:pdf foxes") == {lib["pdf"].pk}
    assert ids(alice, "lang:ja") == {lib["ja"].pk}
    assert ids(alice, "is:favorite") == {lib["dog"].pk}


def test_snippet_finds_a_match_deep_in_a_long_text(alice):
    text = "filler words here. " * 3000 + "The hidden okapi lives in the forest. " + "more. " * 500
    make(alice, "https://long.test/", title="long", text=text)
    hit = index.search(alice, q(words("okapi"))).hits[0]
    assert "<mark>okapi</mark>" in hit.snippet_html
    assert "okapi" in hit.snippet_text


def test_broad_queries_list_title_matches_then_newest(alice, monkeypatch):
    old_title = make(alice, "https://b.test/1", title="Zeppelin history", text="airships")
    heavy = make(alice, "https://b.test/2", title="Misc", text="zeppelin " * 30)
    newer_body = make(alice, "https://b.test/3", title="Notes", text="a zeppelin once")
    new_title = make(alice, "https://b.test/4", title="A zeppelin", text="flying")
    tagged = make(alice, "https://b.test/5", title="Photos", text="zeppelin", tags=["zeppelin"])
    query = q(words("zeppelin"))
    monkeypatch.setattr(search_ranking, "BROAD_MATCHES", 1_000)
    bm25 = ranked(alice, query)
    assert bm25.index(heavy.pk) < bm25.index(newer_body.pk)  # ranked: the word's count weighs
    monkeypatch.setattr(search_ranking, "BROAD_MATCHES", 3)  # 5 documents hold the word
    assert ranked(alice, query) == [tagged.pk, new_title.pk, old_title.pk, newer_body.pk, heavy.pk]
    pages = [index.search(alice, query, limit=2, offset=o) for o in (0, 2, 4)]
    assert [h.link_id for p in pages for h in p.hits] == ranked(alice, query)
    assert [p.has_next for p in pages] == [True, True, False]
    scores = [h.score for h in pages[0].hits + pages[1].hits]
    assert scores == [1.0, 1.0, 1.0, 0.0]


def test_estimated_matches_bounds_the_match_count(alice):
    make(alice, "https://e.test/1", title="alpha beta", text="gamma")
    make(alice, "https://e.test/2", title="alpha", text="beta")
    make(alice, "https://e.test/3", title="alpha", text="delta")
    est = search_ranking.estimated_matches
    assert est([words("alpha")]) == 3
    assert est([words('"alpha beta"')]) == 2  # a phrase: at most its rarest word
    assert est([words("beta", "delta")]) == 3  # OR: the sum
    assert est([words("alpha"), words("gamma")]) == 1  # AND: the smallest clause
    assert est([words("nothing")]) == 0
    assert est([Clause((query_tokens("快"),))]) is None  # a prefix word has no frequency

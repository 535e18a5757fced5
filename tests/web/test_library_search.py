"""The library page's search box, answered by the full-text index."""

from __future__ import annotations

import pytest
from django.utils.html import escape

from snapshelf.library.models import Link, Snapshot
from snapshelf.library.records import get_or_create_link, get_or_create_tags

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_a(client, user):
    client.force_login(user)
    return client


def make(owner, url, *, title="", text="", tags=(), **fields):
    link, _ = get_or_create_link(owner, url)
    snap = Snapshot.objects.create(
        link=link, version=1, status=Snapshot.Status.DONE, title=title, text=text, kind="html"
    )
    link.latest_snapshot = snap
    for name, value in fields.items():
        setattr(link, name, value)
    link.save()
    if tags:
        link.tags.add(*get_or_create_tags(owner, tags))
    return link


def ids(response) -> list[int]:
    return [link.pk for link in response.context["links"]]


def test_full_text_rows_in_rank_order_with_snippet(client_a, user):
    body = make(user, "https://a.test/1", title="Garden", text="Notes on the migration of eels.")
    title = make(user, "https://a.test/2", title="Eels of Europe", text="Long fish.")
    make(user, "https://a.test/3", title="Other", text="Nothing to see.")
    r = client_a.get("/", {"q": "eels"})
    assert r.status_code == 200
    assert ids(r) == [title.pk, body.pk]
    html = r.content.decode()
    assert "migration of <mark>eels</mark>" in html  # the body excerpt, highlighted
    assert html.index("Eels of Europe") < html.index("Garden")


def test_snippet_is_escaped(client_a, user):
    make(user, "https://a.test/x", title="t", text="<img src=x onerror=alert(1)> wombat facts")
    html = client_a.get("/", {"q": "wombat"}).content.decode()
    assert "<img src=x" not in html
    assert escape("<img src=x") in html


def test_page_filters_still_apply(client_a, user):
    tagged = make(user, "https://a.test/1", title="kiwi one", tags=["birds"])
    make(user, "https://a.test/2", title="kiwi two")
    fav = make(user, "https://a.test/3", title="kiwi three", favorite=True)
    assert ids(client_a.get("/", {"q": "kiwi", "tag": "birds"})) == [tagged.pk]
    assert ids(client_a.get("/", {"q": "kiwi", "is": "favorite"})) == [fav.pk]


def test_archived_hidden_unless_asked(client_a, user):
    old = make(user, "https://a.test/1", title="platypus", archived=True)
    assert ids(client_a.get("/", {"q": "platypus"})) == []
    assert ids(client_a.get("/", {"q": "platypus", "is": "archived"})) == [old.pk]


def test_other_users_links_never_show(client_a, user, other_user):
    make(other_user, "https://b.test/1", title="secret capybara")
    mine = make(user, "https://a.test/1", title="my capybara")
    r = client_a.get("/", {"q": "capybara"})
    assert ids(r) == [mine.pk]
    assert "secret" not in r.content.decode()


def test_chinese_search(client_a, user):
    zh = make(user, "https://a.test/zh", title="网页快照平台", text="保存网页的全文。")
    make(user, "https://a.test/apart", title="很快", text="拍照")
    assert ids(client_a.get("/", {"q": "快照"})) == [zh.pk]


def test_pagination_by_offset(client_a, user):
    made = [make(user, f"https://a.test/{i}", title=f"lemur {i}") for i in range(55)]
    first = client_a.get("/", {"q": "lemur"})
    assert len(first.context["links"]) == 50 and first.context["next_url"]
    assert "q=lemur" in first.context["next_url"]
    second = client_a.get("/", {"q": "lemur", "page": 2})
    assert len(second.context["links"]) == 5 and second.context["next_url"] is None
    assert sorted(ids(first) + ids(second)) == sorted(link.pk for link in made)


def test_placeholder_says_full_text(client_a, user):
    assert "full text" in client_a.get("/").content.decode()


@pytest.mark.parametrize(
    "q",
    [
        '"',
        '"unclosed',
        "*",
        "-",
        "OR",
        "fox OR",
        "tag:",
        "site:",
        "before:notadate",
        "((",
        "NEAR(a b)",
        "{title}:x",
        "\\",
        "'",
        "快*",
        "lang:",
        "is:nothing",
        "x" * 500,
    ],
)
def test_malformed_queries_never_500(client_a, user, q):
    make(user, "https://a.test/1", title="fox")
    assert client_a.get("/", {"q": q}).status_code == 200


def test_search_queries_are_bounded(client_a, user, django_assert_max_num_queries):
    for i in range(30):
        make(user, f"https://a.test/{i}", title=f"otter {i}", text="otter text", tags=[f"t{i}"])
    with django_assert_max_num_queries(12):
        r = client_a.get("/", {"q": "otter"})
    assert len(r.context["links"]) == 30


def test_hints_are_shown(client_a, user):
    from snapshelf.search.query import parse

    try:
        hints = parse('"unclosed').hints + parse("before:notadate").hints
    except NotImplementedError:
        pytest.skip("the query parser has not landed yet")
    if not hints:
        pytest.skip("the parser gives no hints for these queries")
    html = client_a.get("/", {"q": "before:notadate"}).content.decode()
    for hint in parse("before:notadate").hints:
        assert str(escape(str(hint))) in html


def test_edit_is_searchable_at_once(client_a, user):
    link = make(user, "https://a.test/1", title="first name")
    link.title = "renamed narwhal"
    link.save(update_fields=["title"])
    assert ids(client_a.get("/", {"q": "narwhal"})) == [link.pk]
    assert Link.objects.count() == 1

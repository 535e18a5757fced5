"""The tags page and its actions through Django's test client: counts, rename, merge,
delete, suggestions; always scoped to the signed-in user."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from snapshelf.library.models import Link, Tag
from snapshelf.library.records import add_link, get_or_create_tags

pytestmark = pytest.mark.django_db

XSS = "<img src=x onerror=alert(1)>"


@pytest.fixture
def client_a(client, user):
    client.force_login(user)
    return client


def link_with(owner, url: str, *tags: str) -> Link:
    link, _snap = add_link(owner, url, tags)
    return link


def names_of(link: Link) -> list[str]:
    return sorted(link.tags.values_list("name", flat=True))


def tag(owner, name: str) -> Tag:
    return Tag.objects.get(owner=owner, name=name)


def options(response) -> list[str]:
    return re.findall(r'<option value="([^"]*)"', response.content.decode())


@pytest.fixture
def library(user, other_user):
    """alice: python x3, django x2 (one with python), empty (no links); bob: secret, python."""
    links = {
        "a": link_with(user, "https://example.org/a", "python", "django"),
        "b": link_with(user, "https://example.org/b", "python"),
        "c": link_with(user, "https://example.org/c", "python", "django"),
        "d": link_with(user, "https://example.org/d", "web"),
    }
    get_or_create_tags(user, ["empty"])
    link_with(other_user, "https://example.org/a", "secret", "python")
    return links


# -- the page -----------------------------------------------------------------


def test_tags_page_requires_login(client):
    r = client.get(reverse("tags"))
    assert r.status_code == 302


def test_tags_page_lists_own_tags_with_counts(client_a, library):
    r = client_a.get(reverse("tags"))
    assert r.status_code == 200
    assert r.context["nav"] == "tags"
    counts = {t.name: t.n for t in r.context["tags"]}
    assert counts == {"django": 2, "empty": 0, "python": 3, "web": 1}
    assert [t.name for t in r.context["tags"]] == ["django", "empty", "python", "web"]
    html = r.content.decode()
    assert "secret" not in html
    assert 'href="/?tag=python"' in html
    assert 'aria-current="page"' in html


def test_tags_page_sort_by_count(client_a, library):
    r = client_a.get(reverse("tags"), {"sort": "count"})
    assert [t.name for t in r.context["tags"]] == ["python", "django", "web", "empty"]


def test_tags_page_filter(client_a, library):
    r = client_a.get(reverse("tags"), {"q": "YTH"})
    assert [t.name for t in r.context["tags"]] == ["python"]
    r = client_a.get(reverse("tags"), {"q": "nothing-like-this"})
    assert r.context["tags"] == []
    assert "nothing-like-this" in r.content.decode()


def test_tag_link_goes_to_filtered_library(client_a, user):
    link_with(user, "https://example.org/x", "dev/docker & c++")
    html = client_a.get(reverse("tags")).content.decode()
    assert 'href="/?tag=dev/docker%20%26%20c%2B%2B"' in html
    r = client_a.get("/", {"tag": "dev/docker & c++"})
    assert r.status_code == 200


def test_tags_page_bounded_queries(client_a, user, django_assert_max_num_queries):
    tags = get_or_create_tags(user, [f"tag{i:03d}" for i in range(150)])
    links = [link_with(user, f"https://example.org/{i}") for i in range(20)]
    for i, link in enumerate(links):
        link.tags.add(*tags[i : i + 30])
    with django_assert_max_num_queries(6):
        r = client_a.get(reverse("tags"))
    assert len(r.context["tags"]) == 150
    counts = {t.name: t.n for t in r.context["tags"]}
    assert counts["tag000"] == 1 and counts["tag025"] == 20 and counts["tag149"] == 0


def test_xss_tag_name_is_escaped(client_a, user):
    link_with(user, "https://example.org/x", XSS)
    html = client_a.get(reverse("tags")).content.decode()
    assert XSS not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    r = client_a.get(reverse("tag-suggest"), {"q": "<im"})
    assert b"<img" not in r.content
    assert options(r) == ["&lt;img src=x onerror=alert(1)&gt;"]


# -- rename -------------------------------------------------------------------


def test_rename(client_a, user, library):
    t = tag(user, "web")
    r = client_a.post(reverse("tag-rename", args=[t.pk]), {"name": "  www  "})
    assert r.status_code == 302
    t.refresh_from_db()
    assert t.name == "www"
    assert names_of(library["d"]) == ["www"]
    assert "Renamed" in client_a.get(r.url).content.decode()


def test_rename_case_only_changes_spelling(client_a, user, library):
    t = tag(user, "python")
    client_a.post(reverse("tag-rename", args=[t.pk]), {"name": "Python"})
    t.refresh_from_db()
    assert t.name == "Python"
    assert Tag.objects.filter(owner=user).count() == 4
    assert t.links.count() == 3


def test_rename_into_existing_merges(client_a, user, library):
    django_tag, python = tag(user, "django"), tag(user, "python")
    link_with(user, "https://example.org/e", "django")
    r = client_a.post(reverse("tag-rename", args=[django_tag.pk]), {"name": "PYTHON"})
    assert r.status_code == 302
    assert not Tag.objects.filter(pk=django_tag.pk).exists()
    python.refresh_from_db()
    assert python.name == "python"
    assert python.links.count() == 4  # a, b, c and e; a and c only once
    assert names_of(library["a"]) == ["python"]
    assert "merged" in client_a.get(r.url).content.decode()


@pytest.mark.parametrize("bad", ["", "   ", ",", "a, b"])
def test_rename_needs_one_name(client_a, user, library, bad):
    t = tag(user, "web")
    r = client_a.post(reverse("tag-rename", args=[t.pk]), {"name": bad})
    assert r.status_code == 302
    t.refresh_from_db()
    assert t.name == "web"
    assert Tag.objects.filter(owner=user).count() == 4
    assert "msg-error" in client_a.get(r.url).content.decode()


def test_rename_foreign_tag_404(client_a, other_user, library):
    t = tag(other_user, "secret")
    r = client_a.post(reverse("tag-rename", args=[t.pk]), {"name": "mine"})
    assert r.status_code == 404
    t.refresh_from_db()
    assert t.name == "secret"


# -- merge --------------------------------------------------------------------


def test_merge_into_new_name(client_a, user, library):
    ids = [tag(user, "python").pk, tag(user, "django").pk]
    r = client_a.post(reverse("tags-merge"), {"ids": ids, "into": "code"})
    assert r.status_code == 302
    assert not Tag.objects.filter(pk__in=ids).exists()
    code = tag(user, "code")
    assert code.links.count() == 3
    assert names_of(library["a"]) == ["code"]  # carried both sources, one target
    assert names_of(library["d"]) == ["web"]
    assert "Merged 2 tags" in client_a.get(r.url).content.decode()


def test_merge_into_existing_tag(client_a, user, library):
    web = tag(user, "web")
    ids = [tag(user, "python").pk, tag(user, "django").pk]
    client_a.post(reverse("tags-merge"), {"ids": ids, "into": "Web"})
    web.refresh_from_db()
    assert web.name == "web"
    assert web.links.count() == 4
    assert Tag.objects.filter(owner=user).count() == 2  # web, empty
    for link in library.values():
        assert names_of(link) == ["web"]
    counts = {t.name: t.n for t in client_a.get(reverse("tags")).context["tags"]}
    assert counts == {"empty": 0, "web": 4}


def test_merge_into_one_of_the_sources(client_a, user, library):
    python = tag(user, "python")
    client_a.post(
        reverse("tags-merge"), {"ids": [python.pk, tag(user, "web").pk], "into": "python"}
    )
    assert python.links.count() == 4
    assert not Tag.objects.filter(owner=user, name="web").exists()


def test_merge_with_foreign_id_404_changes_nothing(client_a, user, other_user, library):
    ids = [tag(user, "python").pk, tag(other_user, "secret").pk]
    r = client_a.post(reverse("tags-merge"), {"ids": ids, "into": "code"})
    assert r.status_code == 404
    assert sorted(Tag.objects.filter(owner=user).values_list("name", flat=True)) == [
        "django",
        "empty",
        "python",
        "web",
    ]
    assert names_of(Link.objects.get(owner=other_user)) == ["python", "secret"]


def test_merge_needs_a_name(client_a, user, library):
    ids = [tag(user, "python").pk, tag(user, "django").pk]
    client_a.post(reverse("tags-merge"), {"ids": ids, "into": " "})
    assert Tag.objects.filter(pk__in=ids).count() == 2


# -- delete -------------------------------------------------------------------


def test_delete_confirms_then_keeps_links(client_a, user, library):
    t = tag(user, "python")
    r = client_a.get(reverse("tag-delete", args=[t.pk]))
    assert r.status_code == 200
    assert "3 links will lose this tag; the links stay." in r.content.decode()
    assert Tag.objects.filter(pk=t.pk).exists()
    r = client_a.post(reverse("tag-delete", args=[t.pk]))
    assert r.status_code == 302
    assert not Tag.objects.filter(pk=t.pk).exists()
    assert Link.objects.filter(owner=user).count() == 4
    assert names_of(library["a"]) == ["django"]


def test_delete_foreign_tag_404(client_a, other_user, library):
    t = tag(other_user, "secret")
    assert client_a.get(reverse("tag-delete", args=[t.pk])).status_code == 404
    assert client_a.post(reverse("tag-delete", args=[t.pk])).status_code == 404
    assert Tag.objects.filter(pk=t.pk).exists()


def test_get_on_post_routes_changes_nothing(client_a, user, library):
    t = tag(user, "python")
    assert client_a.get(reverse("tag-rename", args=[t.pk]), {"name": "x"}).status_code == 405
    r = client_a.get(reverse("tags-merge"), {"ids": [t.pk], "into": "x"})
    assert r.status_code == 405
    t.refresh_from_db()
    assert t.name == "python" and t.links.count() == 3
    assert not Tag.objects.filter(name="x").exists()


def test_post_routes_need_csrf(user, library):
    from django.test import Client

    c = Client(enforce_csrf_checks=True)
    c.force_login(user)
    t = tag(user, "python")
    assert c.post(reverse("tag-delete", args=[t.pk])).status_code == 403
    assert c.post(reverse("tag-rename", args=[t.pk]), {"name": "x"}).status_code == 403
    assert Tag.objects.filter(pk=t.pk, name="python").exists()


# -- suggest ------------------------------------------------------------------


def test_suggest_prefix_first_then_substring(client_a, user, other_user):
    get_or_create_tags(user, ["Python", "cpython", "pythonic", "jython", "ruby"])
    get_or_create_tags(other_user, ["python-secret"])
    r = client_a.get(reverse("tag-suggest"), {"q": "pyth"})
    assert r.status_code == 200
    assert r["Content-Type"].startswith("text/html")
    assert options(r) == ["Python", "pythonic", "cpython"]


def test_suggest_at_most_20(client_a, user):
    get_or_create_tags(user, [f"x{i:02d}" for i in range(30)])
    assert len(options(client_a.get(reverse("tag-suggest"), {"q": "x"}))) == 20


def test_suggest_comma_list(client_a, user):
    get_or_create_tags(user, ["django", "docker", "python"])
    r = client_a.get(reverse("tag-suggest"), {"q": "python,  d"})
    assert options(r) == ["python, django", "python, docker"]
    r = client_a.get(reverse("tag-suggest"), {"q": "docker, DJ"})
    assert options(r) == ["docker, django"]
    # tags already listed are not suggested again
    r = client_a.get(reverse("tag-suggest"), {"q": "django, d"})
    assert options(r) == ["django, docker"]


def test_suggest_reads_the_field_name(client_a, user):
    get_or_create_tags(user, ["django"])
    assert options(client_a.get(reverse("tag-suggest"), {"into": "dj"})) == ["django"]


def test_suggest_requires_login(client, user):
    assert client.get(reverse("tag-suggest"), {"q": "a"}).status_code == 302

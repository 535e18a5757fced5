"""Related links by shared tags: the fallback when a link has no captured text yet."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from snapshelf.library.models import Link
from snapshelf.library.records import add_link
from snapshelf.related.links import RelatedLink, related_links

pytestmark = pytest.mark.django_db


def make(owner, name: str, *tags: str, visibility: str = "private", age_days: int = 0) -> Link:
    link, _snap = add_link(owner, f"https://example.org/{name}", tags)
    Link.objects.filter(pk=link.pk).update(
        visibility=visibility, created=timezone.now() - timedelta(days=age_days)
    )
    link.refresh_from_db()
    return link


def urls(related: list[RelatedLink]) -> list[str]:
    return [r.link.url.rsplit("/", 1)[1] for r in related]


def test_ordered_by_shared_tags_then_newest(user):
    me = make(user, "me", "python", "django", "web")
    make(user, "one-new", "python", age_days=0)  # saved first, but created later (an import)
    make(user, "three", "python", "django", "web", age_days=5)
    make(user, "two", "django", "web", age_days=1)
    make(user, "one-old", "python", age_days=3)  # ties with one-new
    make(user, "none", "cooking")
    related = related_links(me)
    assert urls(related) == ["three", "two", "one-new", "one-old"]
    assert [r.score for r in related] == [3.0, 2.0, 1.0, 1.0]
    assert all(r.link.pk != me.pk for r in related)


def test_rarer_shared_tag_wins_a_tie(user):
    me = make(user, "me", "common", "rare")
    make(user, "rare-match", "rare", age_days=2)
    make(user, "common-match", "common", age_days=0)
    for i in range(5):
        make(user, f"filler{i}", "common", age_days=10)
    assert urls(related_links(me, limit=2)) == ["rare-match", "common-match"]


def test_reason_names_the_shared_tags(user):
    me = make(user, "me", "python", "Django", "web")
    make(user, "other", "web", "Django", "cooking")
    (only,) = related_links(me)
    assert only.reason == "Shared tags: Django, web"


def test_only_same_owner(user, other_user):
    me = make(user, "me", "python")
    make(other_user, "theirs", "python", visibility="public")
    make(other_user, "me", "python", visibility="public")  # same URL, other owner
    assert related_links(me) == []


def test_public_only(user):
    me = make(user, "me", "python")
    make(user, "private", "python")
    make(user, "unlisted", "python", visibility="unlisted")
    make(user, "public", "python", visibility="public")
    assert urls(related_links(me, public_only=True)) == ["public"]
    assert sorted(urls(related_links(me))) == ["private", "public", "unlisted"]


def test_archived_links_are_candidates(user):
    me = make(user, "me", "python")
    other = make(user, "old", "python")
    Link.objects.filter(pk=other.pk).update(archived=True)
    assert urls(related_links(me)) == ["old"]


def test_no_tags_no_related(user):
    me = make(user, "me")
    make(user, "other", "python")
    assert related_links(me) == []


def test_limit(user):
    me = make(user, "me", "python")
    for i in range(8):
        make(user, f"o{i}", "python")
    assert len(related_links(me)) == 5
    assert len(related_links(me, limit=3)) == 3
    assert related_links(me, limit=0) == []


def test_bounded_queries(user, django_assert_max_num_queries):
    tags = [f"t{i}" for i in range(12)]
    me = make(user, "me", *tags)
    for i in range(40):
        make(user, f"o{i}", *tags[i % 12 : i % 12 + 4])
    me = Link.objects.get(pk=me.pk)
    # a constant: not one per link (40 here); a first call also weighs and stores the
    # vectors of links that have none yet (related.vectors: the link's document, with its
    # highlights since issue 22), one of the queries on PostgreSQL
    with django_assert_max_num_queries(15):
        related = related_links(me, limit=10)
        titles = [r.link.display_title for r in related]
        reasons = [r.reason for r in related]
    assert len(titles) == 10 and all(reason.startswith("Shared tags: ") for reason in reasons)
    assert related[0].score == 4.0

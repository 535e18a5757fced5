"""Highlights in search: their passages and notes are in their link's index document,
and has:highlights keeps the links that have one (the owner's, never on public pages)."""

from __future__ import annotations

import pytest

from snapshelf.library.records import add_link
from snapshelf.reading.models import Highlight
from snapshelf.search.index import search
from snapshelf.search.query import parse
from snapshelf.services import highlights as door

pytestmark = pytest.mark.django_db


def found(owner, q: str, **kw) -> set[int]:
    return {hit.link_id for hit in search(owner, q, **kw).hits}


@pytest.fixture
def links(user):
    marked, _ = add_link(user, "https://example.org/marked", [])
    plain, _ = add_link(user, "https://example.org/plain", [])
    return marked, plain


def test_has_highlights_parses_and_hints_unknown_values():
    assert parse("has:highlights").has == ["highlights"]
    assert parse("HAS:Highlight kafka").has == ["highlights"]
    q = parse("has:ponies")
    assert q.has == [] and q.hints


def test_has_highlights_keeps_only_links_with_one(user, other_user, links):
    marked, plain = links
    assert found(user, "has:highlights") == set()
    h = door.create_highlight(user, marked.pk, door.HighlightDraft(exact="a passage"))
    assert found(user, "has:highlights") == {marked.pk}
    assert found(user, "-tag:none has:highlights") == {marked.pk}
    assert found(other_user, "has:highlights") == set()
    door.delete_highlight(user, marked.pk, h.pk)
    assert found(user, "has:highlights") == set()
    assert plain.pk not in found(user, "has:highlights")


def test_passages_and_notes_are_searchable_and_follow_edits(user, other_user, links):
    marked, _plain = links
    h = door.create_highlight(
        user,
        marked.pk,
        door.HighlightDraft(exact="zymurgy of sourdough", note="remember the levain"),
    )
    assert found(user, "zymurgy") == {marked.pk}
    assert found(user, "levain") == {marked.pk}
    assert found(other_user, "zymurgy") == set()
    door.edit_highlight(user, marked.pk, h.pk, note="the poolish instead")
    assert found(user, "levain") == set()
    assert found(user, "poolish has:highlights") == {marked.pk}
    door.delete_highlight(user, marked.pk, h.pk)
    assert found(user, "zymurgy") == set()
    assert not Highlight.objects.exists()


def test_public_searches_ignore_has_highlights(user, links):
    marked, plain = links
    door.create_highlight(user, marked.pk, door.HighlightDraft(exact="a passage"))
    for link in links:
        link.visibility = "public"
        link.save()
    # a visitor's search must not tell links with private highlights apart
    assert found(user, "has:highlights", public_only=True) == {marked.pk, plain.pk}

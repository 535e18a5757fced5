"""Highlights through the service door, on real captures served by the fixture server:
made, edited, deleted, owner-scoped, followed to a new version whose text moved, and
orphaned when their text is gone."""

from __future__ import annotations

import pytest

from snapshelf.jobs.capture import run_capture
from snapshelf.library.models import Link
from snapshelf.reading.highlights import for_link, text_of
from snapshelf.reading.models import Highlight
from snapshelf.services import highlights as door
from snapshelf.services.links import snapshot_again
from tests.library.helpers import capture
from tests.reading.pages import PASSAGE, V1, V2, V3
from tests.webserver import Reply

pytestmark = pytest.mark.django_db


def serve(server, html: str) -> str:
    server.route("/tomatoes", lambda r: Reply.html(html))
    return server.url("/tomatoes")


def draft_for(snap, passage: str = PASSAGE, **extra) -> door.HighlightDraft:
    """What the reader's script sends for a selection of `passage` in this version."""
    text = text_of(snap)
    start = text.index(passage)
    end = start + len(passage)
    return door.HighlightDraft(
        exact=passage,
        prefix=text[max(0, start - 32) : start],
        suffix=text[end : end + 32],
        start=start,
        end=end,
        snapshot_id=snap.pk,
        **extra,
    )


@pytest.fixture
def captured(user, fixture_server):
    snap = capture(user, serve(fixture_server, V1))
    assert snap.status == "done", snap.error
    return snap


def new_version(user, link_id: int, server, html: str):
    serve(server, html)
    snap = snapshot_again(user, Link.objects.get(pk=link_id), force=True, limited=False)
    return run_capture(snap.pk).snapshot


def test_make_edit_delete(user, captured):
    h = door.create_highlight(user, captured.link_id, draft_for(captured, note="ripe test"))
    assert h.exact == PASSAGE and h.color == "yellow" and h.anchored_id == captured.pk
    assert [x.pk for x in door.list_highlights(user, captured.link_id)] == [h.pk]
    door.edit_highlight(user, captured.link_id, h.pk, note="thumb rule", color="green")
    h.refresh_from_db()
    assert (h.note, h.color) == ("thumb rule", "green")
    door.delete_highlight(user, captured.link_id, h.pk)
    assert not Highlight.objects.exists()


def test_bad_drafts_are_refused_with_a_reason(user, captured):
    with pytest.raises(door.InvalidHighlight):
        door.create_highlight(user, captured.link_id, door.HighlightDraft(exact="   "))
    with pytest.raises(door.InvalidHighlight):
        door.create_highlight(user, captured.link_id, draft_for(captured, color="plaid"))
    with pytest.raises(door.InvalidHighlight):
        door.create_highlight(user, captured.link_id, draft_for(captured, note="x" * 10_001))
    h = door.create_highlight(user, captured.link_id, draft_for(captured))
    with pytest.raises(door.InvalidHighlight):
        door.edit_highlight(user, captured.link_id, h.pk, color="plaid")
    h.refresh_from_db()
    assert h.color == "yellow"  # nothing lost


def test_another_user_reaches_nothing(user, other_user, captured):
    h = door.create_highlight(user, captured.link_id, draft_for(captured))
    with pytest.raises(Link.DoesNotExist):
        door.list_highlights(other_user, captured.link_id)
    with pytest.raises(Link.DoesNotExist):
        door.create_highlight(other_user, captured.link_id, draft_for(captured))
    with pytest.raises(Highlight.DoesNotExist):
        door.edit_highlight(other_user, captured.link_id, h.pk, note="mine now")
    with pytest.raises(Highlight.DoesNotExist):
        door.delete_highlight(other_user, captured.link_id, h.pk)
    h.refresh_from_db()
    assert h.note == ""


def test_a_version_of_another_link_is_refused(user, captured, fixture_server):
    fixture_server.route("/other", lambda r: Reply.html(V3))
    other = capture(user, fixture_server.url("/other"))
    draft = draft_for(captured)
    bad = door.HighlightDraft(**{**draft.__dict__, "snapshot_id": other.pk})
    with pytest.raises(door.InvalidHighlight):
        door.create_highlight(user, captured.link_id, bad)


def test_a_new_version_whose_text_moved_keeps_the_highlight(user, captured, fixture_server):
    h = door.create_highlight(user, captured.link_id, draft_for(captured))
    second = new_version(user, captured.link_id, fixture_server, V2)
    assert second.status == "done" and second.pk != captured.pk
    h.refresh_from_db()
    text = text_of(second)
    assert not h.orphaned
    assert h.anchored_id == second.pk and h.snapshot_id == captured.pk
    assert h.start > text_of(captured).index(PASSAGE)  # it moved down the page
    assert " ".join(text[h.start : h.end].split()) == PASSAGE  # re-flowed, same words
    assert [x.pk for x in for_link(second.link)] == [h.pk]


def test_text_gone_orphans_the_highlight_and_its_return_heals_it(user, captured, fixture_server):
    h = door.create_highlight(user, captured.link_id, draft_for(captured))
    keep = door.create_highlight(
        user, captured.link_id, draft_for(captured, passage="Keep a few seeds")
    )
    third = new_version(user, captured.link_id, fixture_server, V3)
    h.refresh_from_db()
    keep.refresh_from_db()
    assert h.orphaned and h.anchored_id == captured.pk  # still shown on the version it was on
    assert not keep.orphaned and keep.anchored_id == third.pk
    # the orphaned one is listed last
    assert [x.pk for x in door.list_highlights(user, captured.link_id)] == [keep.pk, h.pk]
    fourth = new_version(user, captured.link_id, fixture_server, V1)
    h.refresh_from_db()
    assert not h.orphaned and h.anchored_id == fourth.pk


def test_reanchor_after_the_latest_version_is_deleted(user, captured, fixture_server):
    h = door.create_highlight(user, captured.link_id, draft_for(captured))
    third = new_version(user, captured.link_id, fixture_server, V3)
    h.refresh_from_db()
    assert h.orphaned
    third.delete()
    assert door.reanchor(user, captured.link_id) == (1, 0)
    h.refresh_from_db()
    assert not h.orphaned and h.anchored_id == captured.pk

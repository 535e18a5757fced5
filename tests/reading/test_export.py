"""Highlights leave with their link: in the JSON export (every field, the owner's only)
and in a version's Markdown download (the passages found in that version, escaped)."""

from __future__ import annotations

import json

import pytest

from snapshelf.io.exporters import export_chunks
from snapshelf.io.exporters.base import Selection
from snapshelf.io.exporters.snapshot import markdown_of, snapshot_artefact
from snapshelf.library.records import add_link
from snapshelf.services import highlights as door
from tests.library.helpers import capture
from tests.reading.pages import PASSAGE, V1
from tests.reading.test_highlights import draft_for, serve

pytestmark = pytest.mark.django_db


def exported(owner) -> dict:
    return json.loads(b"".join(export_chunks(Selection(owner), "json")))


def test_the_json_export_holds_each_links_highlights(user, other_user, fixture_server):
    snap = capture(user, serve(fixture_server, V1))
    h = door.create_highlight(user, snap.link_id, draft_for(snap, note="<b>thumb</b> rule"))
    plain, _ = add_link(user, "https://example.org/plain", [])
    theirs, _ = add_link(other_user, "https://example.org/theirs", [])
    door.create_highlight(other_user, theirs.pk, door.HighlightDraft(exact="not alice's"))
    data = exported(user)
    by_id = {link["id"]: link for link in data["links"]}
    assert set(by_id) == {snap.link_id, plain.pk}
    assert by_id[plain.pk]["highlights"] == []
    (record,) = by_id[snap.link_id]["highlights"]
    assert record["exact"] == PASSAGE and record["note"] == "<b>thumb</b> rule"
    assert record["start"] == h.start and record["end"] == h.end
    assert record["prefix"] == h.prefix and record["suffix"] == h.suffix
    assert record["color"] == "yellow" and record["orphaned"] is False
    assert record["snapshot_id"] == snap.pk and record["anchored_id"] == snap.pk
    assert record["created"] and record["updated"]
    raw = b"".join(export_chunks(Selection(user), "json"))
    assert b"<b>" not in raw  # still escaped in the file


def test_the_markdown_download_ends_with_the_highlights(user, fixture_server):
    snap = capture(user, serve(fixture_server, V1))
    assert "## Highlights" not in markdown_of(snap)
    door.create_highlight(user, snap.link_id, draft_for(snap, note="soft <i>means</i> ripe"))
    door.create_highlight(user, snap.link_id, draft_for(snap, passage="Tomatoes want sun"))
    door.create_highlight(user, snap.link_id, door.HighlightDraft(exact="a passage elsewhere"))
    text = snapshot_artefact(snap, "markdown").data.decode()
    section = text[text.index("## Highlights") :]
    # in reading order, the passage not in this version left out
    assert section.index("> Tomatoes want sun") < section.index(f"> {PASSAGE}")
    assert "soft &lt;i&gt;means&lt;/i&gt; ripe" in section
    assert "a passage elsewhere" not in section

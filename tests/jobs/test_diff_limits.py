"""The version-to-version text diff of a commit runs within the parse limits: two texts
of thousands of repeated paragraphs (quadratic for the paragraph matcher) cost the
worker at most its CPU budget, and the new version is kept without counts."""

from __future__ import annotations

from snapshelf.jobs.capture import _changes_since
from snapshelf.library.models import Snapshot


def test_an_ordinary_diff_is_counted(settings):
    previous = Snapshot(pk=7, version=1, title="T", text="one\n\ntwo\n\nthree")
    changes = _changes_since(previous, "T", "one\n\n2\n\nthree\n\nfour")
    assert changes["from_version"] == 1 and changes["from_id"] == 7
    assert changes["added"] + changes["changed"] >= 1 and "too_complex" not in changes


def test_a_quadratic_diff_stops_at_the_cpu_limit(settings):
    settings.SNAPSHELF_CAPTURE = {**settings.SNAPSHELF_CAPTURE, "parse_cpu_seconds": 2}
    old = "\n\n".join(["same paragraph"] * 20000 + ["end a"])
    new = "\n\n".join(["same paragraph", "other"] * 10000 + ["end b"])
    previous = Snapshot(pk=8, version=3, title="T", text=old)
    changes = _changes_since(previous, "T", new)
    assert changes == {"from_version": 3, "from_id": 8, "too_complex": True}

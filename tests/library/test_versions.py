"""Versions without duplicates: a re-capture is kept only when the text changed (or when
forced); the fetch is recorded on the kept version; a kept version stores what changed."""

from __future__ import annotations

import pytest

from snapshelf.jobs.capture import Captured, run_capture
from snapshelf.library.models import Blob, Link, Snapshot
from snapshelf.library.records import add_link, new_snapshot
from tests.webserver import Reply

pytestmark = pytest.mark.django_db

PARAS = [
    "Docker volumes keep data outside the container, so it survives an upgrade.",
    "Windows containers need a host of a matching version to run at all.",
    "Named volumes are the right choice for databases and other stateful services.",
]


def html(title: str, paragraphs: list[str]) -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
        f"</head><body><article><h1>{title}</h1>{body}</article></body></html>"
    )


@pytest.fixture
def page(fixture_server):
    """A page whose title and paragraphs a test changes between captures."""
    state = {"title": "Docker on Windows", "paragraphs": list(PARAS)}
    fixture_server.route("/doc", lambda req: Reply.html(html(state["title"], state["paragraphs"])))
    state["url"] = fixture_server.url("/doc")
    return state


def recapture(link: Link, *, force: bool = False) -> Captured:
    return run_capture(new_snapshot(Link.objects.get(pk=link.pk), force=force).pk)


def test_first_capture_is_a_version_without_summary(page, user):
    link, snap = add_link(user, page["url"])
    captured = run_capture(snap.pk)
    first = captured.snapshot
    assert first.status == "done" and first.pk == snap.pk
    assert captured.unchanged is False and captured.discarded_id is None
    assert first.changes == {} and first.checks == 0


def test_changed_text_makes_v2_with_a_summary(page, user):
    link, snap = add_link(user, page["url"])
    first = run_capture(snap.pk).snapshot
    page["paragraphs"][1] = "Windows containers need a host build of a matching version to run."
    page["paragraphs"].append("A brand new paragraph about bind mounts appears at the end.")
    page["title"] = "Docker on Windows (2026)"
    captured = recapture(link)
    second = captured.snapshot
    assert second.status == "done" and second.version == 2 and second.pk != first.pk
    assert captured.unchanged is False
    assert second.changes == {
        "from_version": 1,
        "from_id": first.pk,
        "changed": 2,  # the heading (it repeats the title) and the second paragraph
        "added": 1,
        "removed": 0,
        "title_changed": True,
    }
    link.refresh_from_db()
    assert link.latest_snapshot_id == second.pk
    assert link.changed is None  # not watched: nothing to highlight


def test_identical_text_keeps_v1_and_records_the_check(page, user, fixture_server):
    link, snap = add_link(user, page["url"])
    first = run_capture(snap.pk).snapshot
    blobs = Blob.objects.count()
    again = new_snapshot(Link.objects.get(pk=link.pk))
    captured = run_capture(again.pk)
    result = captured.snapshot
    # the caller gets the kept version, told it found no change
    assert result.pk == first.pk and result.status == "done" and result.version == 1
    assert captured.unchanged is True and captured.discarded_id == again.pk
    assert not Snapshot.objects.filter(pk=again.pk).exists()
    assert list(link.snapshots.values_list("version", flat=True)) == [1]
    link.refresh_from_db()
    assert link.latest_snapshot_id == first.pk
    first.refresh_from_db()
    assert first.checks == 1 and first.last_checked is not None
    assert first.last_check_id == again.pk
    assert Blob.objects.count() == blobs  # nothing stored for the unchanged fetch
    assert fixture_server.paths().count("/doc") == 2  # it really was fetched again
    # a third identical fetch counts too, and the next version number is still 2
    recapture(link)
    first.refresh_from_db()
    assert first.checks == 2
    page["paragraphs"].pop()
    assert recapture(link).snapshot.version == 2


def test_whitespace_only_changes_are_no_change(page, user):
    link, snap = add_link(user, page["url"])
    run_capture(snap.pk)
    page["paragraphs"][0] = (
        "  Docker volumes keep   data outside the container, so it survives an upgrade."
    )
    assert recapture(link).unchanged is True


def test_forced_capture_keeps_a_new_version(page, user):
    link, snap = add_link(user, page["url"])
    first = run_capture(snap.pk).snapshot
    captured = recapture(link, force=True)
    forced = captured.snapshot
    assert forced.pk != first.pk and forced.version == 2 and forced.force
    assert captured.unchanged is False
    assert forced.changes["from_version"] == 1
    assert (forced.changes["changed"], forced.changes["added"], forced.changes["removed"]) == (
        0,
        0,
        0,
    )
    link.refresh_from_db()
    assert link.latest_snapshot_id == forced.pk


def test_add_link_force(page, user):
    link, snap = add_link(user, page["url"])
    run_capture(snap.pk)
    _link, again = add_link(user, page["url"], force=True)
    assert again.force and run_capture(again.pk).snapshot.version == 2


def test_unchanged_is_judged_against_the_latest_done_version(page, user):
    link, snap = add_link(user, page["url"])
    run_capture(snap.pk)
    page["paragraphs"].append("An added paragraph that makes version two.")
    second = recapture(link).snapshot
    page["paragraphs"].pop()  # back to v1's text: a change from v2, so a new version
    third = recapture(link).snapshot
    assert second.version == 2 and third.version == 3
    assert third.changes["removed"] == 1 and third.changes["from_version"] == 2


def test_failed_recapture_stays_a_failed_version(page, user, fixture_server):
    link, snap = add_link(user, page["url"])
    first = run_capture(snap.pk).snapshot
    fixture_server.route("/doc", lambda req: Reply(404, {"Content-Type": "text/plain"}, b"gone"))
    failed = recapture(link).snapshot
    assert failed.status == "failed" and failed.version == 2 and failed.pk != first.pk
    # the page comes back unchanged: compared with v1 (the last done), no new version
    fixture_server.route("/doc", lambda req: Reply.html(html(page["title"], page["paragraphs"])))
    back = recapture(link)
    assert back.unchanged is True and back.snapshot.pk == first.pk
    assert sorted(link.snapshots.values_list("version", "status")) == [
        (1, "done"),
        (2, "failed"),
    ]


def test_pages_without_text_compare_their_bytes(fixture_server, user):
    state = {"png": b"\x89PNG\r\n\x1a\n" + b"\x00" * 64}
    fixture_server.route(
        "/pic.png", lambda req: Reply(200, {"Content-Type": "image/png"}, state["png"])
    )
    link, snap = add_link(user, fixture_server.url("/pic.png"))
    first = run_capture(snap.pk).snapshot
    assert first.status == "done" and not first.text
    assert recapture(link).unchanged is True
    state["png"] = b"\x89PNG\r\n\x1a\n" + b"\x01" * 64
    second = recapture(link)
    assert second.unchanged is False and second.snapshot.version == 2


def test_bulk_resnapshot_is_not_forced(page, user, other_user, django_capture_on_commit_callbacks):
    from snapshelf.services import bulk

    link, snap = add_link(user, page["url"])
    first = run_capture(snap.pk).snapshot
    bobs, _ = add_link(other_user, page["url"])
    with django_capture_on_commit_callbacks():
        assert bulk.apply(user, [link.pk, bobs.pk], "resnapshot") == 1
    queued = Link.objects.get(pk=link.pk).latest_snapshot
    assert queued.version == 2 and not queued.force
    assert run_capture(queued.pk).snapshot.pk == first.pk  # same text: folded into v1
    assert Snapshot.objects.filter(link=bobs).count() == 1  # bob's link untouched

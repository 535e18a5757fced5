"""Watched links: the periodic job queues due links once, a capture keeps a new version
only when the text changed, and a changed link is highlighted until its owner looks."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from huey.contrib.djhuey import HUEY

from snapshelf.jobs.capture import run_capture
from snapshelf.jobs.tasks import check_watched_links
from snapshelf.library import watch
from snapshelf.library.models import Link, Snapshot
from snapshelf.library.records import add_link, new_snapshot
from snapshelf.search.index import search
from tests.library.test_versions import PARAS, html
from tests.webserver import Reply

pytestmark = pytest.mark.django_db


@pytest.fixture
def page(fixture_server):
    state = {"title": "Watched page", "paragraphs": list(PARAS)}
    fixture_server.route("/w", lambda req: Reply.html(html(state["title"], state["paragraphs"])))
    state["url"] = fixture_server.url("/w")
    return state


@pytest.fixture
def watched(page, user):
    """A captured link, watched daily, whose first check is due now."""
    link, snap = add_link(user, page["url"])
    run_capture(snap.pk)
    link = watch.set_watch(Link.objects.get(pk=link.pk), 24)
    Link.objects.filter(pk=link.pk).update(next_check=timezone.now() - timedelta(minutes=1))
    return Link.objects.get(pk=link.pk)


@pytest.mark.parametrize(
    ("text", "hours"),
    [("daily", 24), ("weekly", 168), ("12h", 12), ("1h", 1), ("36", 36), ("off", 0), ("OFF", 0)],
)
def test_parse_every(text, hours):
    assert watch.parse_every(text) == hours


@pytest.mark.parametrize("text", ["hourly", "-3h", "1.5h", "99999h", ""])
def test_parse_every_refuses_nonsense(text):
    with pytest.raises(ValueError):
        watch.parse_every(text)


def test_first_check_is_one_interval_after_the_last_capture(page, user):
    link, snap = add_link(user, page["url"])
    run_capture(snap.pk)
    finished = Snapshot.objects.get(pk=snap.pk).finished
    link = watch.set_watch(Link.objects.get(pk=link.pk), 168)
    assert link.watch_hours == 168 and link.next_check == finished + timedelta(hours=168)
    # captured long ago: due at once
    Snapshot.objects.filter(pk=snap.pk).update(finished=finished - timedelta(days=30))
    now = timezone.now()
    assert watch.set_watch(link, 24, now=now).next_check == now
    link = watch.set_watch(link, 0)
    assert Link.objects.get(pk=link.pk).next_check is None and link.watch_hours == 0


def test_due_link_is_queued_once_and_moves_forward(watched, user, page):
    now = timezone.now()
    queued = watch.queue_due(now=now)
    assert len(queued) == 1
    snap = Snapshot.objects.get(pk=queued[0])
    assert snap.link_id == watched.pk and snap.status == "queued" and not snap.force
    watched.refresh_from_db()
    assert watched.next_check == now + timedelta(hours=24)
    # a second worker running at the same moment finds nothing left to claim
    assert watch.queue_due(now=now) == []


def test_a_link_with_a_capture_in_progress_is_not_queued_again(watched):
    live = new_snapshot(watched)
    now = timezone.now()
    assert watch.queue_due(now=now) == []
    assert list(watched.snapshots.filter(status="queued").values_list("pk", flat=True)) == [live.pk]
    watched.refresh_from_db()
    assert watched.next_check == now + timedelta(hours=24)  # this check is served by `live`


def test_not_due_and_unwatched_links_are_untouched(watched, user, other_user, fixture_server):
    future = timezone.now() + timedelta(hours=3)
    Link.objects.filter(pk=watched.pk).update(next_check=future)
    unwatched, _ = add_link(other_user, fixture_server.url("/w"))
    Link.objects.filter(pk=unwatched.pk).update(next_check=timezone.now() - timedelta(days=1))
    counts = {pk: Snapshot.objects.filter(link_id=pk).count() for pk in (watched.pk, unwatched.pk)}
    assert watch.queue_due() == []
    assert {
        pk: Snapshot.objects.filter(link_id=pk).count() for pk in (watched.pk, unwatched.pk)
    } == counts
    watched.refresh_from_db()
    assert watched.next_check == future


def test_unchanged_check_adds_no_version_and_no_highlight(watched):
    (queued,) = watch.queue_due()
    captured = run_capture(queued)
    kept = captured.snapshot
    assert captured.unchanged is True and kept.version == 1 and kept.checks == 1
    watched.refresh_from_db()
    assert watched.changed is None
    assert list(watched.snapshots.values_list("version", flat=True)) == [1]


def test_changed_check_adds_a_version_and_highlights_until_seen(watched, page):
    page["paragraphs"][2] = "Bind mounts are the right choice for configuration files instead."
    (queued,) = watch.queue_due()
    second = run_capture(queued).snapshot
    assert second.version == 2 and second.changes["changed"] == 1
    watched.refresh_from_db()
    assert watched.changed is not None and watched.latest_snapshot_id == second.pk
    assert watch.clear_changed(watched) is True
    assert Link.objects.get(pk=watched.pk).changed is None


def test_changed_links_are_a_library_filter_and_a_search_filter(watched, page, user, client):
    other, snap = add_link(user, "https://example.org/unwatched")
    page["paragraphs"][2] = "Bind mounts are the right choice for configuration files instead."
    (queued,) = watch.queue_due()
    run_capture(queued)
    client.force_login(user)
    listed = client.get("/?is=changed").content.decode()
    assert f'id="link-{watched.pk}"' in listed and f'id="link-{other.pk}"' not in listed
    assert f'id="link-{other.pk}"' in client.get("/").content.decode()
    found = search(user, "is:changed").hits
    assert [h.link_id for h in found] == [watched.pk]
    watch.clear_changed(Link.objects.get(pk=watched.pk))
    assert search(user, "is:changed").hits == []


def test_periodic_task_queues_and_captures_through_the_queue(
    watched, page, django_capture_on_commit_callbacks
):
    """The Huey task, run as the scheduler runs it, with the queue in immediate mode."""
    page["title"] = "Watched page, revised"
    HUEY.immediate = True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            assert check_watched_links.call_local() == 1
    finally:
        HUEY.immediate = False
    watched.refresh_from_db()
    latest = watched.latest_snapshot
    assert latest.version == 2 and latest.status == "done"
    assert latest.changes["title_changed"] is True
    assert watched.changed is not None

"""The service door, called directly (no HTTP): ownership, quota and queueing rules hold
whichever way in calls it."""

from __future__ import annotations

import pytest
from huey.contrib.djhuey import HUEY

from snapshelf.errors import InvalidURL
from snapshelf.library.models import Link, Snapshot, Tag
from snapshelf.services import bulk, quota
from snapshelf.services import links as door
from snapshelf.services import tags as tag_service

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_per_hour(settings):
    settings.SNAPSHELF_USER_CAPTURES_PER_HOUR = 2


class Queue:
    """The real (SQLite) task queue of this test process; no worker runs here."""

    def captures(self) -> list[int]:
        return [task.args[0] for task in HUEY.pending() if task.name.endswith("capture_snapshot")]


@pytest.fixture
def queued():
    HUEY.flush()
    yield Queue()
    HUEY.flush()


def test_save_link_queues_the_capture_only_once_committed(
    user, queued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        saved = door.save_link(user, "https://example.org/a?utm_source=x", tags=["dev", "Dev"])
        assert queued.captures() == []  # nothing reaches the queue inside the transaction
    for callback in callbacks:
        callback()
    assert queued.captures() == [saved.snapshot.pk]
    assert saved.snapshot.status == Snapshot.Status.QUEUED and saved.captured is None
    assert saved.link.url_normalized == "https://example.org/a"
    assert list(saved.link.tags.values_list("name", flat=True)) == ["dev"]


def test_saving_again_adds_a_version_of_the_same_link(user, queued):
    first = door.save_link(user, "https://example.org/a", title="Given title")
    # captured meanwhile (while it is queued, a save joins it: tests/jobs/test_one_capture_*)
    Snapshot.objects.filter(pk=first.snapshot.pk).update(status=Snapshot.Status.DONE)
    again = door.save_link(user, "https://example.org/a#part", title="Another title")
    assert again.link.pk == first.link.pk and again.snapshot.version == 2
    assert Link.objects.get(pk=first.link.pk).title == "Given title"  # only fills an empty one


def test_the_quota_refuses_before_anything_is_written(user, other_user, two_per_hour, queued):
    door.save_link(user, "https://example.org/1")
    door.save_link(user, "https://example.org/2")
    with pytest.raises(quota.QuotaExceeded) as refused:
        door.save_link(user, "https://example.org/3")
    assert "most captures allowed in an hour (2)" in refused.value.message
    assert not Link.objects.filter(url="https://example.org/3").exists()
    # the operator's door is not limited; other users have their own allowance
    assert door.save_link(user, "https://example.org/3", limited=False).snapshot.version == 1
    assert door.save_link(other_user, "https://example.org/3").link.owner == other_user


def test_saving_a_link_whose_capture_is_queued_joins_it_and_costs_no_quota(
    user, two_per_hour, queued
):
    first = door.save_link(user, "https://example.org/a")
    for _ in range(3):  # the same capture, joined: not three more
        assert door.save_link(user, "https://example.org/a").snapshot.pk == first.snapshot.pk
        assert door.snapshot_again(user, first.link).pk == first.snapshot.pk
    assert quota.remaining(user.pk) == 1
    door.save_link(user, "https://example.org/b")
    with pytest.raises(quota.QuotaExceeded):
        door.save_link(user, "https://example.org/c")
    assert not Link.objects.filter(url="https://example.org/c").exists()


def test_an_invalid_url_costs_no_quota(user, two_per_hour, queued):
    for _ in range(3):
        with pytest.raises(InvalidURL):
            door.save_link(user, "ftp://example.org/file")
    assert quota.remaining(user.pk) == 2
    assert not Link.objects.exists()


def test_bulk_resnapshot_takes_the_quota_all_or_none(
    user, two_per_hour, queued, django_capture_on_commit_callbacks
):
    ids = [
        door.save_link(user, f"https://example.org/{n}", limited=False).link.pk for n in (1, 2, 3)
    ]
    with pytest.raises(quota.QuotaExceeded):
        bulk.apply(user, ids, "resnapshot")
    assert Snapshot.objects.filter(version=2).count() == 0
    assert queued.captures() == []
    with django_capture_on_commit_callbacks(execute=True):
        assert bulk.apply(user, ids[:2], "resnapshot") == 2
    second = list(Snapshot.objects.filter(version=2).values_list("pk", flat=True))
    assert len(second) == 2 and sorted(queued.captures()) == sorted(second)


def test_someone_elses_link_is_not_found_for_every_verb(user, other_user, queued):
    theirs = door.save_link(other_user, "https://example.org/bob").link
    before = list(Link.objects.values())
    with pytest.raises(Link.DoesNotExist):
        door.get_link(user, theirs.pk)
    for verb in (
        lambda: door.snapshot_again(user, theirs),
        lambda: door.edit_link(user, theirs, door.LinkChanges(title="mine now")),
        lambda: door.add_tags(user, theirs, ["x"]),
        lambda: door.set_unread(user, theirs, False),
        lambda: door.mark_seen(user, theirs),
        lambda: door.set_watch(user, theirs, 24),
        lambda: door.delete_link(user, theirs),
    ):
        with pytest.raises(Link.DoesNotExist):
            verb()
    with pytest.raises(Snapshot.DoesNotExist):
        door.delete_version(user, theirs.latest_snapshot_id)
    assert list(Link.objects.values()) == before
    assert Snapshot.objects.filter(link=theirs).count() == 1
    with pytest.raises(Tag.DoesNotExist):
        tag_service.delete_tag(user, Tag.objects.create(owner=other_user, name="bobs"))
    assert Tag.objects.filter(name="bobs").exists()


def test_edit_link_changes_only_what_it_is_given(user, queued):
    link = door.save_link(user, "https://example.org/a", tags=["old"]).link
    door.edit_link(user, link, door.LinkChanges(note="a *note*", tags=["new", "Two"]))
    link = Link.objects.get(pk=link.pk)
    assert link.note == "a *note*" and link.unread and link.capture_mode == "auto"
    assert set(link.tags.values_list("name", flat=True)) == {"new", "Two"}
    door.edit_link(user, link, door.LinkChanges(unread=False, visibility="public"))
    link = Link.objects.get(pk=link.pk)
    assert (link.unread, link.visibility, link.note) == (False, "public", "a *note*")


def test_save_page_keeps_the_sent_html_as_the_document(user, queued):
    saved = door.save_page(user, "https://example.org/private", b"<p>as I see it</p>", title="Mine")
    assert saved.snapshot.mode == Snapshot.Mode.UPLOAD and saved.snapshot.original_blob_id
    assert saved.link.title == "Mine"

"""The worker heartbeat (jobs.heartbeat) and waiting for a worker's capture (jobs.waiting).

The real worker is in tests/test_cli_add_wait.py; here the hooks are called as Huey's
worker calls them, and the waiting caller's fallbacks are checked one by one."""

from __future__ import annotations

import threading
import time

import pytest
from huey.contrib.djhuey import HUEY

from snapshelf.jobs import heartbeat, waiting
from snapshelf.jobs.capture import run_capture
from snapshelf.library.models import Snapshot
from snapshelf.library.records import add_link
from tests.webserver import Reply

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user("alice", "", "alice-password-123")


@pytest.fixture(autouse=True)
def clean_queue(settings, tmp_path):
    settings.SNAPSHELF_BLOB_DIR = tmp_path / "blobs"
    HUEY.flush()
    yield
    HUEY.flush()


@pytest.fixture
def page(fixture_server):
    fixture_server.route("/p", lambda req: Reply.html("<title>P</title><p>Some text.</p>"))
    return fixture_server.url("/p")


def test_a_worker_beats_from_its_first_start_until_its_last_stop():
    assert not heartbeat.worker_alive()
    heartbeat.started()
    heartbeat.started()  # a second worker thread of the same process
    try:
        assert heartbeat.worker_alive()
        assert heartbeat.seconds_since_beat() < heartbeat.STALE_AFTER
        heartbeat.stopped()
        assert heartbeat.worker_alive()  # one is still running
    finally:
        heartbeat.stopped()
    assert heartbeat.last_beat() is None and not heartbeat.worker_alive()


def test_an_old_beat_is_no_worker():
    HUEY.put(heartbeat.KEY, {"at": time.time() - heartbeat.STALE_AFTER - 1, "by": "gone:1"})
    assert not heartbeat.worker_alive()


def test_a_stopping_worker_leaves_another_ones_beat():
    heartbeat.started()
    HUEY.put(heartbeat.KEY, {"at": time.time(), "by": "elsewhere:7"})
    heartbeat.stopped()
    assert heartbeat.last_beat()["by"] == "elsewhere:7"


def test_waiting_ends_when_the_worker_finishes(user, page):
    _link, snap = add_link(user, page)
    HUEY.put(heartbeat.KEY, {"at": time.time(), "by": "worker:1"})
    seen = []
    worker = threading.Timer(0.3, run_capture, args=(snap.pk,))
    worker.start()
    captured, by = waiting.wait_for_capture(snap, 30, lambda s, _w: seen.append(s.status))
    worker.join()
    assert by == "worker" and captured.snapshot.status == "done"
    assert seen[0] == "queued" and seen[-1] == "done"


def test_waiting_finds_the_kept_version_when_nothing_changed(user, page):
    _link, first = add_link(user, page)
    run_capture(first.pk)
    _link, again = add_link(user, page)
    HUEY.put(heartbeat.KEY, {"at": time.time(), "by": "worker:1"})
    run_capture(again.pk)  # the worker folds it into the first version
    captured, by = waiting.wait_for_capture(again, 30)
    assert captured.unchanged and captured.snapshot.pk == first.pk
    assert captured.discarded_id == again.pk and by == "worker"


def test_a_queued_capture_is_taken_over_when_the_workers_stop_beating(user, page):
    _link, snap = add_link(user, page)
    captured, by = waiting.wait_for_capture(snap, 30)
    assert by == "in-process" and captured.snapshot.status == "done"


def test_waiting_gives_up_after_the_timeout(user, page):
    _link, snap = add_link(user, page)
    HUEY.put(heartbeat.KEY, {"at": time.time(), "by": "worker:1"})
    captured, _by = waiting.wait_for_capture(snap, 0.2)
    assert captured.snapshot.status == Snapshot.Status.QUEUED

"""The door's `wait`: through a worker when one beats (jobs.heartbeat), else here."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import transaction
from huey.contrib.djhuey import HUEY

from snapshelf.jobs import heartbeat
from snapshelf.services.links import Wait, save_link
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


def one_task_worker() -> threading.Thread:
    """A stand-in worker: beats, takes one task off the real queue and runs it."""

    def work() -> None:
        end = time.monotonic() + 30
        while (task := HUEY.dequeue()) is None and time.monotonic() < end:
            time.sleep(0.02)
        if task is not None:
            HUEY.execute(task)

    HUEY.put(heartbeat.KEY, {"at": time.time(), "by": "test-worker:1"})
    thread = threading.Thread(target=work)
    thread.start()
    return thread


def test_waiting_goes_through_the_worker_when_one_beats(user, page):
    worker = one_task_worker()
    statuses = []
    saved = save_link(
        user, page, limited=False, wait=Wait(30, lambda s, _w: statuses.append(s.status))
    )
    worker.join()
    assert saved.captured_by == "worker"
    assert saved.snapshot.status == "done" and statuses[-1] == "done"


def test_waiting_with_no_worker_captures_here(user, page):
    saved = save_link(user, page, limited=False, wait=True)
    assert saved.captured_by == "in-process" and saved.snapshot.status == "done"
    assert HUEY.pending_count() == 0  # nothing was queued


def test_waiting_inside_a_transaction_captures_here(user, page):
    # The queue would not see the task before the commit: waiting for it would hang.
    HUEY.put(heartbeat.KEY, {"at": time.time(), "by": "test-worker:1"})
    with transaction.atomic():
        saved = save_link(user, page, limited=False, wait=True)
    assert saved.captured_by == "in-process" and saved.snapshot.status == "done"


def test_not_waiting_only_queues(user, page):
    saved = save_link(user, page, limited=False)
    assert saved.captured_by == "" and saved.snapshot.status == "queued"
    assert HUEY.pending_count() == 1

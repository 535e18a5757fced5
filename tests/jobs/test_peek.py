"""jobs.peek reads the embedded queue's file without Huey: the same numbers as Huey's.

If a Huey upgrade renames its tables or changes how it stores values, these fail, and
`snapshelf status` would otherwise show zeros for a busy queue."""

from __future__ import annotations

import time

import pytest
from huey.contrib.djhuey import HUEY

from snapshelf.jobs import heartbeat, peek

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def clean_queue():
    HUEY.flush()
    yield
    HUEY.flush()


@HUEY.task()
def _noop(n: int) -> int:
    return n


def test_the_numbers_are_hueys_own():
    for n in range(3):
        _noop(n)
    HUEY.add_schedule(_noop.s(9))  # where the consumer puts a task that is not due yet
    HUEY.put(heartbeat.KEY, {"at": time.time() - 7, "by": "host:1"})

    numbers = peek.queue_numbers()

    assert numbers["pending_tasks"] == HUEY.pending_count() == 3
    assert numbers["scheduled_tasks"] == HUEY.scheduled_count() == 1
    assert 7 <= numbers["worker_heartbeat_age_s"] < 7 + 5
    assert heartbeat.seconds_since_beat() == pytest.approx(numbers["worker_heartbeat_age_s"], abs=5)


def test_an_empty_queue_has_no_worker():
    assert peek.queue_numbers() == {
        "pending_tasks": 0,
        "scheduled_tasks": 0,
        "worker_heartbeat_age_s": None,
    }


def test_no_queue_file_yet_is_an_empty_queue(settings, tmp_path):
    settings.HUEY = {**settings.HUEY, "filename": str(tmp_path / "never-created.sqlite3")}
    assert peek.queue_numbers()["pending_tasks"] == 0
    assert not (tmp_path / "never-created.sqlite3").exists()  # read-only: not created

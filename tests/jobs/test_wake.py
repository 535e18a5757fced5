"""Wake-ups instead of timers (jobs.wake, jobs.queue): a queued task wakes an idle worker
of the SQLite queue, and a capture's end wakes whoever waits for it, on the SQLite
queue (named pipes) and on Redis (a list the waiter blocks on).

No timing here: every wait is long (a minute), and each test asserts that the wait was
*rung* (a `True` from the wait, a task handed over by a wait that only looks again
when rung), which no timer can produce.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import pytest
import redis
from huey import PriorityRedisHuey

from snapshelf.jobs import queue, wake

LONG = 60.0


def ring_from_another_process(code: str) -> None:
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_a_bell_is_rung_from_another_process(tmp_path):
    bell = wake.Bell(tmp_path / "wake" / "bell")
    assert bell.wait(0) is False  # nothing rang yet
    ring_from_another_process(
        "from pathlib import Path; from snapshelf.jobs.wake import ring; "
        f"ring(Path({str(bell.path)!r}))"
    )
    assert bell.wait(LONG) is True
    assert bell.wait(0) is False  # the ring was taken


def test_ringing_with_nobody_waiting_does_nothing(tmp_path):
    wake.ring(tmp_path / "absent")  # no pipe: no error, no file
    assert not (tmp_path / "absent").exists()
    regular = tmp_path / "file"
    regular.write_bytes(b"")
    wake.ring(regular)  # not a pipe: left alone
    assert regular.read_bytes() == b""
    assert wake.Bell(regular).wait(0) is False


def test_an_idle_worker_takes_a_new_task_when_it_is_rung(tmp_path):
    """The worker's dequeue only looks again when rung (or after read_timeout, a minute
    here): it hands over a task queued by another process while it waited."""
    filename = str(tmp_path / "queue.sqlite3")
    storage = queue.WakingSqliteStorage("test", filename=filename, read_timeout=LONG)
    assert storage.blocking
    got = []
    waiter = threading.Thread(target=lambda: got.append(storage.dequeue()))
    waiter.start()
    while storage.bell._fd is None and waiter.is_alive():  # it found nothing and waits
        time.sleep(0.01)
    ring_from_another_process(
        "from snapshelf.jobs.queue import WakingSqliteStorage; "
        f"WakingSqliteStorage('test', filename={filename!r}).enqueue(b'task-1')"
    )
    waiter.join(LONG * 2)
    assert got == [b"task-1"]


@pytest.mark.django_db
def test_a_waiter_hears_the_end_of_its_capture_on_the_sqlite_queue():
    with wake.listening_for_end(41) as wait:
        assert wait(0) is False
        wake.capture_ended(42)  # another snapshot's end is not ours
        assert wait(0) is False
        wake.capture_ended(41)
        assert wait(LONG) is True


@pytest.mark.django_db
def test_two_waiters_for_one_capture_both_hear_its_end():
    heard = []

    def second() -> None:
        with wake.listening_for_end(7) as wait:
            ready.set()
            heard.append(wait(LONG))

    ready = threading.Event()
    with wake.listening_for_end(7) as wait:
        other = threading.Thread(target=second)
        other.start()
        ready.wait(LONG)
        wake.capture_ended(7)
        assert wait(LONG) is True
        other.join(LONG * 2)
    assert heard == [True]


def test_a_waiter_hears_the_end_of_its_capture_on_redis(monkeypatch):
    huey = PriorityRedisHuey("snapshelf-wake-test", url="redis://127.0.0.1:6379/14")
    redis.Redis.from_url("redis://127.0.0.1:6379/14").flushdb()
    monkeypatch.setattr(wake, "_storage", lambda: huey.storage)
    with wake.listening_for_end(5) as wait:
        assert wait(0.01) is False
        wake.capture_ended(5)
        assert wait(LONG) is True

"""Wake-ups instead of timers: a queued capture wakes an idle worker, and a capture's end
wakes whoever waits for it (`snapshelf add --wait`, the web's live status).

Without them an idle Huey worker looks at its queue less and less often (up to 10 s
apart) and a waiter looks at the snapshot row on its own clock, and both delays add to
every capture someone is waiting for.

- SQLite queue (every process on one machine, by construction): named pipes (FIFOs)
  in `wake/` beside the queue file. `queue` is the bell idle workers wait on
  (`jobs.queue` rings it after each enqueue); `ended-<snapshot id>-<waiter>` is made by a waiter
  for the time it waits, and the worker rings it when that capture ends.
- Redis queue (workers on many machines): workers already block on the queue itself
  (Huey's blocking pop), so queueing wakes them; a capture's end is pushed on a
  short-lived list the waiter blocks on (BLPOP), from whichever machine ran it.

A lost wake-up costs only time, never a capture: workers and waiters also look again
after a short timeout. Where a FIFO cannot be made (a file system without them), the
SQLite side falls back to those timeouts.
"""

from __future__ import annotations

import contextlib
import os
import select
import stat
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

#: seconds a Redis list announcing a capture's end outlives it (nobody may be waiting)
ENDED_TTL = 300
_ENDED_KEY = "snapshelf.capture-ended.{}"


class Bell:
    """A FIFO that any process of this machine rings to wake the processes waiting on it.

    Waiters open it read-write (so it never reads as closed when the last ringer goes);
    a ring is one byte written without blocking: with nobody waiting the open fails,
    with the pipe full enough wake-ups are pending already. Each process opens its own
    descriptor on first wait (a forked worker gets its own)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None
        self._pid = 0
        self._lock = threading.Lock()

    def _listen(self) -> int | None:
        with self._lock:
            if self._fd is not None and self._pid == os.getpid():
                return self._fd
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                with contextlib.suppress(FileExistsError):
                    os.mkfifo(self.path, 0o600)
                if not stat.S_ISFIFO(os.stat(self.path).st_mode):
                    return None  # something else sits there: wait on timers only
                self._fd = os.open(self.path, os.O_RDWR | os.O_NONBLOCK)
            except OSError:
                return None
            self._pid = os.getpid()
            return self._fd

    def wait(self, timeout: float) -> bool:
        """Wait until rung (True) or `timeout` seconds passed (False)."""
        fd = self._listen()
        if fd is None:
            time.sleep(timeout)
            return False
        ready, _, _ = select.select([fd], [], [], max(0.0, timeout))
        if not ready:
            return False
        with contextlib.suppress(BlockingIOError, InterruptedError):
            os.read(fd, 4096)  # every pending ring: the woken look at the state anyway
        return True

    def ring(self) -> None:
        ring(self.path)

    def close(self) -> None:
        with self._lock:
            if self._fd is not None and self._pid == os.getpid():
                os.close(self._fd)
            self._fd = None


def ring(path: Path) -> None:
    """Wake whoever waits on the FIFO at `path`; nothing when nobody does."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
    except OSError:  # no such pipe, or no reader: nobody to wake
        return
    try:
        if stat.S_ISFIFO(os.fstat(fd).st_mode):
            os.write(fd, b"\0")
    except OSError:  # full: wake-ups are pending already
        pass
    finally:
        os.close(fd)


def wake_dir(queue_file: str | os.PathLike) -> Path:
    """Where the SQLite queue's pipes live: beside its file."""
    return Path(queue_file).parent / "wake"


def _storage():
    from huey.contrib.djhuey import HUEY

    return HUEY.storage


def _redis(storage):
    """The Redis client of a Redis-backed queue, None for the SQLite one."""
    from huey.storage import RedisStorage

    return storage.conn if isinstance(storage, RedisStorage) else None


def capture_ended(snapshot_id: int) -> None:
    """Tell whoever waits for this snapshot that its capture run ended (done, failed or
    put back for a retry); called by the worker after the result committed."""
    storage = _storage()
    conn = _redis(storage)
    if conn is not None:
        key = _ENDED_KEY.format(snapshot_id)
        with contextlib.suppress(Exception):  # a waiter still looks again on its own
            conn.pipeline().lpush(key, 1).expire(key, ENDED_TTL).execute()
        return
    filename = getattr(storage, "filename", None)
    if not filename:
        return
    prefix = f"ended-{snapshot_id}-"
    with contextlib.suppress(OSError):  # no wake directory: nobody ever waited
        for entry in os.scandir(wake_dir(filename)):
            if entry.name.startswith(prefix):
                ring(Path(entry.path))


@contextlib.contextmanager
def listening_for_end(snapshot_id: int) -> Iterator[Callable]:
    """While inside, `wait(timeout)` returns early (True) once the capture of this snapshot
    ends. Enter it before reading the snapshot's state: an end that comes after the
    read then always wakes the wait."""
    storage = _storage()
    conn = _redis(storage)
    if conn is not None:
        key = _ENDED_KEY.format(snapshot_id)

        def wait_redis(timeout: float) -> bool:
            try:
                return conn.blpop([key], timeout=max(timeout, 0.01)) is not None
            except Exception:  # noqa: BLE001  (Redis hiccup: fall back on the timer)
                time.sleep(timeout)
                return False

        yield wait_redis
        return
    filename = getattr(storage, "filename", None)
    if not filename:  # an in-memory queue (tests' immediate mode): timers only

        def sleep(timeout: float) -> bool:
            time.sleep(timeout)
            return False

        yield sleep
        return
    # a pipe per waiter (the CLI and a web page may wait for the same capture)
    me = f"{os.getpid()}-{threading.get_ident()}"
    bell = Bell(wake_dir(filename) / f"ended-{snapshot_id}-{me}")
    bell._listen()  # the pipe exists from now on, so the worker's ring finds it
    try:
        yield bell.wait
    finally:
        bell.close()
        with contextlib.suppress(OSError):
            bell.path.unlink()

"""Whether a worker is taking captures (waiting for one to finish: jobs.waiting).

`snapshelf add --wait` should go through a worker when one runs (that is the path users
and the benchmarks care about) and capture in its own process only when none does. The
queue itself cannot say whether anyone consumes it, so every worker process writes a
heartbeat, a timestamp, into the queue's own key-value store every few seconds: where
the queue lives (SQLite in the data directory, or Redis shared by many machines), so
whoever can queue a capture can also see whether a worker would take it.

The heartbeat is one key, last writer wins: the question is "is any worker alive", not
which one. Times are wall-clock seconds, so on several machines their clocks must
roughly agree (well within `STALE_AFTER`).
"""

from __future__ import annotations

import os
import socket
import threading
import time

from huey.contrib.djhuey import HUEY

from snapshelf.jobs.peek import HEARTBEAT_KEY as KEY

#: seconds between two beats of a worker process
INTERVAL = 5.0
#: a beat older than this means no worker (a few missed beats: a busy machine is not dead)
STALE_AFTER = 20.0

_lock = threading.Lock()
_running = 0  # worker threads of this process that started and did not stop yet
_stop: threading.Event | None = None
_me = f"{socket.gethostname()}:{os.getpid()}"


def beat() -> None:
    HUEY.put(KEY, {"at": time.time(), "by": _me})


def last_beat() -> dict | None:
    """The newest beat of any worker ({"at": epoch seconds, "by": "host:pid"}), or None."""
    try:
        return HUEY.get(KEY, peek=True)
    except Exception:  # noqa: BLE001  (an unreachable queue has no worker we could use)
        return None


def seconds_since_beat() -> float | None:
    last = last_beat()
    return None if last is None else max(0.0, time.time() - last["at"])


def worker_alive() -> bool:
    age = seconds_since_beat()
    return age is not None and age < STALE_AFTER


def started() -> None:
    """A worker (thread or process) of this process started: beat until the last stops."""
    global _running, _stop, _me
    with _lock:
        _running += 1
        if _stop is not None:
            return
        _me = f"{socket.gethostname()}:{os.getpid()}"  # a forked worker has its own pid
        _stop = stop = threading.Event()
    beat()
    threading.Thread(target=_beat_until, args=(stop,), name="heartbeat", daemon=True).start()


def stopped() -> None:
    """A worker of this process stopped; the last one takes the beat away (if it is ours),
    so `add --wait` stops counting on a worker at once rather than after STALE_AFTER."""
    global _running, _stop
    with _lock:
        _running = max(0, _running - 1)
        if _running or _stop is None:
            return
        _stop.set()
        _stop = None
    last = last_beat()
    if last is not None and last.get("by") == _me:
        HUEY.delete(KEY)


def _beat_until(stop: threading.Event) -> None:
    while not stop.wait(INTERVAL):
        try:
            beat()
        except Exception:  # noqa: BLE001, S112  (a queue hiccup: the next beat may get through)
            continue

"""Whether a worker is taking captures, and waiting for one to finish a snapshot.

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
from collections.abc import Callable

from huey.contrib.djhuey import HUEY

from snapshelf.jobs.capture import Captured, run_capture
from snapshelf.library.models import Snapshot

KEY = "snapshelf.worker-heartbeat"
#: seconds between two beats of a worker process
INTERVAL = 5.0
#: a beat older than this means no worker (a few missed beats: a busy machine is not dead)
STALE_AFTER = 20.0
#: seconds between two looks at the snapshot while waiting for a worker: short at first
#: (a static capture takes a tenth of a second), longer as the wait grows
POLL_FIRST, POLL_MAX = 0.01, 0.25

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


def wait_for_capture(
    snapshot: Snapshot,
    timeout: float,
    on_status: Callable[[Snapshot, float], None] | None = None,
) -> tuple[Captured, str]:
    """Wait for a worker to finish the queued `snapshot`, for at most `timeout` seconds.

    Returns how it ended, like `run_capture` (the snapshot, still `queued` or `running`
    when the time ran out, or the kept earlier version when the text had not changed),
    and who captured it: "worker", or "in-process" when the workers stopped beating
    while the snapshot was still queued and it was captured here instead (the claim in
    run_capture makes sure only one of us does it). `on_status` hears the snapshot and
    the seconds waited at every look."""
    start = time.monotonic()
    poll = POLL_FIRST
    while True:
        snap = Snapshot.objects.select_related("link").filter(pk=snapshot.pk).first()
        if snap is None:  # the worker folded it into the unchanged earlier version
            kept = Snapshot.objects.select_related("link").filter(last_check_id=snapshot.pk)
            if (kept_snap := kept.first()) is not None:
                return Captured(kept_snap, unchanged=True, discarded_id=snapshot.pk), "worker"
            raise Snapshot.DoesNotExist(f"snapshot {snapshot.pk} was deleted")
        waited = time.monotonic() - start
        if on_status is not None:
            on_status(snap, waited)
        if snap.status in (Snapshot.Status.DONE, Snapshot.Status.FAILED) or waited >= timeout:
            return Captured(snap), "worker"
        if snap.status == Snapshot.Status.QUEUED and snap.attempts == 0 and not worker_alive():
            return run_capture(snap.pk, retry=False), "in-process"
        time.sleep(poll)
        poll = min(POLL_MAX, poll * 1.5)

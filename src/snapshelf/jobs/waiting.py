"""Waiting for a worker to finish a snapshot (`snapshelf add --wait`, the door's `wait`).

The wait ends when the worker says the capture ended (jobs.wake), not on a timer; the
snapshot row stays the truth, read at every wake-up and every LOOK_AGAIN seconds
without one (a lost wake-up, or a worker that died: then the capture runs here).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from snapshelf.jobs import heartbeat, wake
from snapshelf.jobs.outcome import Captured
from snapshelf.library.models import Snapshot

#: seconds between two looks at the snapshot when no wake-up comes
LOOK_AGAIN = 1.0


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
    with wake.listening_for_end(snapshot.pk) as wait:
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
            if (
                snap.status == Snapshot.Status.QUEUED
                and snap.attempts == 0
                and not heartbeat.worker_alive()
            ):
                from snapshelf.jobs.capture import run_capture

                return run_capture(snap.pk, retry=False), "in-process"
            wait(min(LOOK_AGAIN, max(0.0, timeout - waited)))

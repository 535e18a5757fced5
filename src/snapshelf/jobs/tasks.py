"""Huey tasks: captures (at most N per destination host at once, retried with backoff on
transient failures), and the periodic jobs: recovery of captures whose worker died,
re-capture of watched links, the orphan-blob sweep and the related-articles topic model.

A capture reaches the queue through `enqueue_capture` only: the service door calls it
for every user's change, and the jobs here for their own re-deliveries (retries, expired
leases, watched links)."""

from __future__ import annotations

import contextlib
import ctypes
from collections.abc import Iterable
from datetime import datetime

from django.db import connections, transaction
from huey import crontab
from huey.contrib.djhuey import HUEY, db_periodic_task, db_task

from snapshelf.jobs import heartbeat, hosts, wake
from snapshelf.library import housekeeping, watch
from snapshelf.library.models import Snapshot


@HUEY.on_shutdown()
def close_connections() -> None:
    """A stopping worker leaves no database session behind (PostgreSQL counts them)."""
    connections.close_all()


# Each worker beats while it runs: `add --wait` asks whether one will take its capture.
HUEY.on_startup("heartbeat")(heartbeat.started)
HUEY.on_shutdown("heartbeat")(heartbeat.stopped)


#: Huey runs higher priorities first: what a person asks for now (priority 0) before
#: background captures (an import's links, watched links' checks).
BACKGROUND_PRIORITY = -10


def _priority(background: bool) -> int | None:
    return BACKGROUND_PRIORITY if background else None


@db_task(context=False)
def capture_snapshot(snapshot_id: int, background: bool = False) -> str:
    url = (
        Snapshot.objects.filter(pk=snapshot_id, status=Snapshot.Status.QUEUED)
        .values_list("link__url_normalized", flat=True)
        .first()
    )
    if url is None:  # done, running elsewhere, or deleted: nothing to do
        return "skipped"
    host = hosts.host_of(url)
    if not hosts.acquire(host, snapshot_id):  # the host is busy: try again shortly
        capture_snapshot.schedule(
            (snapshot_id, background), delay=hosts.wait_seconds(), priority=_priority(background)
        )
        return "waiting"
    # imported here: whoever queues a capture (a command, a web request) does not load
    # the capture stack; a worker loads it with its first capture
    from snapshelf.jobs.capture import run_capture

    try:
        captured = run_capture(snapshot_id)
    finally:
        hosts.release(host, snapshot_id)
        wake.capture_ended(snapshot_id)  # committed: whoever waits reads the row now
    if captured.retry_in is not None:
        capture_snapshot.schedule(
            (snapshot_id, background), delay=captured.retry_in, priority=_priority(background)
        )
    return captured.snapshot.status


def requeue(snapshot_ids: Iterable[int], *, background: bool = False) -> int:
    """Queue captures again that are queued in the database but on no queue (a worker
    died, an instance was restored)."""
    ids = list(snapshot_ids)
    for snapshot_id in ids:
        enqueue_capture(snapshot_id, background=background)
    return len(ids)


def requeue_stale() -> int:
    """Queue again the captures whose worker died; run at worker start and every minute."""
    from snapshelf.jobs.capture import recover_stale

    return requeue(recover_stale())


@db_periodic_task(crontab(minute="*"))
def requeue_stale_captures() -> int:
    return requeue_stale()


@db_periodic_task(crontab(hour="4", minute="17"))
def sweep_orphan_blobs() -> dict:
    """Daily: blobs referenced by nothing for longer than SNAPSHELF_GC_GRACE."""
    return housekeeping.sweep().as_dict()


@db_task(context=False)
def delete_blob_bytes(shas: list[str], put_before: datetime) -> int:
    """The bytes of blobs whose rows housekeeping.free_blobs deleted."""
    return housekeeping.delete_bytes(shas, put_before)[0]


def queue_watched() -> int:
    """Queue the captures of watched links that are due (library.watch); every 5 minutes."""
    return requeue(watch.queue_due(), background=True)


@db_periodic_task(crontab(minute="*/5"))
def check_watched_links() -> int:
    return queue_watched()


@db_periodic_task(crontab(minute="*/5"))
def refit_topic_model() -> int | None:
    """Index upkeep after bursts of writes (an import, a queue of captures), and related
    articles' topic model fitted again once the library's text has changed enough: a
    library that fills fast is at full quality minutes later, without a command."""
    # imported here: the model's NumPy and SciPy need not load in every process at start
    from snapshelf.related.topic_store import refit
    from snapshelf.search.index import tidy

    tidy()
    try:
        return refit()
    finally:
        _give_back_memory()


def _give_back_memory() -> None:
    """A fit at 100,000 links peaks at ~300 MB; freed, most of it stays in the C heap
    of this long-lived worker (~260 MB resident) unless glibc is asked to return it
    (~180 MB). Elsewhere than glibc there is nothing to ask."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def enqueue_capture(snapshot_id: int, *, background: bool = False) -> None:
    """Queue after the surrounding transaction commits, so the worker sees the row; a
    `background` capture waits behind every capture a person asked for."""
    transaction.on_commit(
        lambda: capture_snapshot(snapshot_id, background, priority=_priority(background))
    )

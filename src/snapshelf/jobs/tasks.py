"""Huey tasks: captures (retried with backoff on transient failures) and recovery of
captures whose worker died."""

from __future__ import annotations

from django.db import transaction
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from snapshelf.library.capture import recover_stale, run_capture


@db_task(context=False)
def capture_snapshot(snapshot_id: int) -> str:
    snap = run_capture(snapshot_id)
    if snap.retry_in is not None:
        capture_snapshot.schedule((snapshot_id,), delay=snap.retry_in)
    return snap.status


def requeue_stale() -> int:
    """Queue again the captures whose worker died; run at worker start and every minute."""
    stale = recover_stale()
    for snapshot_id in stale:
        capture_snapshot(snapshot_id)
    return len(stale)


@db_periodic_task(crontab(minute="*"))
def requeue_stale_captures() -> int:
    return requeue_stale()


def enqueue_capture(snapshot_id: int) -> None:
    """Queue after the surrounding transaction commits, so the worker sees the row."""
    transaction.on_commit(lambda: capture_snapshot(snapshot_id))

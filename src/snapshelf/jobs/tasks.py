"""Huey tasks. The queue lives in SQLite in the data directory by default."""

from __future__ import annotations

from django.db import transaction
from huey.contrib.djhuey import db_task

from snapshelf.library.capture import run_capture


@db_task(context=False)
def capture_snapshot(snapshot_id: int) -> str:
    return run_capture(snapshot_id).status


def enqueue_capture(snapshot_id: int) -> None:
    """Queue after the surrounding transaction commits, so the worker sees the row."""
    transaction.on_commit(lambda: capture_snapshot(snapshot_id))

"""The worker's side of an import started from the web."""

from __future__ import annotations

from huey.contrib.djhuey import db_task

from snapshelf.io.runs import run_import_now


@db_task(context=False, priority=-5)
def run_import(run_id: int) -> str:
    """Between a person's captures (0) and the import's own captures (-10)."""
    return run_import_now(run_id).state

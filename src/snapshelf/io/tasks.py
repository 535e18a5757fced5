"""The worker's side of an import started from the web."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from snapshelf.io.runs import recover_stale, run_import_now


@db_task(context=False, priority=-5)
def run_import(run_id: int) -> str:
    """Between a person's captures (0) and the import's own captures (-10)."""
    return run_import_now(run_id).state


@db_periodic_task(crontab(minute="*"))
def requeue_stale_imports() -> int:
    """Imports whose worker died are queued again (snapshelf.io.runs.recover_stale)."""
    recovered = recover_stale()
    for run_id in recovered:
        run_import(run_id)
    return len(recovered)

"""The queue's depth and the workers' heartbeat, read without loading Huey where we can.

`snapshelf status` shows three numbers from the queue. Importing Huey imports the Redis
and PostgreSQL clients with it (0.1-0.2 s of CPU, more than the rest of the command), so
the embedded SQLite queue is read from its file directly, read-only. Huey's
`SqliteStorage` keeps tasks in `task`, scheduled tasks in `schedule` and key-values (the
heartbeat, jobs.heartbeat) in `kv`, every row tagged with the queue's name; values are
pickled by Huey's serializer (no compression in our settings). The Redis queue is asked
through Huey, whose client it needs anyway. `tests/jobs/test_peek.py` holds both readers
to Huey's own answers, so a Huey upgrade that changes its tables fails there.
"""

from __future__ import annotations

import pickle
import sqlite3
import time
from contextlib import closing
from pathlib import Path
from typing import TypedDict

from django.conf import settings

#: the heartbeat's key (jobs.heartbeat writes it)
HEARTBEAT_KEY = "snapshelf.worker-heartbeat"


class QueueNumbers(TypedDict):
    pending_tasks: int
    scheduled_tasks: int
    #: seconds since a worker last said it runs (None: never, or it stopped)
    worker_heartbeat_age_s: float | None


def queue_numbers() -> QueueNumbers:
    """Pending and scheduled tasks and the heartbeat's age; raises when the queue is
    unreachable (status shows that as the news it is)."""
    if settings.SNAPSHELF_REDIS_URL:
        return _through_huey()
    return _from_sqlite_file(Path(settings.HUEY["filename"]), settings.HUEY["name"])


def _through_huey() -> QueueNumbers:
    from huey.contrib.djhuey import HUEY

    from snapshelf.jobs import heartbeat

    return {
        "pending_tasks": HUEY.pending_count(),
        "scheduled_tasks": HUEY.scheduled_count(),
        "worker_heartbeat_age_s": heartbeat.seconds_since_beat(),
    }


def _from_sqlite_file(path: Path, queue: str) -> QueueNumbers:
    if not path.exists():  # no task was ever queued and no worker ever started
        return {"pending_tasks": 0, "scheduled_tasks": 0, "worker_heartbeat_age_s": None}
    with closing(sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, timeout=5)) as db:
        pending = db.execute("SELECT count(*) FROM task WHERE queue = ?", (queue,)).fetchone()
        scheduled = db.execute("SELECT count(*) FROM schedule WHERE queue = ?", (queue,)).fetchone()
        beat = db.execute(
            "SELECT value FROM kv WHERE queue = ? AND key = ?", (queue, HEARTBEAT_KEY)
        ).fetchone()
    age = None
    if beat is not None:
        # Huey's own pickle in our own data directory: what its worker would load anyway.
        age = max(0.0, time.time() - pickle.loads(beat[0])["at"])  # noqa: S301
    return {
        "pending_tasks": pending[0],
        "scheduled_tasks": scheduled[0],
        "worker_heartbeat_age_s": age,
    }

"""The embedded queue: Huey's SQLite queue whose idle workers are woken by a new task.

Huey's own SQLite storage is polled: an idle worker looks at the queue less and less
often, up to `max_delay` (10 s) apart, and a capture queued then waits for the next
look. Here enqueueing rings a bell (jobs.wake) that idle workers wait on, so they take
it at once; they still look every `read_timeout` seconds (a ring can be lost, and
scheduled tasks come due without one). Named in settings.HUEY["huey_class"]; the Redis
queue needs none of this (its workers block on the queue itself).
"""

from __future__ import annotations

from huey import SqliteHuey
from huey.storage import SqliteStorage

from snapshelf.jobs.wake import Bell, wake_dir


class WakingSqliteStorage(SqliteStorage):
    #: dequeue() waits for work itself (at most read_timeout), as Redis' blocking pop
    #: does: Huey's worker loop then calls it again instead of sleeping with backoff
    blocking = True

    def __init__(self, *args, read_timeout: float = 2.0, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.read_timeout = read_timeout
        self.bell = Bell(wake_dir(self.filename) / "queue")

    def enqueue(self, data, priority=None):
        super().enqueue(data, priority)
        self.bell.ring()

    def dequeue(self):
        data = super().dequeue()
        if data is None and self.bell.wait(self.read_timeout):
            data = super().dequeue()
        return data


class WakingSqliteHuey(SqliteHuey):
    storage_class = WakingSqliteStorage

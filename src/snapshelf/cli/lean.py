"""A `snapshelf` process without the modules our dependencies load for features
Snapshelf never uses (issue 25; bench/bench_startup.py measures the commands):

- httpx imports its own command-line client whenever click, rich and Pygments are
  installed (they are, with the development tools): ~50 ms of CPU for every command
  that checks or fetches a URL.
- huey.storage imports the clients of Huey's Redis and PostgreSQL queues when they are
  installed: psycopg (~50 ms), which Snapshelf's queue never uses (Django imports its
  own when the database is PostgreSQL), and redis (~100 ms), used only with
  SNAPSHELF_REDIS_URL. `snapshelf add` and every worker process paid both.

While one of those libraries loads, its import of them fails as if they were not
installed, and the library takes its own "not installed" branch; nothing is cached, so
anything else that imports them later gets them. Only command processes do this.
"""

from __future__ import annotations

import sys
from importlib.abc import MetaPathFinder


class _Unused(MetaPathFinder):
    """Refuses `module` to `importer` while `importer` is being loaded."""

    def __init__(self, skip: dict[str, str]) -> None:
        self.skip = skip  # module -> the importer it is refused to

    def find_spec(self, name, path, target=None):  # noqa: ANN001, ANN201 - importlib's API
        importer = self.skip.get(name)
        if importer is None:
            return None
        loading = sys.modules.get(importer)
        spec = getattr(loading, "__spec__", None)
        if spec is not None and getattr(spec, "_initializing", False):
            raise ImportError(f"{name} is not used by Snapshelf through {importer}")
        return None


def skip_unused_imports(*, redis_queue: bool) -> None:
    """Install the refusals (once per process); `redis_queue`: the queue is on Redis."""
    if any(isinstance(f, _Unused) for f in sys.meta_path):
        return
    skip = {"httpx._main": "httpx", "psycopg": "huey.storage"}
    if not redis_queue:
        skip["redis"] = "huey.storage"
    sys.meta_path.insert(0, _Unused(skip))

"""Search backends: SQLite FTS5 and PostgreSQL tsvector behind one interface.

The backend follows the configured database (``DATABASE_URL``): the index lives in the
same database as the library, so its writes share the library's transactions.
"""

from django.db import connection

from snapshelf.search.backends.base import SearchBackend
from snapshelf.search.backends.postgres import PostgresBackend
from snapshelf.search.backends.sqlite import SqliteBackend

__all__ = ["PostgresBackend", "SearchBackend", "SqliteBackend", "get_backend"]

_BACKENDS: dict[str, type[SearchBackend]] = {
    "sqlite": SqliteBackend,
    "postgresql": PostgresBackend,
}
_made: dict[str, SearchBackend] = {}


def get_backend() -> SearchBackend:
    """The backend of the configured database (one instance per process)."""
    vendor = connection.vendor
    backend = _made.get(vendor)
    if backend is None:
        try:
            backend = _made[vendor] = _BACKENDS[vendor]()
        except KeyError:
            raise RuntimeError(f"no search backend for the {vendor} database") from None
    return backend

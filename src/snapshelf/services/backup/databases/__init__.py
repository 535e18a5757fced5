"""Database dumps: SQLite and PostgreSQL behind one interface.

The dump follows the configured database; `dump_for` is the one place that asks which
database that is, so the backup and restore steps never branch on it.
"""

from __future__ import annotations

from django.db.backends.base.base import BaseDatabaseWrapper

from snapshelf.services.backup.common import BackupError
from snapshelf.services.backup.databases.base import CopyCursor, DatabaseDump
from snapshelf.services.backup.databases.postgres import PostgresDump
from snapshelf.services.backup.databases.sqlite import SqliteDump

__all__ = ["DATABASE_FILES", "CopyCursor", "DatabaseDump", "PostgresDump", "SqliteDump", "dump_for"]

_DUMPS: dict[str, type[DatabaseDump]] = {dump.kind: dump for dump in (SqliteDump, PostgresDump)}

#: The database file of a backup, by the kind of database it holds.
DATABASE_FILES = {kind: dump.file_name for kind, dump in _DUMPS.items()}


def dump_for(connection: BaseDatabaseWrapper, restoring: str | None = None) -> DatabaseDump:
    """The dump of `connection`'s database.

    `restoring`: the kind of database a backup holds, which must be this one (a dump
    restores only onto the same kind of database)."""
    vendor = connection.vendor
    if restoring is not None and restoring != vendor:
        raise BackupError(
            f"the backup holds a {restoring} database and this instance "
            f"uses {vendor}: restore it onto an instance of the same kind"
        )
    dump = _DUMPS.get(vendor)
    if dump is None:
        raise BackupError(f"backing up a {vendor} database is not supported")
    return dump(connection)

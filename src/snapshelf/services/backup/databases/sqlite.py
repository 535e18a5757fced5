"""SQLite: the online backup API, both ways.

`backup()` copies in one read transaction, so the copy is a consistent snapshot while the
server keeps writing; restoring with it replaces the target's pages in one transaction.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from django.db import connections

from snapshelf.services.backup.common import BackupError
from snapshelf.services.backup.databases.base import CopyCursor, DatabaseDump


class SqliteDump(DatabaseDump):
    kind = "sqlite"
    file_name = "database.sqlite3"

    @contextlib.contextmanager
    def copy(self, dest: Path) -> Iterator[CopyCursor]:
        self._backup_to(dest)
        copy = sqlite3.connect(f"file:{dest}?mode=ro", uri=True)
        try:
            yield CopyCursor(copy.cursor(), "?")
        finally:
            copy.close()

    def _backup_to(self, dest: Path) -> None:
        name = str(self.connection.settings_dict["NAME"])
        if not name or name == ":memory:" or not Path(name).is_file():
            raise BackupError(f"no SQLite database at {name or '(unset)'}: nothing to back up")
        source = sqlite3.connect(f"file:{name}?mode=ro", uri=True, timeout=30)
        copy = sqlite3.connect(dest)
        try:
            source.backup(copy)  # one step, in one read transaction: a consistent snapshot
            copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        except sqlite3.Error as exc:
            raise BackupError(f"SQLite backup failed: {exc}") from None
        finally:
            copy.close()
            source.close()

    def restore(self, file: Path) -> None:
        name = str(self.connection.settings_dict["NAME"])
        connections.close_all()
        source = sqlite3.connect(f"file:{file}?mode=ro", uri=True)
        target = sqlite3.connect(name, timeout=30)
        try:
            source.backup(target)  # replaces the target's pages in one transaction
        except sqlite3.Error as exc:
            raise BackupError(f"could not write the SQLite database: {exc}") from None
        finally:
            target.close()
            source.close()

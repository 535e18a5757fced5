"""The interface every database dump implements.

A dump owns how its database is copied consistently while the server runs, and how
such a copy is put back. What the copy holds is read by the backup steps through the
cursor it yields, in portable SQL.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, ClassVar, NamedTuple

from django.db.backends.base.base import BaseDatabaseWrapper


class CopyCursor(NamedTuple):
    """A DB-API cursor reading the database copy, and its parameter placeholder."""

    cursor: Any
    placeholder: str


class DatabaseDump(ABC):
    #: The kind of database, as the manifest records it.
    kind: ClassVar[str]
    #: The name of the database copy in a backup directory.
    file_name: ClassVar[str]

    def __init__(self, connection: BaseDatabaseWrapper) -> None:
        self.connection = connection

    @abstractmethod
    def copy(self, dest: Path) -> AbstractContextManager[CopyCursor]:
        """Copy the live database to `dest` as one consistent snapshot, and yield a cursor
        onto that snapshot (the blob list must come from the same rows as the copy)."""

    @abstractmethod
    def restore(self, file: Path) -> None:
        """Replace the (checked empty) live database with the copy in `file`."""

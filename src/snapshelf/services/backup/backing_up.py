"""Taking a backup: a new directory, the database copy, the blobs it lists, the manifest.

Everything the backup describes is read from the database copy, not from the live
database, so the blob list and the counts match the copied rows exactly."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection

from snapshelf.library.housekeeping import blob_references
from snapshelf.library.models import Blob, Link, Snapshot, Tag
from snapshelf.services.backup.blobs import copy_blobs
from snapshelf.services.backup.common import BackupError, Progress, no_progress
from snapshelf.services.backup.databases import CopyCursor, dump_for
from snapshelf.services.backup.manifest import summary, write_manifest


def backup(path: str | Path, progress: Progress | None = None) -> dict[str, Any]:
    """Write a consistent backup of this instance to the new (or empty) directory `path`."""
    progress = progress or no_progress
    started = time.monotonic()
    target = Path(path)
    created_dir = _prepare_backup_dir(target)
    try:
        manifest = _write_backup(target, progress)
    except BaseException:
        _discard(target, created_dir)
        raise
    return summary(manifest, target, started)


def _prepare_backup_dir(target: Path) -> bool:
    """Refuse a path that holds anything; True when we created the directory."""
    if target.exists():
        if not target.is_dir():
            raise BackupError(f"{target} exists and is not a directory")
        if any(target.iterdir()):
            raise BackupError(f"{target} is not empty: back up into a new or empty directory")
        return False
    target.mkdir(parents=True, mode=0o700)  # password hashes and private libraries
    return True


def _discard(target: Path, created_dir: bool) -> None:
    """A failed backup leaves nothing that could pass for one."""
    if created_dir:
        shutil.rmtree(target, ignore_errors=True)
        return
    for child in target.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child, ignore_errors=True)
        else:
            child.unlink(missing_ok=True)


def _write_backup(target: Path, progress: Progress) -> dict[str, Any]:
    dump = dump_for(connection)
    db_file = target / dump.file_name
    # password hashes, tokens, every private link: the owner's alone (0600), whatever the
    # umask; created so before the dump writes to it, and made so again after
    os.close(os.open(db_file, os.O_CREAT | os.O_WRONLY, 0o600))
    os.chmod(db_file, 0o600)
    progress("copying the database", 0, 1)
    with dump.copy(db_file) as cursor:
        os.chmod(db_file, 0o600)
        progress("copying the database", 1, 1)
        copy = _CopyReader(cursor)
        counts = copy.counts()
        migrations = copy.migrations()
        blobs, skipped = copy_blobs(copy.blobs(), copy.referenced, target, progress)
    return write_manifest(
        target,
        database_kind=dump.kind,
        db_file=db_file,
        migrations=migrations,
        counts=counts,
        blobs=blobs,
        skipped=skipped,
    )


class _CopyReader:
    """What the backup needs to know, read from the database copy (not the live database)."""

    def __init__(self, copy: CopyCursor) -> None:
        self.cursor = copy.cursor
        self.placeholder = copy.placeholder

    def _scalar(self, sql: str) -> int:
        self.cursor.execute(sql)
        return int(self.cursor.fetchone()[0])

    def counts(self) -> dict[str, int]:
        models = {
            "users": get_user_model(),
            "links": Link,
            "tags": Tag,
            "snapshots": Snapshot,
            "blobs": Blob,
        }
        return {
            name: self._scalar(f"SELECT COUNT(*) FROM {_table(model)}")  # noqa: S608
            for name, model in models.items()
        }

    def migrations(self) -> list[str]:
        """Applied migrations as "app.name": restore refuses a backup from a newer version."""
        self.cursor.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
        return [f"{app}.{name}" for app, name in self.cursor.fetchall()]

    def blobs(self) -> list[str]:
        sha = connection.ops.quote_name(Blob._meta.pk.column)
        self.cursor.execute(f"SELECT {sha} FROM {_table(Blob)} ORDER BY {sha}")  # noqa: S608
        return [row[0] for row in self.cursor.fetchall()]

    def referenced(self, shas: list[str]) -> set[str]:
        """Those of `shas` some row of the copy points at."""
        found: set[str] = set()
        for field in blob_references():
            for start in range(0, len(shas), 500):
                chunk = shas[start : start + 500]
                marks = ", ".join([self.placeholder] * len(chunk))
                col = connection.ops.quote_name(field.column)
                self.cursor.execute(
                    f"SELECT DISTINCT {col} FROM {_table(field.model)} WHERE {col} IN ({marks})",  # noqa: S608
                    chunk,
                )
                found.update(row[0] for row in self.cursor.fetchall())
        return found


def _table(model: type) -> str:
    return connection.ops.quote_name(model._meta.db_table)

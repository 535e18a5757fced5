"""Restoring a backup onto a new instance, with the server stopped.

Everything is verified before anything is written; then the blobs go in first (an
interrupted restore leaves rowless objects the orphan sweep removes, never rows without
their bytes) and the database last, which is then migrated (an older backup is upgraded)
and matched to this instance: its blob store, its job queue."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection

from snapshelf.jobs.models import HostSlot
from snapshelf.jobs.tasks import requeue
from snapshelf.library.housekeeping import unreferenced
from snapshelf.library.models import Blob, Link, Snapshot, Tag
from snapshelf.services.backup.blobs import put_blobs, verify_blobs
from snapshelf.services.backup.common import BackupError, Progress, no_progress
from snapshelf.services.backup.databases import DATABASE_FILES, dump_for
from snapshelf.services.backup.manifest import (
    check_migrations_known,
    database_kind,
    file_sha256,
    read_manifest,
    summary,
)


def restore(path: str | Path, progress: Progress | None = None) -> dict[str, Any]:
    """Restore the backup at `path` onto this (empty) instance; run with the server stopped."""
    progress = progress or no_progress
    started = time.monotonic()
    source = Path(path)
    manifest = read_manifest(source)
    dump = dump_for(connection, restoring=database_kind(manifest))
    check_migrations_known(manifest)
    replaced = _check_empty()
    _verify(source, manifest, progress)
    # Nothing was written so far.
    stored_sizes = put_blobs(source, manifest["blobs"], progress)
    progress("restoring the database", 0, 1)
    dump.restore(source / manifest["database"]["file"])
    progress("restoring the database", 1, 1)
    requeued = _after_restore(manifest, stored_sizes)
    result = summary(manifest, source, started)
    result["counts"] = _live_counts()
    result["requeued_captures"] = requeued
    result["replaced_users"] = replaced
    return result


def _check_empty() -> list[str]:
    """Refuse an instance that holds a library; returns the user names a restore replaces.

    Empty means no links, no tags and at most one user: the `admin` that `snapshelf init`
    creates on a new instance is replaced by the backup's users."""
    tables = set(connection.introspection.table_names())
    if Link._meta.db_table in tables and Link.objects.exists():
        raise BackupError(
            f"this instance is not empty ({Link.objects.count()} links): restore only onto a "
            "new instance (an empty data directory and database)"
        )
    if Tag._meta.db_table in tables and Tag.objects.exists():
        raise BackupError("this instance is not empty (it has tags): restore onto a new instance")
    User = get_user_model()
    if User._meta.db_table not in tables:
        return []
    names = list(User.objects.order_by("pk").values_list(User.USERNAME_FIELD, flat=True)[:2])
    if len(names) > 1:
        raise BackupError(
            f"this instance is not empty ({User.objects.count()} users): restore only onto a "
            "new instance (an empty data directory and database)"
        )
    return names


def _verify(source: Path, manifest: dict[str, Any], progress: Progress) -> None:
    db = manifest["database"]
    db_path = source / db["file"]
    if db.get("file") not in DATABASE_FILES.values() or not db_path.is_file():
        raise BackupError(f"the backup's database file {db.get('file')} is missing")
    if file_sha256(db_path) != db["sha256"]:
        raise BackupError(f"{db_path} is damaged: its SHA-256 differs from the manifest's")
    verify_blobs(source, manifest["blobs"], progress)


def _after_restore(manifest: dict[str, Any], stored_sizes: dict[str, int]) -> int:
    """Migrate, match the rows to this store, and queue the captures that were in flight."""
    call_command("migrate", interactive=False, verbosity=0)
    skipped = manifest.get("skipped_orphan_blobs") or []
    if skipped:
        Blob.objects.filter(sha256__in=skipped).filter(unreferenced()).delete()
    for sha, size in Blob.objects.values_list("sha256", "stored_size").iterator():
        if sha in stored_sizes and stored_sizes[sha] != size:  # another backend's compression
            Blob.objects.filter(sha256=sha).update(stored_size=stored_sizes[sha])
    HostSlot.objects.all().delete()  # slots of the old instance's running captures
    # Captures running or queued at backup time have no job in this instance's queue.
    Snapshot.objects.filter(status=Snapshot.Status.RUNNING).update(status=Snapshot.Status.QUEUED)
    queued = list(
        Snapshot.objects.filter(status=Snapshot.Status.QUEUED).values_list("pk", flat=True)
    )
    return requeue(queued)


def _live_counts() -> dict[str, int]:
    return {
        "users": get_user_model().objects.count(),
        "links": Link.objects.count(),
        "tags": Tag.objects.count(),
        "snapshots": Snapshot.objects.count(),
        "blobs": Blob.objects.count(),
    }

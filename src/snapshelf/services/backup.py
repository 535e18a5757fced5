"""Backup and restore of a whole instance: its database and every blob the database knows.

A backup is a directory:

    manifest.json          written last, atomically: its presence marks a complete backup
    database.sqlite3       SQLite's online backup of the live database, or
    database.pgdump        `pg_dump --format=custom` on PostgreSQL
    blobs/ab/<sha256>      the raw (uncompressed) bytes of each blob, verifiable with sha256sum

Consistency while the server runs: the database copy is one snapshot (SQLite's backup
API copies in one read transaction; pg_dump runs in a REPEATABLE READ snapshot that this
process exported and keeps reading from). The blob list is read from that same snapshot,
not from the live database, and captures store their bytes before any row references
them, so every blob the copy knows is in the store when we read it. Blob bytes are read
through the blob-store interface, so the filesystem and S3 backends both work.

Restore runs with the server stopped, onto an empty instance. It verifies everything
(manifest, database checksum, every blob's SHA-256) before it writes anything, puts the
blobs first (harmless if interrupted: rowless objects the orphan sweep removes) and the
database last, then migrates it (an older backup is upgraded) and queues again the
captures that were in flight when the backup was taken.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection, connections, transaction

from snapshelf.jobs.models import HostSlot
from snapshelf.jobs.tasks import requeue
from snapshelf.library.housekeeping import unreferenced
from snapshelf.library.models import Blob, Link, Snapshot, Tag
from snapshelf.storage import get_blob_store, sha256_hex
from snapshelf.storage.base import BlobNotFound
from snapshelf.storage.codec import valid_key
from snapshelf.storage.filesystem import write_atomic

FORMAT = "snapshelf-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DATABASE_FILES = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}

#: progress(phase, done, total): long work reports how far it is (the CLI draws a bar).
Progress = Callable[[str, int, int], None]


class BackupError(Exception):
    """A backup or restore that cannot go on, explained in one line."""


def _no_progress(phase: str, done: int, total: int) -> None:
    pass


# ------------------------------------------------------------------------------ backup


def backup(path: str | Path, progress: Progress | None = None) -> dict[str, Any]:
    """Write a consistent backup of this instance to the new (or empty) directory `path`."""
    progress = progress or _no_progress
    started = time.monotonic()
    target = Path(path)
    created_dir = _prepare_backup_dir(target)
    try:
        manifest = _write_backup(target, progress)
    except BaseException:
        _discard(target, created_dir)
        raise
    return _summary(manifest, target, started)


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
    vendor = connection.vendor
    if vendor not in DATABASE_FILES:
        raise BackupError(f"backing up a {vendor} database is not supported")
    db_file = target / DATABASE_FILES[vendor]
    progress("copying the database", 0, 1)
    with _database_copy(vendor, db_file) as copy:
        progress("copying the database", 1, 1)
        counts = copy.counts()
        migrations = copy.migrations()
        blobs, skipped = _copy_blobs(copy, target / "blobs", progress)
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "snapshelf_version": _version(),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "database": {
            "vendor": vendor,
            "file": db_file.name,
            "sha256": _file_sha256(db_file),
            "size": db_file.stat().st_size,
        },
        "migrations": migrations,
        "counts": counts,
        "blob_bytes": sum(b["size"] for b in blobs),
        "blobs": blobs,
        "skipped_orphan_blobs": skipped,
    }
    os.sync()  # the database copy and the blob files are on disk before the manifest says so
    write_atomic(target / MANIFEST, json.dumps(manifest, indent=1).encode())
    return manifest


def _copy_blobs(
    copy: _Copy, blob_dir: Path, progress: Progress
) -> tuple[list[dict[str, Any]], list[str]]:
    store = get_blob_store()
    listed = copy.blobs()
    written: list[dict[str, Any]] = []
    missing: list[str] = []
    for i, sha in enumerate(listed, 1):
        try:
            data = store.get(sha)
        except BlobNotFound:
            missing.append(sha)
            continue
        if sha256_hex(data) != sha:
            raise BackupError(f"the blob store's copy of blob {sha} is damaged (wrong SHA-256)")
        path = blob_dir / sha[:2] / sha
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        written.append({"sha256": sha, "size": len(data)})
        progress("copying blobs", i, len(listed))
    if missing:
        needed = copy.referenced(missing)
        if needed:
            raise BackupError(
                f"{len(needed)} blob(s) the database references are missing from the blob "
                f"store (e.g. {sorted(needed)[0]}); if they were deleted during the backup, "
                "run it again"
            )
    # Rows nothing references whose bytes the orphan sweep removed after our snapshot:
    # left out, and their rows dropped on restore.
    return written, missing


class _Copy:
    """Reads the database copy (not the live database) through a DB-API cursor."""

    def __init__(self, cursor: Any, placeholder: str) -> None:
        self.cursor = cursor
        self.placeholder = placeholder

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
        for model, column in _blob_references():
            for start in range(0, len(shas), 500):
                chunk = shas[start : start + 500]
                marks = ", ".join([self.placeholder] * len(chunk))
                col = connection.ops.quote_name(column)
                self.cursor.execute(
                    f"SELECT DISTINCT {col} FROM {_table(model)} WHERE {col} IN ({marks})",  # noqa: S608
                    chunk,
                )
                found.update(row[0] for row in self.cursor.fetchall())
        return found


def _table(model: type) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _blob_references() -> list[tuple[type, str]]:
    """Every (model, column) holding a Blob key, found from the models (as the sweep does)."""
    refs = []
    for rel in Blob._meta.get_fields(include_hidden=True):
        if rel.auto_created and not rel.concrete and (rel.one_to_many or rel.one_to_one):
            refs.append((rel.related_model, rel.field.column))
    return refs


@contextlib.contextmanager
def _database_copy(vendor: str, dest: Path) -> Iterator[_Copy]:
    if vendor == "sqlite":
        _sqlite_backup(dest)
        copy = sqlite3.connect(f"file:{dest}?mode=ro", uri=True)
        try:
            yield _Copy(copy.cursor(), "?")
        finally:
            copy.close()
        return
    # PostgreSQL: export this transaction's snapshot, let pg_dump dump exactly that
    # snapshot, and read the blob list and counts from it too.
    tool = _pg_tool("pg_dump")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot_id = cursor.fetchone()[0]
        _run_pg(
            [tool, "--format=custom", f"--snapshot={snapshot_id}", f"--file={dest}"],
            "pg_dump",
        )
        yield _Copy(cursor, "%s")


def _sqlite_backup(dest: Path) -> None:
    name = str(connection.settings_dict["NAME"])
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


# ----------------------------------------------------------------------------- restore


def restore(path: str | Path, progress: Progress | None = None) -> dict[str, Any]:
    """Restore the backup at `path` onto this (empty) instance; run with the server stopped."""
    progress = progress or _no_progress
    started = time.monotonic()
    source = Path(path)
    manifest = read_manifest(source)
    vendor = connection.vendor
    if manifest["database"]["vendor"] != vendor:
        raise BackupError(
            f"the backup holds a {manifest['database']['vendor']} database and this instance "
            f"uses {vendor}: restore it onto an instance of the same kind"
        )
    _check_migrations_known(manifest)
    replaced = _check_empty()
    _verify(source, manifest, progress)
    # Nothing was written so far. Blobs first: an interrupted restore leaves rowless
    # objects (swept later), never rows without their bytes.
    stored_sizes = _put_blobs(source, manifest, progress)
    progress("restoring the database", 0, 1)
    _restore_database(source / manifest["database"]["file"], vendor)
    progress("restoring the database", 1, 1)
    requeued = _after_restore(manifest, stored_sizes)
    summary = _summary(manifest, source, started)
    summary["counts"] = _live_counts()
    summary["requeued_captures"] = requeued
    summary["replaced_users"] = replaced
    return summary


def read_manifest(source: Path) -> dict[str, Any]:
    """The manifest of a complete backup, or a clear error."""
    if not source.is_dir():
        raise BackupError(f"{source} is not a directory")
    try:
        manifest = json.loads((source / MANIFEST).read_text())
    except FileNotFoundError:
        raise BackupError(f"{source} has no {MANIFEST}: not a complete backup") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise BackupError(f"{source / MANIFEST} is not valid JSON: {exc}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{source / MANIFEST} is not a Snapshelf backup manifest")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(
            f"backup format version {manifest.get('format_version')} is not supported "
            f"(this Snapshelf reads version {FORMAT_VERSION})"
        )
    return manifest


def _check_migrations_known(manifest: dict[str, Any]) -> None:
    """A backup from a newer Snapshelf cannot be migrated down: say so before writing."""
    from django.db.migrations.loader import MigrationLoader

    known = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    unknown = [
        m for m in manifest.get("migrations", []) if tuple(str(m).split(".", 1)) not in known
    ]
    if unknown:
        raise BackupError(
            f"the backup comes from a newer Snapshelf ({manifest.get('snapshelf_version')}; "
            f"unknown migration {unknown[0]}): upgrade this instance first"
        )


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
    if _file_sha256(db_path) != db["sha256"]:
        raise BackupError(f"{db_path} is damaged: its SHA-256 differs from the manifest's")
    blobs = manifest["blobs"]
    for i, entry in enumerate(blobs, 1):
        sha = entry["sha256"]
        if not valid_key(sha):
            raise BackupError(f"the manifest lists an invalid blob key {sha!r}")
        try:
            data = (source / "blobs" / sha[:2] / sha).read_bytes()
        except FileNotFoundError:
            raise BackupError(f"blob {sha} is missing from the backup") from None
        if len(data) != entry["size"] or sha256_hex(data) != sha:
            raise BackupError(f"blob {sha} in the backup is damaged: its SHA-256 does not match")
        progress("verifying blobs", i, len(blobs))


def _put_blobs(source: Path, manifest: dict[str, Any], progress: Progress) -> dict[str, int]:
    store = get_blob_store()
    stored: dict[str, int] = {}
    blobs = manifest["blobs"]
    for i, entry in enumerate(blobs, 1):
        sha = entry["sha256"]
        info = store.put((source / "blobs" / sha[:2] / sha).read_bytes())
        if info.sha256 != sha:  # the file changed since we verified it
            raise BackupError(f"blob {sha} changed while it was being restored")
        stored[sha] = info.stored_size
        progress("restoring blobs", i, len(blobs))
    return stored


def _restore_database(db_file: Path, vendor: str) -> None:
    settings_dict = connection.settings_dict
    if vendor == "sqlite":
        connections.close_all()
        source = sqlite3.connect(f"file:{db_file}?mode=ro", uri=True)
        target = sqlite3.connect(str(settings_dict["NAME"]), timeout=30)
        try:
            source.backup(target)  # replaces the target's pages in one transaction
        except sqlite3.Error as exc:
            raise BackupError(f"could not write the SQLite database: {exc}") from None
        finally:
            target.close()
            source.close()
        return
    tool = _pg_tool("pg_restore")
    _drop_all_tables()
    connections.close_all()
    _run_pg(
        [
            tool,
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
            f"--dbname={settings_dict['NAME']}",
            str(db_file),
        ],
        "pg_restore",
    )


def _drop_all_tables() -> None:
    """The target was checked empty; `init` may have created the schema (and a user)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
        for (table,) in cursor.fetchall():
            cursor.execute(f"DROP TABLE IF EXISTS {connection.ops.quote_name(table)} CASCADE")
        cursor.execute(
            "SELECT sequence_name FROM information_schema.sequences "
            "WHERE sequence_schema = current_schema()"
        )
        for (seq,) in cursor.fetchall():
            cursor.execute(f"DROP SEQUENCE IF EXISTS {connection.ops.quote_name(seq)} CASCADE")


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


# ----------------------------------------------------------------------------- helpers


def _pg_tool(name: str) -> str:
    tool = shutil.which(name)
    if tool is None:
        raise BackupError(
            f"{name} is not installed: install PostgreSQL's client tools (Debian: "
            "postgresql-client) of the server's major version or newer"
        )
    return tool


def _run_pg(argv: list[str], name: str) -> None:
    """Run pg_dump / pg_restore with this instance's connection settings (password in the
    environment, not on the command line)."""
    sd = connection.settings_dict
    env = dict(os.environ)
    for key, var in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER")):
        if sd.get(key):
            env[var] = str(sd[key])
    if sd.get("PASSWORD"):
        env["PGPASSWORD"] = str(sd["PASSWORD"])
    env["PGDATABASE"] = str(sd["NAME"])
    sslmode = (sd.get("OPTIONS") or {}).get("sslmode")
    if sslmode:
        env["PGSSLMODE"] = str(sslmode)
    proc = subprocess.run(
        [*argv, "--no-password"], env=env, capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        lines = [line for line in proc.stderr.splitlines() if line.strip()]
        raise BackupError(f"{name} failed: {lines[0] if lines else f'exit {proc.returncode}'}")


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _version() -> str:
    try:
        return metadata.version("snapshelf")
    except metadata.PackageNotFoundError:
        return "unknown"


def _summary(manifest: dict[str, Any], path: Path, started: float) -> dict[str, Any]:
    return {
        "path": str(path),
        "database": manifest["database"]["vendor"],
        "created": manifest["created"],
        "snapshelf_version": manifest["snapshelf_version"],
        "counts": dict(manifest["counts"]),
        "blob_bytes": manifest["blob_bytes"],
        "seconds": round(time.monotonic() - started, 2),
    }

"""manifest.json: what a backup holds, written last so that its presence marks a complete
backup, and read first so that a restore refuses what it cannot apply before writing."""

from __future__ import annotations

import hashlib
import json
import os
import time
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from snapshelf.services.backup.common import BackupError
from snapshelf.storage.filesystem import write_atomic

FORMAT = "snapshelf-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"


def write_manifest(
    target: Path,
    *,
    database_kind: str,
    db_file: Path,
    migrations: list[str],
    counts: dict[str, int],
    blobs: list[dict[str, Any]],
    skipped: list[str],
) -> dict[str, Any]:
    """Describe the backup in `target` once its database copy and blobs are written."""
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "snapshelf_version": _version(),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "database": {
            "vendor": database_kind,
            "file": db_file.name,
            "sha256": file_sha256(db_file),
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


def database_kind(manifest: dict[str, Any]) -> str:
    """The kind of database the backup holds ("sqlite", "postgresql")."""
    return manifest["database"]["vendor"]


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


def check_migrations_known(manifest: dict[str, Any]) -> None:
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


def summary(manifest: dict[str, Any], path: Path, started: float) -> dict[str, Any]:
    """What `backup` and `restore` return (and the CLI prints)."""
    return {
        "path": str(path),
        "database": database_kind(manifest),
        "created": manifest["created"],
        "snapshelf_version": manifest["snapshelf_version"],
        "counts": dict(manifest["counts"]),
        "blob_bytes": manifest["blob_bytes"],
        "seconds": round(time.monotonic() - started, 2),
    }


def file_sha256(path: Path) -> str:
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

"""Blob bytes in and out of a backup, always through the blob-store interface (so the
filesystem and S3 backends both work) and always checked against their SHA-256."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from snapshelf.services.backup.common import BackupError, Progress
from snapshelf.storage import get_blob_store, sha256_hex
from snapshelf.storage.base import BlobCorrupt, BlobNotFound
from snapshelf.storage.codec import valid_key


def _blob_path(root: Path, sha: str) -> Path:
    return root / "blobs" / sha[:2] / sha


def copy_blobs(
    listed: list[str],
    referenced: Callable[[list[str]], set[str]],
    target: Path,
    progress: Progress,
) -> tuple[list[dict[str, Any]], list[str]]:
    """Copy the blobs `listed` by the database copy into the backup at `target`.

    Returns the manifest entries of those written and the keys left out: rows nothing
    `referenced` whose bytes the orphan sweep removed after our snapshot (their rows are
    dropped on restore). A missing blob something references fails the backup."""
    store = get_blob_store()
    written: list[dict[str, Any]] = []
    missing: list[str] = []
    for i, sha in enumerate(listed, 1):
        try:
            data = store.get(sha)
        except BlobCorrupt:
            raise BackupError(
                f"the blob store's copy of blob {sha} is damaged (wrong SHA-256)"
            ) from None
        except BlobNotFound:
            missing.append(sha)
            continue
        if sha256_hex(data) != sha:
            raise BackupError(f"the blob store's copy of blob {sha} is damaged (wrong SHA-256)")
        path = _blob_path(target, sha)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        written.append({"sha256": sha, "size": len(data)})
        progress("copying blobs", i, len(listed))
    if missing:
        needed = referenced(missing)
        if needed:
            raise BackupError(
                f"{len(needed)} blob(s) the database references are missing from the blob "
                f"store (e.g. {sorted(needed)[0]}); if they were deleted during the backup, "
                "run it again"
            )
    return written, missing


def verify_blobs(source: Path, entries: list[dict[str, Any]], progress: Progress) -> None:
    """Every blob the manifest lists is in the backup with its SHA-256 (read, not trusted)."""
    for i, entry in enumerate(entries, 1):
        sha = entry["sha256"]
        if not valid_key(sha):
            raise BackupError(f"the manifest lists an invalid blob key {sha!r}")
        try:
            data = _blob_path(source, sha).read_bytes()
        except FileNotFoundError:
            raise BackupError(f"blob {sha} is missing from the backup") from None
        if len(data) != entry["size"] or sha256_hex(data) != sha:
            raise BackupError(f"blob {sha} in the backup is damaged: its SHA-256 does not match")
        progress("verifying blobs", i, len(entries))


def put_blobs(source: Path, entries: list[dict[str, Any]], progress: Progress) -> dict[str, int]:
    """Store the backup's blobs; returns each one's stored size in this instance's store."""
    store = get_blob_store()
    stored: dict[str, int] = {}
    for i, entry in enumerate(entries, 1):
        sha = entry["sha256"]
        info = store.put(_blob_path(source, sha).read_bytes())
        if info.sha256 != sha:  # the file changed since we verified it
            raise BackupError(f"blob {sha} changed while it was being restored")
        stored[sha] = info.stored_size
        progress("restoring blobs", i, len(entries))
    return stored

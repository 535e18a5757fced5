"""Blobs as zstd-compressed files under sharded directories of the data dir."""

from __future__ import annotations

import contextlib
import os
import tempfile
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from snapshelf.storage.base import (
    BlobCorrupt,
    BlobInfo,
    BlobNotFound,
    BlobStore,
    Leftovers,
    StoredBlob,
    checked,
    sha256_hex,
)
from snapshelf.storage.codec import pack, valid_key


def write_atomic(path: Path, data: bytes) -> None:
    """Write through a temporary file and rename: readers see the old file or the whole
    new one, never a part."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


class FilesystemBlobStore(BlobStore):
    """`root/ab/cd/<sha256>.zst`; temp file + fsync + rename, so a reader never sees half a blob."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    def path(self, sha256: str) -> Path:
        if not valid_key(sha256):
            raise BlobNotFound(sha256)
        return self.root / sha256[:2] / sha256[2:4] / f"{sha256}.zst"

    def put(self, data: bytes) -> BlobInfo:
        digest = sha256_hex(data)
        target = self.path(digest)
        try:
            # "put again": the orphan sweep leaves recently put blobs alone
            with contextlib.suppress(PermissionError):  # someone else's file: just read it
                os.utime(target)
            return BlobInfo(digest, len(data), target.stat().st_size, created=False)
        except FileNotFoundError:
            pass
        target.parent.mkdir(parents=True, exist_ok=True)
        packed = pack(data)
        write_atomic(target, packed)
        _fsync_dir(target.parent)
        return BlobInfo(digest, len(data), len(packed), created=True)

    def get(self, sha256: str) -> bytes:
        """The blob's bytes, checked against its SHA-256 (BlobCorrupt when they differ).

        A corrupt file is moved aside (`.corrupt-<sha256>-*`, kept for a look): `put`
        skips bytes it finds stored, so until it is gone the next capture of the same
        bytes could not write them again."""
        path = self.path(sha256)
        try:
            packed = path.read_bytes()
        except FileNotFoundError:
            raise BlobNotFound(sha256) from None
        try:
            return checked(sha256, packed)
        except BlobCorrupt:
            aside = path.with_name(f".corrupt-{sha256}-{uuid.uuid4().hex[:8]}")
            with contextlib.suppress(OSError):
                os.rename(path, aside)
            raise

    def exists(self, sha256: str) -> bool:
        try:
            return self.path(sha256).is_file()
        except BlobNotFound:
            return False

    def delete(self, sha256: str, *, unless_put_since: datetime | None = None) -> bool:
        try:
            path = self.path(sha256)
        except BlobNotFound:
            return False
        # Moved aside first, then judged: a put racing with us either refreshed the file
        # before the move (we see its new time and put it back) or finds it gone and
        # writes it again.
        aside = path.with_name(f".del-{uuid.uuid4().hex}")
        try:
            os.rename(path, aside)
        except FileNotFoundError:
            return False
        if unless_put_since is not None and _mtime(aside) >= unless_put_since:
            os.replace(aside, path)  # identical bytes if a put wrote it meanwhile
            return False
        aside.unlink()
        return True

    def iter_keys(self) -> Iterator[str]:
        for p in self.root.glob("??/??/*.zst"):
            if valid_key(p.stem):
                yield p.stem

    def iter_blobs(self) -> Iterator[StoredBlob]:
        for p in self.root.glob("??/??/*.zst"):
            if valid_key(p.stem):
                try:
                    st = p.stat()
                except FileNotFoundError:  # deleted while listing
                    continue
                yield StoredBlob(p.stem, st.st_size, datetime.fromtimestamp(st.st_mtime, UTC))

    def sweep_leftovers(self, older_than: datetime, *, dry_run: bool = False) -> Leftovers:
        """`.tmp-*` files of writes and `.del-*` files of deletions a crash interrupted,
        last touched before `older_than` (a write in progress is younger)."""
        files = size = 0
        for pattern in ("??/??/.tmp-*", "??/??/.del-*"):
            for p in self.root.glob(pattern):
                try:
                    st = p.lstat()
                except FileNotFoundError:
                    continue
                if datetime.fromtimestamp(st.st_mtime, UTC) >= older_than:
                    continue
                if not dry_run:
                    try:
                        p.unlink()
                    except FileNotFoundError:
                        continue
                files += 1
                size += st.st_size
        return Leftovers(files, size)


def _mtime(path: Path) -> datetime:
    return datetime.fromtimestamp(path.stat().st_mtime, UTC)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)

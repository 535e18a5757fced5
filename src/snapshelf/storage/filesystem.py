"""Blobs as zstd-compressed files under sharded directories of the data dir."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from snapshelf.storage.base import BlobInfo, BlobNotFound, BlobStore, sha256_hex
from snapshelf.storage.codec import pack, unpack, valid_key


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
            return BlobInfo(digest, len(data), target.stat().st_size, created=False)
        except FileNotFoundError:
            pass
        target.parent.mkdir(parents=True, exist_ok=True)
        packed = pack(data)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(packed)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        _fsync_dir(target.parent)
        return BlobInfo(digest, len(data), len(packed), created=True)

    def get(self, sha256: str) -> bytes:
        try:
            packed = self.path(sha256).read_bytes()
        except FileNotFoundError:
            raise BlobNotFound(sha256) from None
        return unpack(packed)

    def exists(self, sha256: str) -> bool:
        try:
            return self.path(sha256).is_file()
        except BlobNotFound:
            return False

    def delete(self, sha256: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path(sha256).unlink()

    def iter_keys(self) -> Iterator[str]:
        for p in self.root.glob("??/??/*.zst"):
            if valid_key(p.stem):
                yield p.stem


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)

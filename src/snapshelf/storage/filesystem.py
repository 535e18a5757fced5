"""Blobs as zstd-compressed files under sharded directories of the data dir."""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import zstandard

from snapshelf.storage.base import BlobInfo, BlobNotFound, BlobStore, sha256_hex

_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_local = threading.local()


def _compressor() -> zstandard.ZstdCompressor:
    # zstd (de)compressor objects are not thread-safe; keep one per thread.
    c = getattr(_local, "c", None)
    if c is None:
        c = _local.c = zstandard.ZstdCompressor(level=6)
    return c


def _decompressor() -> zstandard.ZstdDecompressor:
    d = getattr(_local, "d", None)
    if d is None:
        d = _local.d = zstandard.ZstdDecompressor()
    return d


class FilesystemBlobStore(BlobStore):
    """`root/ab/cd/<sha256>.zst`; temp file + fsync + rename, so a reader never sees half a blob."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    def path(self, sha256: str) -> Path:
        if not _HEX64.match(sha256):
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
        packed = _compressor().compress(data)
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
        return _decompressor().decompress(packed)

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
            if _HEX64.match(p.stem):
                yield p.stem


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)

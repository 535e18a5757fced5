"""How blobs look on every backend: zstd-compressed bytes under their SHA-256."""

from __future__ import annotations

import re
import threading

import zstandard

_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_local = threading.local()


def valid_key(sha256: object) -> bool:
    return isinstance(sha256, str) and bool(_HEX64.match(sha256))


def pack(data: bytes) -> bytes:
    # zstd (de)compressor objects are not thread-safe; keep one per thread.
    c = getattr(_local, "c", None)
    if c is None:
        c = _local.c = zstandard.ZstdCompressor(level=6)
    return c.compress(data)


def unpack(packed: bytes) -> bytes:
    d = getattr(_local, "d", None)
    if d is None:
        d = _local.d = zstandard.ZstdDecompressor()
    return d.decompress(packed)

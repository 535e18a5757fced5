"""The blob-store interface every backend implements."""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass


class BlobNotFound(KeyError):
    pass


@dataclass(frozen=True)
class BlobInfo:
    sha256: str
    size: int  # uncompressed bytes
    stored_size: int  # bytes on the backend (compressed)
    created: bool  # False when identical bytes were already stored


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class BlobStore(ABC):
    """Immutable, content-addressed storage; writes are atomic and idempotent."""

    @abstractmethod
    def put(self, data: bytes) -> BlobInfo: ...

    @abstractmethod
    def get(self, sha256: str) -> bytes: ...

    @abstractmethod
    def exists(self, sha256: str) -> bool: ...

    @abstractmethod
    def delete(self, sha256: str) -> None: ...

    @abstractmethod
    def iter_keys(self) -> Iterator[str]: ...

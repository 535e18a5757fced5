"""The blob-store interface every backend implements."""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime


class BlobNotFound(KeyError):
    pass


@dataclass(frozen=True)
class BlobInfo:
    sha256: str
    size: int  # uncompressed bytes
    stored_size: int  # bytes on the backend (compressed)
    created: bool  # False when identical bytes were already stored


@dataclass(frozen=True)
class StoredBlob:
    """One object as the backend lists it (for the orphan sweep)."""

    sha256: str
    stored_size: int  # bytes on the backend
    modified: datetime  # aware (UTC); refreshed by every put of the same bytes


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
    def delete(self, sha256: str, *, unless_put_since: datetime | None = None) -> bool:
        """Remove the blob; True if this call removed it.

        `put` of bytes already stored refreshes their modification time: with
        `unless_put_since`, a blob put at or after that time is kept (a capture may have
        been told it exists and be about to reference it)."""

    @abstractmethod
    def iter_keys(self) -> Iterator[str]: ...

    @abstractmethod
    def iter_blobs(self) -> Iterator[StoredBlob]:
        """Every stored blob with its stored size and modification time."""

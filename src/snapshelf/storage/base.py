"""The blob-store interface every backend implements."""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from snapshelf.storage.codec import unpack


class BlobNotFound(KeyError):
    pass


class BlobCorrupt(BlobNotFound):
    """The stored bytes do not hash to their address (replaced, truncated, bit rot).

    A BlobNotFound, so every reader treats it as "not available": corrupt bytes are never
    served or copied as if they were the blob."""

    def __init__(self, sha256: str, why: str = "") -> None:
        super().__init__(sha256)
        self.sha256 = sha256
        self.why = why

    def __str__(self) -> str:
        detail = f": {self.why}" if self.why else ""
        return f"blob {self.sha256} is corrupt (its bytes do not match its SHA-256){detail}"


@dataclass(frozen=True)
class Leftovers:
    """Files a crash left behind in the store (half-written or half-deleted blobs)."""

    files: int = 0
    bytes: int = 0


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


def checked(sha256: str, packed: bytes) -> bytes:
    """The blob's bytes from what the backend holds, refused unless they hash to `sha256`."""
    try:
        data = unpack(packed)
    except Exception as exc:  # noqa: BLE001 - zstd says why in its own words
        raise BlobCorrupt(sha256, f"not readable: {exc}") from None
    if sha256_hex(data) != sha256:
        raise BlobCorrupt(sha256)
    return data


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

    def sweep_leftovers(self, older_than: datetime, *, dry_run: bool = False) -> Leftovers:
        """Remove (or count) what crashed writes and deletions left, older than the time.

        Objects stores write atomically and leave nothing: the default finds nothing."""
        return Leftovers()

"""Content-addressed blob storage: every byte stream stored once, by SHA-256."""

from snapshelf.storage.base import BlobInfo, BlobNotFound, BlobStore, sha256_hex
from snapshelf.storage.filesystem import FilesystemBlobStore

__all__ = [
    "BlobInfo",
    "BlobNotFound",
    "BlobStore",
    "FilesystemBlobStore",
    "get_blob_store",
    "sha256_hex",
]

_store: BlobStore | None = None


def get_blob_store() -> BlobStore:
    """The configured store (the filesystem one for now; S3 comes later)."""
    global _store
    from django.conf import settings

    root = settings.SNAPSHELF_BLOB_DIR
    if _store is None or getattr(_store, "root", None) != root:
        _store = FilesystemBlobStore(root)
    return _store

"""Content-addressed blob storage: every byte stream stored once, by SHA-256."""

from snapshelf.storage.base import (
    BlobCorrupt,
    BlobInfo,
    BlobNotFound,
    BlobStore,
    Leftovers,
    StoredBlob,
    sha256_hex,
)
from snapshelf.storage.filesystem import FilesystemBlobStore

__all__ = [
    "BlobCorrupt",
    "BlobInfo",
    "BlobNotFound",
    "BlobStore",
    "FilesystemBlobStore",
    "Leftovers",
    "StoredBlob",
    "get_blob_store",
    "sha256_hex",
]

_store: BlobStore | None = None


def get_blob_store() -> BlobStore:
    """The configured store: S3 when SNAPSHELF_S3_BUCKET is set, else the data directory."""
    global _store
    from django.conf import settings

    s3 = settings.SNAPSHELF_S3
    if s3["bucket"]:
        config = tuple(sorted(s3.items()))
        if _store is None or getattr(_store, "config", None) != config:
            from snapshelf.storage.s3 import S3BlobStore

            _store = S3BlobStore(
                s3["bucket"],
                prefix=s3["prefix"],
                endpoint_url=s3["endpoint_url"],
                region_name=s3["region_name"],
            )
            _store.config = config
        return _store
    root = settings.SNAPSHELF_BLOB_DIR
    if _store is None or getattr(_store, "root", None) != root:
        _store = FilesystemBlobStore(root)
    return _store

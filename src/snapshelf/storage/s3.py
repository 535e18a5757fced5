"""Blobs in an S3-compatible object store (AWS S3, MinIO, SeaweedFS, Ceph, R2...).

Same layout and bytes as the filesystem store (`prefix/ab/cd/<sha256>.zst`, zstd), so a
blob directory can be copied into a bucket as it is. S3 writes are atomic per object:
a reader never sees half a blob.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from snapshelf.storage.base import (
    BlobCorrupt,
    BlobInfo,
    BlobNotFound,
    BlobStore,
    StoredBlob,
    checked,
    sha256_hex,
)
from snapshelf.storage.codec import pack, valid_key

#: A put of bytes already stored refreshes the object's time (a copy onto itself) when it
#: is older than this, so the orphan sweep sees it as recently put; far below the window
#: the sweep keeps recently put blobs for (the capture lease, minutes).
REFRESH_AFTER = timedelta(seconds=60)


class S3BlobStore(BlobStore):
    def __init__(self, bucket: str, *, prefix: str = "blobs/", client: Any = None, **config):
        import boto3  # only needed with this backend (the "s3" extra)

        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.client = client or boto3.client("s3", **{k: v for k, v in config.items() if v})

    def key(self, sha256: str) -> str:
        if not valid_key(sha256):
            raise BlobNotFound(sha256)
        return f"{self.prefix}{sha256[:2]}/{sha256[2:4]}/{sha256}.zst"

    def _missing(self, exc: Exception) -> bool:
        code = getattr(exc, "response", {}).get("Error", {}).get("Code", "")
        return code in ("404", "NoSuchKey", "NotFound")

    def put(self, data: bytes) -> BlobInfo:
        digest = sha256_hex(data)
        key = self.key(digest)
        try:
            head = self.client.head_object(Bucket=self.bucket, Key=key)
            if datetime.now(UTC) - head["LastModified"] > REFRESH_AFTER:
                self.client.copy_object(
                    Bucket=self.bucket,
                    Key=key,
                    CopySource={"Bucket": self.bucket, "Key": key},
                    MetadataDirective="REPLACE",
                    ContentType="application/zstd",
                    Metadata={"size": str(len(data))},
                )
            return BlobInfo(digest, len(data), head["ContentLength"], created=False)
        except self.client.exceptions.ClientError as exc:
            if not self._missing(exc):
                raise
        packed = pack(data)
        self.client.put_object(
            Bucket=self.bucket,
            Key=key,
            Body=packed,
            ContentType="application/zstd",
            Metadata={"size": str(len(data))},
        )
        return BlobInfo(digest, len(data), len(packed), created=True)

    def get(self, sha256: str) -> bytes:
        try:
            obj = self.client.get_object(Bucket=self.bucket, Key=self.key(sha256))
        except self.client.exceptions.ClientError as exc:
            if self._missing(exc):
                raise BlobNotFound(sha256) from None
            raise
        try:
            return checked(sha256, obj["Body"].read())
        except BlobCorrupt:
            self._set_aside(sha256)
            raise

    def _set_aside(self, sha256: str) -> None:
        """Move a corrupt object to `<prefix>corrupt/` (kept for a look), as the filesystem
        store does: `put` skips bytes it finds stored, so until it is gone the next
        capture of the same bytes could not write them again."""
        key = self.key(sha256)
        aside = f"{self.prefix}corrupt/{sha256}-{uuid.uuid4().hex[:8]}"
        try:
            self.client.copy_object(
                Bucket=self.bucket, Key=aside, CopySource={"Bucket": self.bucket, "Key": key}
            )
            self.client.delete_object(Bucket=self.bucket, Key=key)
        except self.client.exceptions.ClientError:  # leave it; reads refuse it anyway
            pass

    def exists(self, sha256: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=self.key(sha256))
            return True
        except BlobNotFound:
            return False
        except self.client.exceptions.ClientError as exc:
            if self._missing(exc):
                return False
            raise

    def delete(self, sha256: str, *, unless_put_since: datetime | None = None) -> bool:
        if not valid_key(sha256):
            return False
        key = self.key(sha256)
        try:
            head = self.client.head_object(Bucket=self.bucket, Key=key)
        except self.client.exceptions.ClientError as exc:
            if self._missing(exc):
                return False
            raise
        # S3 has no portable conditional delete: a put between this check and the delete
        # can still lose its bytes (a window of one request, not of a whole capture).
        if unless_put_since is not None and head["LastModified"] >= unless_put_since:
            return False
        self.client.delete_object(Bucket=self.bucket, Key=key)
        return True

    def iter_keys(self) -> Iterator[str]:
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self.prefix
        )
        for page in pages:
            for obj in page.get("Contents", []):
                name = obj["Key"].rsplit("/", 1)[-1].removesuffix(".zst")
                if valid_key(name):
                    yield name

    def iter_blobs(self) -> Iterator[StoredBlob]:
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self.prefix
        )
        for page in pages:
            for obj in page.get("Contents", []):
                name = obj["Key"].rsplit("/", 1)[-1].removesuffix(".zst")
                if valid_key(name):
                    yield StoredBlob(name, obj["Size"], obj["LastModified"])

"""The orphan sweep and freeing of deleted links' blobs against S3 (SeaweedFS)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from huey.contrib.djhuey import HUEY

from snapshelf.library.housekeeping import sweep
from snapshelf.library.models import Blob, Link, Snapshot
from snapshelf.library.records import get_or_create_link
from snapshelf.storage import get_blob_store
from snapshelf.storage.s3 import S3BlobStore

pytestmark = pytest.mark.django_db


@pytest.fixture
def s3_store(settings, monkeypatch, s3_bucket) -> S3BlobStore:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "snapshelf")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "snapshelf-test")
    settings.SNAPSHELF_S3 = {
        "bucket": s3_bucket["bucket"],
        "prefix": s3_bucket["prefix"],
        "endpoint_url": s3_bucket["client"].meta.endpoint_url,
        "region_name": "us-east-1",
    }
    store = get_blob_store()
    assert isinstance(store, S3BlobStore)
    return store


def row(store: S3BlobStore, data: bytes) -> str:
    info = store.put(data)
    Blob.objects.create(sha256=info.sha256, size=info.size, stored_size=info.stored_size)
    return info.sha256


def test_sweep_on_s3(s3_store, settings):
    owner = get_user_model().objects.create_user("s3gc", "", "s3gc-password-123")
    link, _ = get_or_create_link(owner, "https://example.org/kept")
    used = row(s3_store, b"<p>referenced</p>")
    Snapshot.objects.create(link=link, version=1, status="done", original_blob_id=used)
    orphan_row = row(s3_store, b"a row nothing references")
    orphan_object = s3_store.put(b"an object without a row" * 20)

    settings.SNAPSHELF_GC_GRACE = 3600  # everything here was put just now: all kept
    assert sweep(dry_run=True).bytes == 0
    assert sweep().bytes == 0
    assert set(s3_store.iter_keys()) == {used, orphan_row, orphan_object.sha256}

    settings.SNAPSHELF_GC_GRACE = 0
    dry = sweep(dry_run=True)
    assert (dry.orphan_rows, dry.orphan_objects) == (1, 1)
    assert dry.orphan_object_bytes == orphan_object.stored_size
    assert len(set(s3_store.iter_keys())) == 3
    real = sweep()
    assert (real.orphan_rows, real.orphan_objects, real.bytes) == (1, 1, dry.bytes)
    assert set(s3_store.iter_keys()) == {used}
    assert list(Blob.objects.values_list("pk", flat=True)) == [used]


def test_deleting_a_link_frees_its_objects_on_s3(
    s3_store, settings, django_capture_on_commit_callbacks
):
    settings.SNAPSHELF_RETRY = {**settings.SNAPSHELF_RETRY, "lease": 0}  # nothing in flight
    owner = get_user_model().objects.create_user("s3gc", "", "s3gc-password-123")
    link, _ = get_or_create_link(owner, "https://example.org/gone")
    sha = row(s3_store, b"<p>only this link</p>")
    Snapshot.objects.create(link=link, version=1, status="done", original_blob_id=sha)
    HUEY.immediate = True  # the job deleting the bytes runs as it is queued
    try:
        with django_capture_on_commit_callbacks(execute=True):
            Link.objects.get(pk=link.pk).delete()
    finally:
        HUEY.immediate = False
    assert not Blob.objects.filter(pk=sha).exists()
    assert not s3_store.exists(sha)

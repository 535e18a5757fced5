"""The content-addressed blob store: dedup, atomicity, round trips."""

from __future__ import annotations

import hashlib
import os
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest

from snapshelf.storage import BlobNotFound, FilesystemBlobStore
from snapshelf.storage.s3 import S3BlobStore


@pytest.fixture
def fs_store(tmp_path):
    return FilesystemBlobStore(tmp_path / "blobs")


@pytest.fixture(params=["filesystem", "s3"])
def any_store(request, tmp_path):
    """The same behaviour is asked of every backend."""
    if request.param == "filesystem":
        return FilesystemBlobStore(tmp_path / "blobs")
    bucket = request.getfixturevalue("s3_bucket")
    return S3BlobStore(bucket["bucket"], prefix=bucket["prefix"], client=bucket["client"])


def test_round_trip_and_address(fs_store):
    data = b"body { color: red }\n" * 100
    info = fs_store.put(data)
    assert info.sha256 == hashlib.sha256(data).hexdigest()
    assert info.size == len(data)
    assert info.created
    assert fs_store.get(info.sha256) == data
    assert fs_store.exists(info.sha256)
    # compressed on disk, in a sharded folder
    path = fs_store.path(info.sha256)
    assert path.parent.parent.name == info.sha256[:2]
    assert path.parent.name == info.sha256[2:4]
    assert path.stat().st_size == info.stored_size < len(data)


def test_identical_bytes_stored_once(any_store):
    first = any_store.put(b"same bytes")
    second = any_store.put(b"same bytes")
    assert first.sha256 == second.sha256
    assert second.created is False
    assert list(any_store.iter_keys()) == [first.sha256]


def test_empty_blob(any_store):
    info = any_store.put(b"")
    assert any_store.get(info.sha256) == b""


def test_missing_and_malformed_keys(any_store):
    with pytest.raises(BlobNotFound):
        any_store.get("0" * 64)
    with pytest.raises(BlobNotFound):
        any_store.get("../../etc/passwd")
    assert not any_store.exists("not-a-hash")


def test_no_temp_files_left_and_concurrent_writers(any_store):
    payloads = [os.urandom(2048) for _ in range(8)]

    def work():
        for p in payloads:
            any_store.put(p)

    threads = [threading.Thread(target=work) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(any_store.iter_keys()) == sorted(hashlib.sha256(p).hexdigest() for p in payloads)
    if isinstance(any_store, FilesystemBlobStore):
        leftovers = [p for p in any_store.root.rglob("*") if p.name.startswith(".tmp-")]
        assert leftovers == []
    for p in payloads:
        assert any_store.get(hashlib.sha256(p).hexdigest()) == p


def test_failed_write_leaves_nothing(fs_store, monkeypatch):
    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        fs_store.put(b"never visible")
    assert list(fs_store.iter_keys()) == []
    assert [p for p in fs_store.root.rglob("*") if p.is_file()] == []


def test_delete(any_store):
    info = any_store.put(b"gone soon")
    any_store.delete(info.sha256)
    assert not any_store.exists(info.sha256)
    any_store.delete(info.sha256)  # idempotent


def test_s3_layout_matches_the_filesystem(s3_bucket):
    """Same key layout and bytes: a blob directory can be copied into a bucket as it is."""
    prefix = s3_bucket["prefix"]
    store = S3BlobStore(s3_bucket["bucket"], prefix=prefix, client=s3_bucket["client"])
    info = store.put(b"p { margin: 0 }" * 50)
    key = f"{prefix}/{info.sha256[:2]}/{info.sha256[2:4]}/{info.sha256}.zst"
    obj = s3_bucket["client"].get_object(Bucket=s3_bucket["bucket"], Key=key)
    assert len(obj["Body"].read()) == info.stored_size < info.size
    assert list(store.iter_keys()) == [info.sha256]


def test_iter_blobs_lists_stored_size_and_time(any_store):
    """What the orphan sweep reads: every blob with its stored size and modification time."""
    before = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=1)
    infos = [any_store.put(os.urandom(300)), any_store.put(b"abc" * 1000)]
    after = datetime.now(UTC) + timedelta(seconds=1)
    listed = {b.sha256: b for b in any_store.iter_blobs()}
    assert set(listed) == {i.sha256 for i in infos}
    for info in infos:
        assert listed[info.sha256].stored_size == info.stored_size
        assert before <= listed[info.sha256].modified <= after


def test_delete_keeps_a_blob_put_since_the_given_time(any_store):
    info = any_store.put(b"maybe referenced by a capture in flight")
    now = datetime.now(UTC)
    assert any_store.delete(info.sha256, unless_put_since=now - timedelta(hours=1)) is False
    assert any_store.get(info.sha256) == b"maybe referenced by a capture in flight"
    assert any_store.delete(info.sha256, unless_put_since=now + timedelta(hours=1)) is True
    assert not any_store.exists(info.sha256)
    assert any_store.delete(info.sha256) is False
    if isinstance(any_store, FilesystemBlobStore):  # nothing left aside
        assert [p for p in any_store.root.rglob("*") if p.is_file()] == []


def test_put_of_stored_bytes_refreshes_its_time(any_store, monkeypatch):
    """A capture told "already stored" must find the bytes still there when it commits."""
    import snapshelf.storage.s3 as s3

    monkeypatch.setattr(s3, "REFRESH_AFTER", timedelta(0))
    info = any_store.put(b"a shared stylesheet")
    if isinstance(any_store, FilesystemBlobStore):
        old = time.time() - 7 * 86400
        os.utime(any_store.path(info.sha256), (old, old))
    else:
        time.sleep(1.1)  # S3 times have whole seconds
    mark = datetime.now(UTC).replace(microsecond=0)
    assert any_store.put(b"a shared stylesheet").created is False
    (listed,) = list(any_store.iter_blobs())
    assert listed.modified >= mark
    assert any_store.delete(info.sha256, unless_put_since=mark) is False
    assert any_store.get(info.sha256) == b"a shared stylesheet"

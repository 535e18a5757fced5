"""The content-addressed blob store: dedup, atomicity, round trips."""

from __future__ import annotations

import hashlib
import os
import threading

import pytest

from snapshelf.storage import BlobNotFound, FilesystemBlobStore


@pytest.fixture
def store(tmp_path):
    return FilesystemBlobStore(tmp_path / "blobs")


def test_round_trip_and_address(store):
    data = b"body { color: red }\n" * 100
    info = store.put(data)
    assert info.sha256 == hashlib.sha256(data).hexdigest()
    assert info.size == len(data)
    assert info.created
    assert store.get(info.sha256) == data
    assert store.exists(info.sha256)
    # compressed on disk, in a sharded folder
    path = store.path(info.sha256)
    assert path.parent.parent.name == info.sha256[:2]
    assert path.parent.name == info.sha256[2:4]
    assert path.stat().st_size == info.stored_size < len(data)


def test_identical_bytes_stored_once(store):
    first = store.put(b"same bytes")
    second = store.put(b"same bytes")
    assert first.sha256 == second.sha256
    assert second.created is False
    assert list(store.iter_keys()) == [first.sha256]


def test_empty_blob(store):
    info = store.put(b"")
    assert store.get(info.sha256) == b""


def test_missing_and_malformed_keys(store):
    with pytest.raises(BlobNotFound):
        store.get("0" * 64)
    with pytest.raises(BlobNotFound):
        store.get("../../etc/passwd")
    assert not store.exists("not-a-hash")


def test_no_temp_files_left_and_concurrent_writers(store):
    payloads = [os.urandom(2048) for _ in range(8)]

    def work():
        for p in payloads:
            store.put(p)

    threads = [threading.Thread(target=work) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(store.iter_keys()) == sorted(hashlib.sha256(p).hexdigest() for p in payloads)
    leftovers = [p for p in store.root.rglob("*") if p.name.startswith(".tmp-")]
    assert leftovers == []
    for p in payloads:
        assert store.get(hashlib.sha256(p).hexdigest()) == p


def test_failed_write_leaves_nothing(store, monkeypatch):
    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        store.put(b"never visible")
    assert list(store.iter_keys()) == []
    assert [p for p in store.root.rglob("*") if p.is_file()] == []


def test_delete(store):
    info = store.put(b"gone soon")
    store.delete(info.sha256)
    assert not store.exists(info.sha256)
    store.delete(info.sha256)  # idempotent

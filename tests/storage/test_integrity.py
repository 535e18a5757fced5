"""Blobs are checked against their SHA-256 when read, on every backend; `snapshelf gc`
reports blobs whose bytes are missing or corrupt and removes the temporary files
crashed writes and deletions left behind."""

from __future__ import annotations

import json
import os
import time
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from snapshelf import cli
from snapshelf.library.housekeeping import sweep
from snapshelf.library.models import Blob
from snapshelf.storage import BlobCorrupt, BlobNotFound, FilesystemBlobStore, get_blob_store
from snapshelf.storage.codec import pack
from snapshelf.storage.s3 import S3BlobStore
from tests.library.helpers import capture
from tests.webserver import Reply


@pytest.fixture(params=["filesystem", "s3"])
def store_and_replace(request, tmp_path):
    """A store of each backend and a function writing raw stored bytes under a key."""
    if request.param == "filesystem":
        store = FilesystemBlobStore(tmp_path / "blobs")

        def replace(sha: str, raw: bytes) -> None:
            store.path(sha).write_bytes(raw)

        return store, replace
    bucket = request.getfixturevalue("s3_bucket")
    store = S3BlobStore(bucket["bucket"], prefix=bucket["prefix"], client=bucket["client"])

    def replace_object(sha: str, raw: bytes) -> None:
        bucket["client"].put_object(Bucket=bucket["bucket"], Key=store.key(sha), Body=raw)

    return store, replace_object


def test_a_replaced_blob_is_refused_on_read(store_and_replace):
    store, replace = store_and_replace
    genuine = store.put(b"<p>the page as captured</p>").sha256
    replace(genuine, pack(b"<script>something else entirely</script>"))
    with pytest.raises(BlobCorrupt) as caught:
        store.get(genuine)
    assert isinstance(caught.value, BlobNotFound)  # every reader treats it as unavailable
    assert genuine in str(caught.value) and "SHA-256" in str(caught.value)


def test_a_corrupt_blob_is_set_aside_so_the_next_put_writes_it_again(store_and_replace):
    store, replace = store_and_replace
    data = b"<p>bytes a capture will put again</p>"
    sha = store.put(data).sha256
    replace(sha, pack(b"something else"))
    with pytest.raises(BlobCorrupt):
        store.get(sha)
    assert not store.exists(sha)
    assert store.put(data).created and store.get(sha) == data
    assert sha in list(store.iter_keys())


def test_a_truncated_or_garbled_blob_is_refused_on_read(store_and_replace):
    store, replace = store_and_replace
    sha = store.put(b"stylesheet bytes " * 100).sha256
    replace(sha, pack(b"stylesheet bytes " * 100)[:-7])
    with pytest.raises(BlobCorrupt, match="not readable"):
        store.get(sha)
    replace(sha, b"not zstd at all")
    with pytest.raises(BlobCorrupt):
        store.get(sha)


def test_an_intact_blob_still_reads(store_and_replace):
    store, _replace = store_and_replace
    data = os.urandom(300_000)
    assert store.get(store.put(data).sha256) == data


def test_leftover_temporary_files_go_after_the_grace(tmp_path):
    store = FilesystemBlobStore(tmp_path / "blobs")
    sha = store.put(b"kept").sha256
    shard = store.path(sha).parent
    old = [shard / ".tmp-crashedwrite", shard / ".del-0123abcd"]
    young = shard / ".tmp-writing-now"
    for p in [*old, young]:
        p.write_bytes(b"x" * 100)
    two_days_ago = time.time() - 2 * 86400
    for p in old:
        os.utime(p, (two_days_ago, two_days_ago))
    cutoff = datetime.now(UTC) - timedelta(days=1)
    dry = store.sweep_leftovers(cutoff, dry_run=True)
    assert (dry.files, dry.bytes) == (2, 200) and all(p.exists() for p in old)
    done = store.sweep_leftovers(cutoff)
    assert (done.files, done.bytes) == (2, 200)
    assert not any(p.exists() for p in old)
    assert young.exists() and store.get(sha) == b"kept"


# -- through the database: gc and the archive ---------------------------------------------


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user("integrity", password="x")


def _captured(user, fixture_server, text: str = "Kept bytes."):
    """A done snapshot of a page with this text."""
    page = f"<title>Integrity</title><article><p>{text}</p></article>"
    fixture_server.route("/page", lambda req: Reply.html(page))
    snap = capture(user, fixture_server.url("/page"))
    assert snap.status == "done"
    return snap


@pytest.mark.django_db
def test_gc_reports_missing_and_corrupt_blobs_and_removes_leftovers(
    user, fixture_server, settings, capsys
):
    snap = _captured(user, fixture_server)
    store = get_blob_store()
    corrupt, missing = snap.original_blob_id, snap.root_blob_id
    store.path(corrupt).write_bytes(pack(b"replaced behind our back"))
    store.path(missing).unlink()
    leftover = store.path(corrupt).parent / ".tmp-crashed"
    leftover.write_bytes(b"half a blob")
    old = time.time() - 3 * 86400
    os.utime(leftover, (old, old))
    Blob.objects.update(created=Blob.objects.first().created - timedelta(seconds=5))

    assert cli.main(["gc", "--json"]) == 1  # without --verify: what is missing only
    listed = json.loads(capsys.readouterr().out)
    assert listed["missing"] == [missing] and listed["corrupt"] == []
    assert listed["leftover_files"] == 1 and not leftover.exists()

    assert cli.main(["gc", "--verify"]) == 1
    captured = capsys.readouterr()
    assert "1 blob(s) corrupt" in captured.err and corrupt in captured.err
    assert "1 blob(s) missing" in captured.err and missing in captured.err
    # the corrupt file was moved aside: now missing, and the next put of the same bytes
    # (a capture of the same page) writes them again
    report = sweep(verify=True)
    assert report.corrupt == [] and sorted(report.missing) == sorted([corrupt, missing])
    assert report.verified == Blob.objects.count()
    page = b"<title>Integrity</title><article><p>Kept bytes.</p></article>"
    assert store.put(page).created and store.get(corrupt) == page


@pytest.mark.django_db
def test_the_archive_does_not_serve_a_corrupted_original(user, fixture_server, client):
    snap = _captured(user, fixture_server, "Bytes served once, then refused.")
    store = get_blob_store()
    client.force_login(user)
    url = reverse("download-original", args=[snap.pk])
    ok = client.get(url)
    assert ok.status_code == 200 and b"served once" in ok.content
    store.path(snap.original_blob_id).write_bytes(pack(b"<script>alert(1)</script>"))
    refused = client.get(url)
    assert refused.status_code == 404
    assert b"alert" not in refused.content

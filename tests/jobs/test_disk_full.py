"""A full disk is reported as `disk_full`, not `internal`: the blob write fails with the
kernel's own ENOSPC (from /dev/full), and the capture says so, keeping nothing."""

from __future__ import annotations

import pytest

from snapshelf.jobs import capture as capture_module
from snapshelf.jobs.capture import disk_full, run_capture
from snapshelf.library.models import Snapshot
from snapshelf.library.records import add_link
from snapshelf.storage import FilesystemBlobStore
from tests.webserver import Reply

pytestmark = pytest.mark.django_db


class FullDisk(FilesystemBlobStore):
    """Every new blob is written to /dev/full: the write fails as on a full disk."""

    def put(self, data: bytes):
        with open("/dev/full", "wb") as f:
            f.write(data)
            f.flush()
        raise AssertionError("/dev/full accepted a write")


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user("full", password="x")


def test_a_full_disk_fails_the_capture_as_disk_full(user, fixture_server, tmp_path, monkeypatch):
    fixture_server.route("/p", lambda req: Reply.html("<title>P</title><p>Text.</p>"))
    monkeypatch.setattr(capture_module, "get_blob_store", lambda: FullDisk(tmp_path))
    _link, snap = add_link(user, fixture_server.url("/p"))
    captured = run_capture(snap.pk)
    snap = captured.snapshot
    assert (snap.status, snap.error_code) == ("failed", "disk_full")
    assert "disk is full" in snap.error and captured.retry_in is None
    assert not Snapshot.objects.filter(status="done").exists()


def test_sqlite_full_is_disk_full_too():
    import sqlite3

    assert disk_full(sqlite3.OperationalError("database or disk is full")).code == "disk_full"
    assert disk_full(ValueError("something else")) is None

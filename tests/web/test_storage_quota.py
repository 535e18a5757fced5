"""The per-user storage quota (SNAPSHELF_USER_STORAGE_MB): a user whose captures fill it is
refused at the door before anything is queued, and a capture that would take its owner
past it fails as `storage_quota` when it commits, with nothing stored. Other users and
superusers are not affected."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from snapshelf.jobs.capture import run_capture
from snapshelf.library import usage
from snapshelf.library.models import Blob, Link, Snapshot
from snapshelf.library.records import add_link
from snapshelf.services import quota
from snapshelf.services.links import save_link
from tests.webserver import Reply

pytestmark = pytest.mark.django_db

MB = 2**20


@pytest.fixture(autouse=True)
def one_mb_each(settings):
    settings.SNAPSHELF_USER_STORAGE_BYTES = MB


def _done(user, url: str, size: int) -> Snapshot:
    """A finished capture of `size` bytes (the quota counts what was captured)."""
    _link, snap = add_link(user, url)
    Snapshot.objects.filter(pk=snap.pk).update(status=Snapshot.Status.DONE, total_bytes=size)
    return snap


def test_a_full_account_is_refused_at_the_door_with_nothing_queued(client, user, other_user):
    _done(user, "https://example.org/big", MB)
    client.force_login(user)
    refused = client.post(
        "/links/add", {"url": "https://example.org/more", "tags": ""}, HTTP_HX_REQUEST="true"
    )
    assert "fill your storage quota (1 MB of 1 MB)" in refused.content.decode()
    assert not Link.objects.filter(url="https://example.org/more").exists()
    with pytest.raises(quota.StorageQuotaExceeded) as refusal:
        save_link(user, "https://example.org/more")
    assert refusal.value.wait_seconds is None  # waiting does not help: no Retry-After
    # another user has their own quota
    assert save_link(other_user, "https://example.org/bob").snapshot.status == "queued"


def test_a_capture_past_the_quota_fails_at_commit_and_keeps_nothing(user, fixture_server):
    _done(user, "https://example.org/old", MB - 100_000)
    body = "<title>Big</title><p>" + "words " * 40_000 + "</p>"  # 240 kB > 100 kB left
    fixture_server.route("/big", lambda req: Reply.html(body))
    blobs_before = Blob.objects.count()
    _link, snap = add_link(user, fixture_server.url("/big"))
    captured = run_capture(snap.pk)
    assert (captured.snapshot.status, captured.snapshot.error_code) == ("failed", "storage_quota")
    assert "storage quota" in captured.snapshot.error and captured.retry_in is None
    assert Blob.objects.count() == blobs_before
    assert usage.used_bytes(user.pk) == MB - 100_000
    # a small page still fits
    fixture_server.route("/small", lambda req: Reply.html("<title>S</title><p>Short.</p>"))
    _link, small = add_link(user, fixture_server.url("/small"))
    assert run_capture(small.pk).snapshot.status == "done"


def test_superusers_and_a_zero_setting_are_not_limited(settings, user):
    root = get_user_model().objects.create_superuser("root", "", "root-password-123")
    _done(root, "https://example.org/huge", 50 * MB)
    assert usage.over_quota(root.pk) is None
    _done(user, "https://example.org/huge", 50 * MB)
    assert usage.over_quota(user.pk) == (50 * MB, MB)
    settings.SNAPSHELF_USER_STORAGE_BYTES = 0
    assert usage.over_quota(user.pk) is None


def test_screenshots_and_pdfs_count_towards_the_quota(user):
    snap = _done(user, "https://example.org/shot", 300_000)
    Blob.objects.create(sha256="a" * 64, size=500_000, stored_size=400_000)
    Blob.objects.create(sha256="b" * 64, size=400_000, stored_size=300_000)
    Snapshot.objects.filter(pk=snap.pk).update(screenshot_blob_id="a" * 64, pdf_blob_id="b" * 64)
    assert usage.used_bytes(user.pk) == 1_200_000
    assert usage.over_quota(user.pk) == (1_200_000, MB)

"""A whole capture stored in S3 (SeaweedFS) and served back from it."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from snapshelf.storage import get_blob_store
from snapshelf.storage.s3 import S3BlobStore
from tests.library.helpers import capture
from tests.paths import CORPORA

MDN = CORPORA / "mdn-learning-area-pages"
PAGE = "/mdn/css/styling-text/web-fonts/web-font-finished.html"


@pytest.mark.django_db
def test_capture_and_replay_through_s3(settings, monkeypatch, s3_bucket, fixture_server, client):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "snapshelf")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "snapshelf-test")
    settings.SNAPSHELF_S3 = {
        "bucket": s3_bucket["bucket"],
        "prefix": s3_bucket["prefix"],
        "endpoint_url": s3_bucket["client"].meta.endpoint_url,
        "region_name": "us-east-1",
    }
    settings.SNAPSHELF_BLOB_DIR = "/nonexistent/never-used"
    fixture_server.mount("/mdn/", MDN)

    owner = get_user_model().objects.create_user("s3user", "", "s3-password-123")
    snap = capture(owner, fixture_server.url(PAGE))
    assert snap.status == "done", snap.error
    store = get_blob_store()
    assert isinstance(store, S3BlobStore)
    keys = set(store.iter_keys())
    assert snap.root_blob_id in keys and snap.original_blob_id in keys
    assert len(keys) >= 1 + snap.resource_count
    client.force_login(owner)
    frame = client.get(reverse("link", args=[snap.link_id]) + "?tab=archive").content.decode()
    archive = re.search(r'<iframe class="archive"[^>]*src="([^"]+)"', frame).group(1)
    page = client.get(archive)
    assert page.status_code == 200 and b"<html" in page.content.lower()

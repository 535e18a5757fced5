"""A malformed PDF keeps its bytes: the capture is done, its text extraction is marked
failed (`extract_failed`), instead of the whole capture failing and the bytes dropped."""

from __future__ import annotations

import pytest

from snapshelf.jobs.capture import run_capture
from snapshelf.library.records import add_link
from snapshelf.storage import get_blob_store
from tests.webserver import Reply

pytestmark = pytest.mark.django_db

BROKEN = b"%PDF-1.7\n" + b"\xff\x00 not really a pdf " * 200


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user("pdfs", password="x")


def test_a_malformed_pdf_is_kept_and_its_extraction_marked_failed(user, fixture_server):
    headers = {"Content-Type": "application/pdf"}
    fixture_server.route("/report.pdf", lambda req: Reply(200, headers, BROKEN))
    _link, snap = add_link(user, fixture_server.url("/report.pdf"))
    captured = run_capture(snap.pk)
    snap = captured.snapshot
    assert captured.retry_in is None
    assert snap.status == "done" and snap.kind == "pdf"
    assert snap.error_code == "extract_failed" and "PDF" in snap.error
    assert get_blob_store().get(snap.original_blob_id) == BROKEN
    assert snap.title == "report.pdf" and snap.text == ""

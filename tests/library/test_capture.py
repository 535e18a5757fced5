"""The capture pipeline and its commit, against real local HTTP servers."""

from __future__ import annotations

import gzip
import io
from datetime import timedelta

import pytest
from django.db import IntegrityError
from django.utils import timezone

from snapshelf.jobs import capture as capture_module
from snapshelf.library.models import Blob, Link, Resource, Snapshot
from snapshelf.library.records import add_link
from snapshelf.storage import get_blob_store
from tests.library.helpers import capture
from tests.paths import CORPORA
from tests.webserver import Reply

pytestmark = pytest.mark.django_db

PAGE = """<!doctype html><html lang="en"><head><title>Shared style page {n}</title>
<link rel="stylesheet" href="/shared.css"></head>
<body><article><h1>Page number {n}</h1><p>{body}</p></article></body></html>"""
LOREM = "Snapshots keep the web as it was, so that links do not rot away. " * 20


def _pages(server, count: int) -> list[str]:
    server.route(
        "/shared.css", lambda req: Reply(200, {"Content-Type": "text/css"}, b"body{color:#123}")
    )
    urls = []
    for n in range(count):
        html = PAGE.format(n=n, body=LOREM)
        server.route(f"/p{n}.html", lambda req, html=html: Reply.html(html))
        urls.append(server.url(f"/p{n}.html"))
    return urls


def test_saving_again_adds_a_version_not_a_link(fixture_server, user):
    url = _pages(fixture_server, 1)[0]
    first = capture(user, url, tags=["docker"])
    # the page changed: identical text would keep v1 (tests/library/test_versions.py)
    changed = PAGE.format(n=0, body=LOREM + " Updated since.")
    fixture_server.route("/p0.html", lambda req: Reply.html(changed))
    second = capture(user, url + "#fragment", tags=["windows"])
    assert Link.objects.filter(owner=user).count() == 1
    link = Link.objects.get(owner=user)
    assert [s.version for s in link.snapshots.order_by("version")] == [1, 2]
    assert link.latest_snapshot_id == second.pk != first.pk
    assert sorted(t.name for t in link.tags.all()) == ["docker", "windows"]
    assert second.title == "Shared style page 0"


def test_links_are_per_owner(fixture_server, user, other_user):
    url = _pages(fixture_server, 1)[0]
    a, _ = add_link(user, url)
    b, _ = add_link(other_user, url)
    assert a.pk != b.pk


def test_same_stylesheet_in_50_snapshots_is_stored_once(fixture_server, user, other_user):
    urls = _pages(fixture_server, 50)
    for i, url in enumerate(urls):
        snap = capture(user if i % 2 else other_user, url)
        assert snap.status == Snapshot.Status.DONE, snap.error
    css = Resource.objects.filter(url__endswith="/shared.css")
    assert css.count() == 50
    assert css.values("blob_id").distinct().count() == 1
    sha = css.first().blob_id
    assert Blob.objects.filter(sha256=sha).count() == 1
    store = get_blob_store()
    assert [k for k in store.iter_keys() if k == sha] == [sha]


def test_crash_between_blobs_and_commit_leaves_no_half_snapshot(fixture_server, user, monkeypatch):
    url = _pages(fixture_server, 1)[0]
    _link, snap = add_link(user, url)

    def crash(*args, **kwargs):
        raise IntegrityError("simulated crash in the commit transaction")

    monkeypatch.setattr(Resource.objects, "bulk_create", crash)
    snap = capture_module.run_capture(snap.pk).snapshot
    assert snap.status == Snapshot.Status.FAILED
    assert snap.error_code == "internal"
    assert snap.resources.count() == 0
    assert snap.root_blob_id is None and snap.text == ""
    # blobs were written before the transaction, but no row references them
    assert Blob.objects.count() == 0
    assert list(get_blob_store().iter_keys())

    monkeypatch.undo()  # the retry succeeds
    Snapshot.objects.filter(pk=snap.pk).update(status=Snapshot.Status.QUEUED)
    snap = capture_module.run_capture(snap.pk).snapshot
    assert snap.status == Snapshot.Status.DONE
    assert snap.resources.count() == 1


def test_capture_that_raises_is_failed_not_running(fixture_server, user, monkeypatch):
    url = _pages(fixture_server, 1)[0]
    _link, snap = add_link(user, url)

    def explode(*args, **kwargs):
        raise RuntimeError("bug in the extractor")

    monkeypatch.setattr(capture_module, "capture_static", explode)
    snap = capture_module.run_capture(snap.pk).snapshot
    assert snap.status == Snapshot.Status.FAILED
    assert "bug in the extractor" in snap.error


def test_done_snapshot_is_not_captured_twice(fixture_server, user):
    url = _pages(fixture_server, 1)[0]
    snap = capture(user, url)
    fixture_server.reset()
    again = capture_module.run_capture(snap.pk).snapshot
    assert again.status == Snapshot.Status.DONE
    assert fixture_server.requests == []


@pytest.mark.parametrize(("status", "code"), [(404, "http_error"), (403, "http_error")])
def test_http_errors_fail_with_a_code(fixture_server, user, status, code):
    fixture_server.route("/err", lambda req: Reply(status, {"Content-Type": "text/html"}, b"nope"))
    snap = capture(user, fixture_server.url("/err"))
    assert snap.status == Snapshot.Status.FAILED
    assert snap.error_code == code
    assert str(status) in snap.error


def test_forbidden_destination_is_blocked_and_canary_untouched(fixture_server, canary_server, user):
    fixture_server.route("/to-canary", lambda req: Reply.redirect(canary_server.url("/secret")))
    snap = capture(user, fixture_server.url("/to-canary"))
    assert snap.status == Snapshot.Status.FAILED
    assert snap.error_code == "blocked"
    snap = capture(user, canary_server.url("/direct"))
    assert snap.error_code == "blocked"
    assert canary_server.requests == []


def test_subresource_on_forbidden_address_is_not_fetched(fixture_server, canary_server, user):
    img = canary_server.url("/x.png")
    html = f'<html><head><title>t</title></head><body><img src="{img}"><p>hi</p></body></html>'
    fixture_server.route("/leaky", lambda req: Reply.html(html))
    snap = capture(user, fixture_server.url("/leaky"))
    assert snap.status == Snapshot.Status.DONE
    res = snap.resources.get()
    assert res.error_code == "blocked"
    assert canary_server.requests == []


def test_gbk_page_without_charset_header(fixture_server, user):
    raw = gzip.decompress((CORPORA / "cx-extractor-163-gbk" / "RawHtml" / "1.html.gz").read_bytes())
    fixture_server.route("/gbk", lambda req: Reply(200, {"Content-Type": "text/html"}, raw))
    snap = capture(user, fixture_server.url("/gbk"))
    assert snap.status == Snapshot.Status.DONE
    assert snap.charset == "gb18030"
    expected = (CORPORA / "cx-extractor-163-gbk" / "Text" / "1.txt").read_bytes().decode("gb18030")
    first_line = next(line.strip() for line in expected.splitlines() if len(line.strip()) > 10)
    assert first_line[:10] in snap.text
    replay = get_blob_store().get(snap.root_blob_id).decode("utf-8")
    assert '<meta charset="utf-8">' in replay.lower()
    assert first_line[:10] in replay


def _pdf_bytes(text: str) -> bytes:
    from pypdf import PdfWriter
    from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

    writer = PdfWriter()
    page = writer.add_blank_page(width=300, height=200)
    font = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type1"),
            NameObject("/BaseFont"): NameObject("/Helvetica"),
        }
    )
    page[NameObject("/Resources")] = DictionaryObject(
        {NameObject("/Font"): DictionaryObject({NameObject("/F1"): writer._add_object(font)})}
    )
    stream = DecodedStreamObject()
    stream.set_data(f"BT /F1 12 Tf 20 100 Td ({text}) Tj ET".encode())
    page[NameObject("/Contents")] = writer._add_object(stream)
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def test_pdf_is_stored_with_its_text(fixture_server, user):
    pdf = _pdf_bytes("Quarterly report on snapshot fidelity")
    fixture_server.route(
        "/report", lambda req: Reply(200, {"Content-Type": "application/octet-stream"}, pdf)
    )
    snap = capture(user, fixture_server.url("/report"))
    assert snap.status == Snapshot.Status.DONE, snap.error
    assert snap.kind == "pdf"
    assert "Quarterly report" in snap.text
    assert get_blob_store().get(snap.original_blob_id) == pdf
    assert snap.root_blob_id is None


def test_image_and_text_documents_are_stored_as_they_are(fixture_server, user):
    png = (CORPORA / "mdn-learning-area-pages").rglob("*.png").__next__().read_bytes()
    fixture_server.route("/pic", lambda req: Reply(200, {"Content-Type": "image/png"}, png))
    fixture_server.route(
        "/notes.txt",
        lambda req: Reply(
            200, {"Content-Type": "text/plain; charset=utf-8"}, "纯文本笔记 plain notes".encode()
        ),
    )
    pic = capture(user, fixture_server.url("/pic"))
    txt = capture(user, fixture_server.url("/notes.txt"))
    assert (pic.kind, pic.status) == ("image", Snapshot.Status.DONE)
    assert get_blob_store().get(pic.original_blob_id) == png
    assert (txt.kind, txt.status) == ("text", Snapshot.Status.DONE)
    assert "纯文本笔记" in txt.text
    assert txt.title


def test_server_errors_are_retried_with_backoff_then_succeed(fixture_server, user, settings):
    settings.SNAPSHELF_RETRY = {**settings.SNAPSHELF_RETRY, "attempts": 4, "base_delay": 8.0}
    answers = iter([503, 500])
    fixture_server.route(
        "/flaky",
        lambda req: Reply(next(answers, 200), {"Content-Type": "text/html"}, b"<title>ok</title>"),
    )
    _link, snap = add_link(user, fixture_server.url("/flaky"))
    first = capture_module.run_capture(snap.pk)
    assert first.snapshot.status == Snapshot.Status.QUEUED
    assert first.snapshot.error_code == "http_error"
    assert 4.0 <= first.retry_in <= 8.0  # full jitter in the upper half of base * 2**0
    assert "503" in first.snapshot.error and "retrying" in first.snapshot.error
    second = capture_module.run_capture(snap.pk)
    assert second.snapshot.status == Snapshot.Status.QUEUED and 8.0 <= second.retry_in <= 16.0
    third = capture_module.run_capture(snap.pk)
    assert third.snapshot.status == Snapshot.Status.DONE and third.retry_in is None
    assert third.snapshot.attempts == 3 and third.snapshot.error == ""


def test_retry_after_is_honoured_and_tries_run_out(fixture_server, user, settings):
    settings.SNAPSHELF_RETRY = {**settings.SNAPSHELF_RETRY, "attempts": 2}
    fixture_server.route(
        "/busy", lambda req: Reply(429, {"Retry-After": "7", "Content-Type": "text/plain"}, b"")
    )
    _link, snap = add_link(user, fixture_server.url("/busy"))
    first = capture_module.run_capture(snap.pk)
    assert first.snapshot.status == Snapshot.Status.QUEUED and first.retry_in == 7.0
    last = capture_module.run_capture(snap.pk)
    assert last.snapshot.status == Snapshot.Status.FAILED and last.retry_in is None
    assert "429" in last.snapshot.error and last.snapshot.attempts == 2


def test_permanent_failures_are_not_retried(fixture_server, canary_server, user):
    fixture_server.route("/gone", lambda req: Reply(404, {"Content-Type": "text/html"}, b"no"))
    for url in (fixture_server.url("/gone"), canary_server.url("/x")):
        _link, snap = add_link(user, url)
        captured = capture_module.run_capture(snap.pk)
        assert captured.snapshot.status == Snapshot.Status.FAILED and captured.retry_in is None
    assert canary_server.requests == []


def test_stale_running_capture_is_recovered_once(fixture_server, user):
    url = _pages(fixture_server, 1)[0]
    _link, snap = add_link(user, url)
    long_ago = timezone.now() - timedelta(hours=2)
    Snapshot.objects.filter(pk=snap.pk).update(status=Snapshot.Status.RUNNING, started=long_ago)
    # a duplicate delivery of the job does not run a capture that is (still) running
    assert capture_module.run_capture(snap.pk).snapshot.status == Snapshot.Status.RUNNING
    assert fixture_server.requests == []
    assert capture_module.recover_stale() == [snap.pk]
    assert capture_module.recover_stale() == []  # a second worker recovers nothing
    assert Snapshot.objects.get(pk=snap.pk).error_code == "lease_expired"
    assert capture_module.run_capture(snap.pk).snapshot.status == Snapshot.Status.DONE

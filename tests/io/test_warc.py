"""WARC export and import (issue 18): what a capture keeps (response headers), what the
WARC holds (warcinfo, request/response pairs with those headers and the bytes as fetched,
revisits for bytes already written), `warcio check`, and a WARC made elsewhere (the IANA
crawl) or by us becoming snapshots again without a fetch."""

from __future__ import annotations

import gzip
import io
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model
from warcio.archiveiterator import ArchiveIterator

from snapshelf.io.warc import WarcError, read_warc, snapshot_warc, warc_chunks
from snapshelf.io.warc_import import import_warc, looks_like_warc
from snapshelf.library.models import Link, Resource, Snapshot
from snapshelf.storage import get_blob_store
from tests.library.helpers import capture
from tests.paths import CORPORA

pytestmark = pytest.mark.django_db

MDN = CORPORA / "mdn-learning-area-pages" / "html" / "introduction-to-html"
PAGE_DIR = "structuring-a-page-of-content-finished"
IANA = CORPORA / "pywb-iana-warc" / "iana.warc.gz"
WARCIO = Path(sys.executable).with_name("warcio")


@pytest.fixture
def user(db):
    return get_user_model().objects.create_user("alice", "", "alice-password-123")


@pytest.fixture
def other_user(db):
    return get_user_model().objects.create_user("bob", "", "bob-password-123")


@pytest.fixture(autouse=True)
def fresh_blobs(settings, tmp_path):
    settings.SNAPSHELF_BLOB_DIR = tmp_path / "blobs"


def capture_mdn(server, owner) -> Snapshot:
    """The MDN 'structuring a page' example (text, a stylesheet, images), captured live."""
    server.mount("/", MDN)
    snap = capture(owner, server.url(f"/{PAGE_DIR}/index.html", host="site.test"))
    assert snap.status == Snapshot.Status.DONE, snap.error
    return snap


def records(data: bytes) -> list:
    """(type, target URI, WARC headers, HTTP headers, payload) of every record."""
    out = []
    for rec in ArchiveIterator(io.BytesIO(data)):
        payload = rec.content_stream().read()
        out.append(
            (
                rec.rec_type,
                rec.rec_headers.get_header("WARC-Target-URI"),
                rec.rec_headers,
                rec.http_headers,
                payload,
            )
        )
    return out


def warcio_check(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(WARCIO), "check", "-v", str(path)], capture_output=True, text=True, timeout=120
    )


def test_a_capture_keeps_the_response_headers(fixture_server, user):
    snap = capture_mdn(fixture_server, user)
    names = {name.lower() for name, _value in snap.headers}
    assert "content-type" in names
    assert dict((n.lower(), v) for n, v in snap.headers)["content-type"].startswith("text/html")
    css = snap.resources.get(url__endswith="/style.css")
    assert ("content-type", "text/css") in {(n.lower(), v.split(";")[0]) for n, v in css.headers}


def test_snapshot_warc_holds_request_response_pairs_and_passes_warcio_check(
    fixture_server, user, tmp_path
):
    snap = capture_mdn(fixture_server, user)
    path = tmp_path / "one.warc.gz"
    with path.open("wb") as f:
        stats = snapshot_warc(snap, f)
    check = warcio_check(path)
    assert check.returncode == 0, check.stdout + check.stderr
    data = path.read_bytes()
    assert data[:2] == b"\x1f\x8b"
    recs = records(data)
    assert recs[0][0] == "warcinfo"
    assert b"software: Snapshelf" in recs[0][4]
    assert b"snapshelf-synthesised-headers: none" in recs[0][4]
    responses = {uri: (http, body) for kind, uri, _w, http, body in recs if kind == "response"}
    requests = [uri for kind, uri, *_ in recs if kind == "request"]
    assert sorted(requests) == sorted(responses)  # one request per response
    store = get_blob_store()
    http, body = responses[snap.final_url]
    assert body == store.get(snap.original_blob_id)
    assert http.get_statuscode() == "200"
    assert http.get_header("Content-Type").startswith("text/html")
    assert http.get_header("Content-Length") == str(len(body))
    stored = list(snap.resources.filter(error_code="").exclude(blob=None))
    assert len(stored) >= 3
    for res in stored:
        http, body = responses[res.url]
        assert body == store.get(res.blob_id), res.url
        assert (
            http.get_header("Content-Type")
            == dict((n.lower(), v) for n, v in res.headers)["content-type"]
        )
    kinds = {r.kind for r in stored}
    assert {"stylesheet", "image"} <= kinds
    assert stats.responses == len(responses) and stats.revisits == 0


def test_bytes_written_once_then_revisit_records(fixture_server, user, tmp_path):
    first = capture_mdn(fixture_server, user)
    Snapshot.objects.filter(pk=first.pk).update(force=True)
    second = Link.objects.get(pk=first.link_id)
    from snapshelf.jobs.capture import run_capture
    from snapshelf.library.records import new_snapshot

    again = run_capture(new_snapshot(second, force=True).pk).snapshot
    assert again.pk != first.pk and again.status == Snapshot.Status.DONE
    snaps = Snapshot.objects.filter(pk__in=[first.pk, again.pk]).select_related("link")
    data = b"".join(warc_chunks(snaps.order_by("version"), filename="two.warc.gz"))
    path = tmp_path / "two.warc.gz"
    path.write_bytes(data)
    check = warcio_check(path)
    assert check.returncode == 0, check.stdout + check.stderr
    recs = records(data)
    responses = [r for r in recs if r[0] == "response"]
    revisits = [r for r in recs if r[0] == "revisit"]
    # the second version's document and resources are the same bytes: all revisits
    assert len(revisits) == len(responses)
    by_uri = {r[1]: r for r in responses}
    for _kind, _uri, warc, http, payload in revisits:
        assert payload == b""
        original = by_uri[warc.get_header("WARC-Refers-To-Target-URI")]
        assert warc.get_header("WARC-Payload-Digest") == original[2].get_header(
            "WARC-Payload-Digest"
        )
        assert http.get_statuscode() == "200"


def test_captures_without_kept_headers_get_synthesised_ones_and_say_so(
    fixture_server, user, tmp_path
):
    snap = capture_mdn(fixture_server, user)
    Snapshot.objects.filter(pk=snap.pk).update(headers=[])
    Resource.objects.filter(snapshot=snap).update(headers=[])
    snap.refresh_from_db()
    out = io.BytesIO()
    stats = snapshot_warc(snap, out)
    path = tmp_path / "old.warc.gz"
    path.write_bytes(out.getvalue())
    assert warcio_check(path).returncode == 0
    recs = records(out.getvalue())
    responses = [r for r in recs if r[0] == "response"]
    assert stats.synthesised == len(responses)
    assert f"{len(responses)} responses of captures made before".encode() in recs[0][4]
    for _kind, _uri, warc, http, body in responses:
        assert warc.get_header("Snapshelf-Headers") == "synthesised"
        assert [n for n, _v in http.headers] == ["Content-Type", "Content-Length"]
        assert http.get_header("Content-Length") == str(len(body))
    doc = next(r for r in responses if r[1] == snap.final_url)
    assert doc[3].get_header("Content-Type") == f"text/html; charset={snap.charset}"


def test_content_encoding_is_dropped_as_payloads_are_stored_decoded(fixture_server, user):
    snap = capture_mdn(fixture_server, user)
    Snapshot.objects.filter(pk=snap.pk).update(
        headers=[
            ["Content-Type", "text/html"],
            ["Content-Encoding", "gzip"],
            ["Content-Length", "12"],
            ["Transfer-Encoding", "chunked"],
            ["X-Evil", "a\r\nInjected: 1"],
        ]
    )
    snap.refresh_from_db()
    out = io.BytesIO()
    snapshot_warc(snap, out)
    doc = next(r for r in records(out.getvalue()) if r[1] == snap.final_url)
    http = doc[3]
    assert http.get_header("Content-Encoding") is None
    assert http.get_header("Transfer-Encoding") is None
    assert http.get_header("Content-Length") == str(len(doc[4]))
    assert http.get_header("Injected") is None and http.get_header("X-Evil") == "a Injected: 1"


# -- import ----------------------------------------------------------------------------------


def test_the_iana_crawl_imports_as_snapshots_with_its_resources(user):
    links = import_warc(user, IANA, tags=["iana"])
    archive = read_warc(IANA)
    pages = archive.pages()
    assert len(pages) >= 10 and len(links) == len(pages)
    assert Link.objects.filter(owner=user).count() == len(pages)
    home = Link.objects.get(owner=user, url="http://www.iana.org/")
    snap = home.latest_snapshot
    assert snap.status == Snapshot.Status.DONE and snap.mode == Snapshot.Mode.IMPORTED
    assert "Internet Assigned Numbers Authority" in snap.title + snap.text
    assert snap.finished.year == 2014  # when the crawl was made
    assert [t.name for t in home.tags.all()] == ["iana"]
    stored = {urlsplit(r.url).path: r for r in snap.resources.filter(error_code="")}
    assert "/_css/2013.1/screen.css" in stored
    fonts = [p for p in stored if p.endswith((".ttf", ".otf"))]
    assert fonts
    store = get_blob_store()
    for p in fonts:
        entry = archive.resolve(stored[p].url)[0]
        assert store.get(stored[p].blob_id) == archive.payload(entry)
    css = stored["/_css/2013.1/screen.css"]
    assert dict((n.lower(), v) for n, v in css.headers)["content-type"].startswith("text/css")
    replay = store.get(snap.root_blob_id).decode()
    assert "/_css/2013.1/screen.css" not in replay  # rewritten to the stored copy


def test_importing_the_same_file_again_keeps_one_version(user):
    import_warc(user, IANA, pages=["http://www.iana.org/"])
    import_warc(user, IANA, pages=["http://www.iana.org/"])
    link = Link.objects.get(owner=user)
    assert link.snapshots.count() == 1
    assert link.snapshots.get().checks == 1


def test_our_warc_imports_back_with_the_same_page(fixture_server, user, other_user, tmp_path):
    snap = capture_mdn(fixture_server, user)
    path = tmp_path / "ours.warc.gz"
    with path.open("wb") as f:
        snapshot_warc(snap, f)
    fixture_server.reset()  # nothing is fetched: the server no longer serves the page
    (link,) = import_warc(other_user, path)
    back = link.latest_snapshot
    assert back.status == Snapshot.Status.DONE
    assert back.text == snap.text and back.title == snap.title
    mine = {r.url: r.blob_id for r in snap.resources.filter(error_code="")}
    theirs = {r.url: r.blob_id for r in back.resources.filter(error_code="")}
    assert theirs == mine
    assert fixture_server.requests == []


def test_a_file_that_is_not_a_warc_saves_nothing(user, tmp_path):
    bad = tmp_path / "bookmarks.warc"
    bad.write_text("<!DOCTYPE NETSCAPE-Bookmark-file-1>\n<DL><DT><A HREF='http://x.org/'>x</A>")
    with pytest.raises(WarcError, match="not a readable WARC"):
        import_warc(user, bad)
    empty = tmp_path / "empty.warc.gz"
    empty.write_bytes(gzip.compress(b""))
    with pytest.raises(WarcError):
        import_warc(user, empty)
    with pytest.raises(WarcError, match="not in"):
        import_warc(user, IANA, pages=["http://www.iana.org/", "http://nowhere.test/"])
    assert not Link.objects.exists()
    assert not looks_like_warc(bad.read_bytes()[:512])
    assert looks_like_warc(IANA.read_bytes()[:512])


def test_a_browser_capture_keeps_headers_and_its_warc_says_the_document_is_rendered(
    fixture_server, user, tmp_path
):
    mp = pytest.MonkeyPatch()
    mp.setenv("SNAPSHELF_BROWSER", "auto")
    from snapshelf.capture import browser_check
    from snapshelf.jobs.capture import run_capture
    from snapshelf.library.records import add_link
    from tests.library.test_capture_modes import stop_browser_service

    try:
        assert browser_check.browser_available(refresh=True)[0], "make setup installs chromium"
        fixture_server.mount("/", MDN)
        url = fixture_server.url(f"/{PAGE_DIR}/index.html", host="site.test")
        _link, queued = add_link(user, url, mode="browser")
        snap = run_capture(queued.pk).snapshot
        assert snap.status == Snapshot.Status.DONE and snap.mode == "browser", snap.error
        assert "content-type" in {name.lower() for name, _v in snap.headers}
        css = snap.resources.get(url__endswith="/style.css")
        assert "content-type" in {name.lower() for name, _v in css.headers}
        out = io.BytesIO()
        snapshot_warc(snap, out)
        path = tmp_path / "browser.warc.gz"
        path.write_bytes(out.getvalue())
        assert warcio_check(path).returncode == 0
        doc = next(r for r in records(out.getvalue()) if r[1] == snap.final_url)
        assert doc[2].get_header("Snapshelf-Payload") == "rendered-dom"
        assert doc[3].get_header("Content-Type") == "text/html; charset=utf-8"
        assert doc[4] == get_blob_store().get(snap.original_blob_id)
    finally:
        stop_browser_service()
        mp.undo()
        browser_check.browser_available(refresh=True)

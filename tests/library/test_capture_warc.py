"""Replay the pywb capture of www.iana.org (2014) on 127.0.0.1 and snapshot it.

The archived responses are the reference: our snapshot of each HTML page must
hold the same stylesheets, web fonts and images the original crawl fetched.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from warcio.archiveiterator import ArchiveIterator

from snapshelf.library.models import Snapshot
from snapshelf.storage import get_blob_store
from tests.library.helpers import capture, is_local_reference, resource_references
from tests.paths import CORPORA
from tests.webserver import TEST_HOSTS, Reply

pytestmark = pytest.mark.django_db

WARC = CORPORA / "pywb-iana-warc" / "iana.warc.gz"
HOST = "www.iana.org"


def load_records() -> dict[str, tuple[int, str, str | None, bytes]]:
    """path?query -> (status, content type, location, body) of the first response per URL."""
    records: dict[str, tuple[int, str, str | None, bytes]] = {}
    with WARC.open("rb") as f:
        for record in ArchiveIterator(f):
            if record.rec_type != "response":
                continue
            parts = urlsplit(record.rec_headers.get_header("WARC-Target-URI"))
            key = parts.path + (f"?{parts.query}" if parts.query else "")
            if parts.hostname != HOST or key in records:
                continue
            http = record.http_headers
            records[key] = (
                int(http.get_statuscode()),
                http.get_header("Content-Type") or "",
                http.get_header("Location"),
                record.content_stream().read(),
            )
    return records


RECORDS = load_records()
HTML_PAGES = sorted(k for k, v in RECORDS.items() if v[0] == 200 and v[1].startswith("text/html"))


@pytest.fixture
def iana(fixture_server, monkeypatch):
    monkeypatch.setenv("SNAPSHELF_HOSTS", f"{TEST_HOSTS},{HOST}=127.0.0.1")

    def replay(request):
        key = request.path + (f"?{request.query}" if request.query else "")
        found = RECORDS.get(key)
        if found is None:
            return Reply(404, {"Content-Type": "text/plain"}, b"not in the WARC")
        status, content_type, location, body = found
        headers = {"Content-Type": content_type}
        if location:
            headers["Location"] = location.replace(
                f"http://{HOST}/", fixture_server.url("/", host=HOST)
            )
        return Reply(status, headers, body)

    fixture_server.route("/*", replay, host=HOST)
    return fixture_server


def test_warc_holds_pages_and_their_resources():
    assert len(HTML_PAGES) >= 10
    kinds = {v[1] for v in RECORDS.values()}
    assert "text/css" in kinds and "image/svg+xml" in kinds


@pytest.mark.parametrize("path", HTML_PAGES)
def test_iana_pages_are_captured_with_css_fonts_and_images(iana, user, path):
    snap = capture(user, iana.url(path, host=HOST))
    assert snap.status == Snapshot.Status.DONE, snap.error
    store = get_blob_store()
    stored = {urlsplit(r.url).path: r for r in snap.resources.filter(error_code="")}
    assert "/_css/2013.1/screen.css" in stored
    fonts = [p for p in stored if p.endswith(".ttf")]
    assert fonts, "the web fonts referenced by screen.css were not captured"
    for p in fonts:
        assert store.get(stored[p].blob_id) == RECORDS[p][3]
    images = [p for p, r in stored.items() if r.kind in ("image", "icon")]
    assert any(p.endswith(".svg") for p in images)
    # every resource the WARC holds for what the page references was captured
    missing = [
        r.url
        for r in snap.resources.exclude(error_code="")
        if urlsplit(r.url).path in RECORDS and urlsplit(r.url).hostname == HOST
    ]
    assert missing == []
    replay = store.get(snap.root_blob_id).decode("utf-8")
    assert [r for r in resource_references(replay) if not is_local_reference(r)] == []
    assert snap.title and snap.text

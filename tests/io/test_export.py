"""Library exports (issue 18): Netscape HTML parses back with everything it should carry,
JSON holds every field, CSV defuses formulas, the WARC and ZIP hold the pages; only the
owner's links, hostile titles stay text, and the output streams in bounded chunks."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from warcio.archiveiterator import ArchiveIterator

from snapshelf.io.exporters import (
    EXPORTERS,
    Selection,
    export_chunks,
    find_tag,
    write_export,
)
from snapshelf.io.exporters.csv_export import defuse
from snapshelf.library.models import Link, Snapshot, Tag
from snapshelf.library.records import add_link, get_or_create_tags
from tests.io.test_warc import MDN, PAGE_DIR, warcio_check
from tests.library.helpers import capture, is_local_reference, resource_references

pytestmark = pytest.mark.django_db

HOSTILE = '"><img src=x onerror=alert(1)></a><script>alert(2)</script>'
NOTE = "Line one\nline <b>two</b> & three"


@pytest.fixture
def user(db):
    return get_user_model().objects.create_user("alice", "", "alice-password-123")


@pytest.fixture
def other_user(db):
    return get_user_model().objects.create_user("bob", "", "bob-password-123")


@pytest.fixture(autouse=True)
def fresh_blobs(settings, tmp_path):
    settings.SNAPSHELF_BLOB_DIR = tmp_path / "blobs"


@pytest.fixture
def library(user, other_user):
    """Alice's links with every flag, tags, notes, a hostile and a formula title; Bob's."""
    when = datetime(2020, 5, 17, 8, 30, tzinfo=UTC)
    plain, _ = add_link(user, "https://example.org/plain", ["news", "dev/python"])
    hostile, _ = add_link(user, "https://example.org/a?x=1&y=<2>", ["security"])
    formula, _ = add_link(user, "https://example.org/sheet", [])
    chinese, _ = add_link(user, "https://example.cn/快照", ["中文"])
    Link.objects.filter(pk=plain.pk).update(
        title="Plain page", note=NOTE, unread=False, favorite=True, created=when
    )
    Link.objects.filter(pk=hostile.pk).update(
        title=HOSTILE, visibility="public", archived=True, note='=HYPERLINK("x")'
    )
    Link.objects.filter(pk=formula.pk).update(title="=1+2", visibility="unlisted")
    Link.objects.filter(pk=chinese.pk).update(title="快照平台")
    snap = plain.latest_snapshot
    Snapshot.objects.filter(pk=snap.pk).update(status="done", title="Captured title", kind="html")
    bob, _ = add_link(other_user, "https://example.org/bobs", ["news"])
    Link.objects.filter(pk=bob.pk).update(title="Bob's secret")
    return {
        "plain": Link.objects.get(pk=plain.pk),
        "hostile": Link.objects.get(pk=hostile.pk),
        "formula": Link.objects.get(pk=formula.pk),
        "chinese": Link.objects.get(pk=chinese.pk),
    }


def export(owner, fmt: str, tag: str | None = None) -> bytes:
    tag_obj = find_tag(owner, tag) if tag else None
    return b"".join(export_chunks(Selection(owner, tag_obj), fmt))


class NetscapeParser(HTMLParser):
    """A small reader of bookmark HTML: each <A> with its attributes, text and <DD>."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.entries: list[dict] = []
        self.where = ""

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self.entries.append({"attrs": dict(attrs), "title": "", "note": ""})
            self.where = "title"
        elif tag == "dd":
            self.where = "note"
        elif tag in ("dt", "dl"):
            self.where = ""
        elif self.where:
            raise AssertionError(f"markup <{tag}> inside a bookmark's text")

    def handle_endtag(self, tag):
        if tag in ("a", "dl"):
            self.where = ""

    def handle_data(self, data):
        if self.where:
            self.entries[-1][self.where] += data


def parse_netscape(data: bytes) -> list[dict]:
    parser = NetscapeParser()
    parser.feed(data.decode("utf-8"))
    parser.close()
    return parser.entries


def test_netscape_parses_back_with_tags_dates_flags_and_notes(library):
    user = library["plain"].owner
    data = export(user, "netscape")
    assert data.startswith(b"<!DOCTYPE NETSCAPE-Bookmark-file-1>")
    entries = {e["attrs"]["href"]: e for e in parse_netscape(data)}
    assert set(entries) == {link.url for link in library.values()}
    plain = entries["https://example.org/plain"]
    assert plain["title"] == "Plain page"
    assert plain["attrs"]["tags"] == "dev/python,news"
    assert plain["attrs"]["add_date"] == str(
        int(datetime(2020, 5, 17, 8, 30, tzinfo=UTC).timestamp())
    )
    assert int(plain["attrs"]["last_modified"]) >= int(plain["attrs"]["add_date"])
    assert plain["attrs"]["private"] == "1" and plain["attrs"]["favorite"] == "1"
    assert "toread" not in plain["attrs"]
    assert plain["note"].strip() == NOTE
    hostile = entries["https://example.org/a?x=1&y=<2>"]
    assert hostile["title"] == HOSTILE  # the same text, never markup (the parser checks)
    assert hostile["attrs"]["private"] == "0" and hostile["attrs"]["visibility"] == "public"
    assert hostile["attrs"]["archived"] == "1" and hostile["attrs"]["toread"] == "1"
    assert entries["https://example.cn/快照"]["title"] == "快照平台"
    assert entries["https://example.cn/快照"]["attrs"]["tags"] == "中文"
    assert b"<img src=x" not in data and b"<script>" not in data


def test_a_link_without_own_title_exports_the_captured_one(library):
    Link.objects.filter(pk=library["plain"].pk).update(title="")
    entries = parse_netscape(export(library["plain"].owner, "netscape"))
    assert "Captured title" in {e["title"] for e in entries}


def test_json_holds_every_field_of_every_link_and_version(library):
    user = library["plain"].owner
    data = export(user, "json")
    assert b"<" not in data and b">" not in data  # inert as HTML, same JSON values
    doc = json.loads(data)
    assert doc["format"] == "snapshelf-export" and doc["version"] == 1
    assert doc["owner"] == "alice" and doc["tag"] is None
    assert {t["name"] for t in doc["tags"]} == {"news", "dev/python", "security", "中文"}
    links = {item["url"]: item for item in doc["links"]}
    assert set(links) == {link.url for link in library.values()}
    plain = links["https://example.org/plain"]
    link = library["plain"]
    assert plain == plain | {
        "id": link.pk,
        "title": "Plain page",
        "display_title": "Plain page",
        "note": NOTE,
        "tags": ["dev/python", "news"],
        "unread": False,
        "favorite": True,
        "archived": False,
        "visibility": "private",
        "capture_mode": "auto",
        "watch_hours": 0,
        "created": "2020-05-17T08:30:00+00:00",
        "updated": link.updated.isoformat(),
    }
    (version,) = plain["versions"]
    snap = link.latest_snapshot
    expected = {"snapshot_id", "version", "status", "mode", "created", "finished",
                "http_status", "final_url", "content_type", "charset", "kind", "title",
                "author", "published", "site_name", "language", "description", "image_url",
                "word_count", "total_bytes", "resource_count", "error_code", "error",
                "fingerprint", "checks"}  # fmt: skip
    assert set(version) == expected
    assert version["snapshot_id"] == snap.pk and version["title"] == "Captured title"
    assert version["status"] == "done" and version["version"] == 1
    assert links["https://example.org/a?x=1&y=<2>"]["title"] == HOSTILE
    assert links["https://example.org/a?x=1&y=<2>"]["visibility"] == "public"


def test_csv_defuses_formulas_and_keeps_the_rest(library):
    user = library["plain"].owner
    data = export(user, "csv")
    assert data.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    by_url = {r["url"]: r for r in rows}
    assert set(by_url) == {link.url for link in library.values()}
    assert by_url["https://example.org/sheet"]["title"] == "'=1+2"
    assert by_url["https://example.org/a?x=1&y=<2>"]["note"] == '\'=HYPERLINK("x")'
    plain = by_url["https://example.org/plain"]
    assert plain["note"] == NOTE
    assert plain["tags"] == "dev/python,news"
    assert (plain["unread"], plain["favorite"], plain["archived"]) == ("false", "true", "false")
    assert plain["created"] == "2020-05-17T08:30:00+00:00"
    for cell in ("=cmd", "+1", "-2", "@SUM(A1)", "\tx", "\rx"):
        assert defuse(cell) == "'" + cell
    assert defuse("plain") == "plain" and defuse(None) == "" and defuse(5) == "5"


def test_a_tag_exports_only_its_links(library):
    user = library["plain"].owner
    entries = parse_netscape(export(user, "netscape", tag="NEWS"))
    assert [e["attrs"]["href"] for e in entries] == ["https://example.org/plain"]
    doc = json.loads(export(user, "json", tag="news"))
    assert [item["url"] for item in doc["links"]] == ["https://example.org/plain"]
    assert {t["name"] for t in doc["tags"]} == {"news", "dev/python"}
    assert doc["tag"] == "news"


def test_nobody_exports_someone_elses_links(library, other_user):
    for fmt in ("netscape", "json", "csv"):
        data = export(other_user, fmt)
        assert b"https://example.org/bobs" in data
        assert b"example.org/plain" not in data and b"Plain page" not in data
    with pytest.raises(Tag.DoesNotExist):
        find_tag(other_user, "security")  # Alice's tag is not Bob's to pick


def test_exports_stream_in_bounded_chunks(user):
    tags = get_or_create_tags(user, ["bulk"])
    links = [
        Link(owner=user, url=f"https://example.org/{n}", url_normalized=f"https://example.org/{n}",
             url_hash=f"{n:064d}", title=f"Page {n} " + "x" * 100)
        for n in range(1500)
    ]  # fmt: skip
    Link.objects.bulk_create(links)
    Link.tags.through.objects.bulk_create(
        [Link.tags.through(link_id=link.pk, tag_id=tags[0].pk) for link in Link.objects.all()]
    )
    for fmt in ("netscape", "json", "csv"):
        seen = []
        chunks = list(export_chunks(Selection(user, progress=seen.append), fmt))
        total = sum(len(c) for c in chunks)
        assert len(chunks) >= 3, fmt
        assert max(len(c) for c in chunks) < total / 2, fmt
        assert seen[-1] == 1500 and seen == sorted(seen), fmt
    assert len(json.loads(export(user, "json"))["links"]) == 1500


def test_write_export_writes_whole_or_nothing(library, tmp_path):
    user = library["plain"].owner
    path = tmp_path / "out.json"
    written = write_export(Selection(user), "json", path)
    assert path.stat().st_size == written
    assert json.loads(path.read_bytes())["owner"] == "alice"

    def fail(_done: int) -> None:
        raise RuntimeError("disk full")

    broken = tmp_path / "broken.html"
    with pytest.raises(RuntimeError):
        write_export(Selection(user, progress=fail), "netscape", broken)
    assert not broken.exists() and not list(tmp_path.glob("*.part"))


def test_library_warc_and_zip_hold_the_captured_pages(fixture_server, user, other_user, tmp_path):
    fixture_server.mount("/", MDN)
    url = fixture_server.url(f"/{PAGE_DIR}/index.html", host="site.test")
    snap = capture(user, url, tags=["birds"])
    assert snap.status == Snapshot.Status.DONE
    Link.objects.filter(pk=snap.link_id).update(title=HOSTILE)
    add_link(user, "https://example.org/never-captured", ["birds"])
    capture(other_user, url)  # Bob's copy of the same page stays out
    warc = tmp_path / "birds.warc.gz"
    write_export(Selection(user, find_tag(user, "birds")), "warc", warc)
    check = warcio_check(warc)
    assert check.returncode == 0, check.stdout + check.stderr
    with warc.open("rb") as f:
        recs = [
            (r.rec_type, r.rec_headers.get_header("WARC-Target-URI")) for r in ArchiveIterator(f)
        ]
    assert recs[0][0] == "warcinfo"
    responses = [uri for kind, uri in recs if kind == "response"]
    assert responses.count(snap.final_url) == 1  # one version, one link: Bob's is not here
    assert len(responses) == 1 + snap.resources.exclude(blob=None).filter(error_code="").count()

    data = b"".join(export_chunks(Selection(user), "zip"))
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        names = zf.namelist()
        assert len(names) == 2  # the uncaptured link has no page
        page = next(n for n in names if n.endswith(".html"))
        md = next(n for n in names if n.endswith(".md"))
        assert page.startswith(f"{snap.link_id:05d}-") and "<" not in page and "/" not in page
        html = zf.read(page).decode()
        assert [r for r in resource_references(html) if not is_local_reference(r)] == []
        assert "data:image/" in html and "Birdwatching" in html
        text = zf.read(md).decode()
        assert text.startswith('# "&gt;&lt;img src=x onerror=alert(1)&gt;&lt;/a&gt;&lt;script&gt;')
        assert "<img src=x" not in text.splitlines()[0]
        assert snap.text.split()[0] in text


def test_every_format_is_registered_with_a_file_name(user):
    assert set(EXPORTERS) == {"netscape", "json", "csv", "warc", "zip"}
    for exporter in EXPORTERS.values():
        name = exporter.filename(Selection(user))
        assert name.startswith("snapshelf-library-") and name.endswith(exporter.extension)
        assert Path(name).name == name

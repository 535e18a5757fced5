"""Every sample export in the corpora parses into the rows a person would expect.

The counts were written down by reading each file: an <A> (or JSON entry, CSV row, line)
is one row; rows that cannot be saved are rejected with their line and a reason."""

from __future__ import annotations

import csv
import json
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

import pytest

from snapshelf.io.importers import UnknownFormat, detect, open_import
from snapshelf.services.imports import ImportedLink, Rejected
from tests.paths import CORPORA

NETSCAPE = CORPORA / "bookmarks-netscape-browser-exports" / "input"
WALLABAG = CORPORA / "bookmarks-wallabag-import"
LINKDING = CORPORA / "bookmarks-linkding"
CHROME = CORPORA / "bookmarks-chrome-example-with-expected"

#: file -> (format, rows read, rows that can be saved, rejected)
EXPECTED = {
    CHROME / "example.html": ("netscape", 4, 0),
    LINKDING / "simple_valid_import_file.html": ("netscape", 3, 0),
    LINKDING / "simple_valid_import_file_with_one_invalid_bookmark.html": ("netscape", 2, 1),
    NETSCAPE / "chromium_flat.htm": ("netscape", 9, 0),
    NETSCAPE / "chromium_nested.htm": ("netscape", 18, 0),
    NETSCAPE / "delicious.htm": ("netscape", 5, 0),
    NETSCAPE / "delicious_sanitize.htm": ("netscape", 2, 0),
    NETSCAPE / "empty.htm": ("empty", 0, 0),
    NETSCAPE / "firefox_flat.htm": ("netscape", 24, 0),
    NETSCAPE / "firefox_nested.htm": ("netscape", 24, 0),
    NETSCAPE / "google_bookmarks_nested.htm": ("netscape", 6, 0),
    NETSCAPE / "internet_explorer_11_flat.htm": ("netscape", 18, 0),
    NETSCAPE / "internet_explorer_11_nested.htm": ("netscape", 27, 0),
    NETSCAPE / "netscape_basic.htm": ("netscape", 2, 0),
    NETSCAPE / "netscape_extended.htm": ("netscape", 2, 0),
    NETSCAPE / "netscape_multiline.htm": ("netscape", 3, 0),
    NETSCAPE / "netscape_nested.htm": ("netscape", 8, 0),
    NETSCAPE / "safari_folded.htm": ("netscape", 3, 0),
    NETSCAPE / "scuttle.htm": ("netscape", 4, 0),
    NETSCAPE / "scuttle_new_line.htm": ("netscape", 1, 0),
    NETSCAPE / "shaarli.htm": ("netscape", 6, 0),
    NETSCAPE / "shaarli_legacy.htm": ("netscape", 2, 0),
    NETSCAPE / "shaarli_markdown.htm": ("netscape", 3, 0),
    NETSCAPE / "shaarli_with_tabs_and_spaces.htm": ("netscape", 1, 0),
    NETSCAPE / "shaarli_with_whitespace_tags.htm": ("netscape", 1, 0),
    WALLABAG / "chrome-bookmarks": ("chrome-json", 1, 0),
    WALLABAG / "delicious_export.2021.02.06_21.10.json": ("delicious-json", 3, 0),
    WALLABAG / "elcurator.json": ("elcurator-json", 1, 0),
    WALLABAG / "firefox-bookmarks.json": ("firefox-json", 2, 0),
    WALLABAG / "instapaper-export.csv": ("instapaper-csv", 4, 0),
    WALLABAG / "omnivore.json": ("omnivore-json", 20, 0),
    WALLABAG / "pinboard_export": ("pinboard-json", 3, 0),
    WALLABAG / "pocket.csv": ("pocket-csv", 7, 0),
    WALLABAG / "readability-read.json": ("readability-json", 2, 0),
    WALLABAG / "readability.json": ("readability-json", 3, 0),
    WALLABAG / "ril_export.html": ("pocket-html", 2, 0),
    WALLABAG / "shaarli-bookmarks.html": ("netscape", 2, 0),
    WALLABAG / "test.csv": ("empty", 0, 0),
    WALLABAG / "test.html": ("empty", 0, 0),
    WALLABAG / "test.txt": ("empty", 0, 0),
    WALLABAG / "wallabag-v1-read.json": ("wallabag-v1-json", 3, 0),
    WALLABAG / "wallabag-v1.json": ("wallabag-v1-json", 2, 0),
    WALLABAG / "wallabag-v2-empty.json": ("empty", 0, 0),
    WALLABAG / "wallabag-v2-read.json": ("wallabag-v2-json", 2, 0),
    WALLABAG / "wallabag-v2.json": ("wallabag-v2-json", 6, 0),
}


def rows_of(path: Path) -> tuple[str, list[ImportedLink], list[Rejected]]:
    with ExitStack() as stack:
        opened = open_import(path, stack)
        rows = list(opened.rows)
    good = [r for r in rows if isinstance(r, ImportedLink)]
    return opened.format, good, [r for r in rows if isinstance(r, Rejected)]


def test_every_sample_export_is_listed():
    samples = {
        p
        for d in CORPORA.glob("bookmarks-*")
        for p in d.rglob("*")
        if p.is_file()
        and p.name not in ("SOURCE.md", "LICENSE", "LICENSE.txt", "COPYING.md", "result.json")
        and p.parent.name != "output"
    }
    assert samples == set(EXPECTED)


@pytest.mark.parametrize("path", sorted(EXPECTED), ids=lambda p: p.name)
def test_each_sample_imports_with_the_expected_counts(path):
    fmt, good, bad = rows_of(path)
    assert (fmt, len(good), len(bad)) == EXPECTED[path]
    for row in good:
        assert row.url and row.line >= 1


def _flatten(nodes, folders=()):
    for node in nodes:
        if "children" in node:
            yield from _flatten(node["children"], (*folders, node["name"]))
        else:
            yield node, folders


def test_the_chrome_tree_matches_its_expected_parse():
    expected = list(_flatten(json.loads((CHROME / "result.json").read_text())))
    _, good, _ = rows_of(CHROME / "example.html")
    assert [(r.url, r.title, r.tags) for r in good] == [
        (node["href"], node["name"], folders) for node, folders in expected
    ]
    assert [int(r.added.timestamp()) for r in good] == [int(n["add_date"]) for n, _ in expected]


def test_netscape_fields_tags_notes_flags_and_dates():
    _, good, _ = rows_of(NETSCAPE / "firefox_nested.htm")
    comic = next(r for r in good if "commitstrip" in r.url)
    assert set(comic.tags) == {"webcomic", "commit", "code", "review", "dev", "Comics"}
    assert comic.note == "The blog relating the daily life of web agency developers"
    assert comic.added == datetime.fromtimestamp(1463686493, UTC)

    _, good, _ = rows_of(NETSCAPE / "shaarli.htm")
    private = {r.title: r.private for r in good}
    assert private["PHP - Testing Your Privates"] is True
    assert private["My secret stuff... - Pastebin.com"] is True

    _, good, _ = rows_of(NETSCAPE / "shaarli_with_whitespace_tags.htm")
    assert good[0].tags == ("dev", "php dev", "php 7.x")  # commas split, spaces kept
    assert "```" in good[0].note and "foreach" in good[0].note  # a multi-line note whole

    _, good, _ = rows_of(NETSCAPE / "delicious_sanitize.htm")
    assert "<li>#CLE ---> #VALEUR</li>" in good[0].note  # markup in a note is kept as text

    _, good, _ = rows_of(NETSCAPE / "netscape_basic.htm")
    assert good[0].added == datetime.fromisoformat("2000-10-10T13:55:36+03:00")
    assert good[0].tags == ("private", "secret")  # older Shaarli: space-separated

    _, good, _ = rows_of(LINKDING / "simple_valid_import_file.html")
    # seconds, milliseconds and microseconds since 1970 all mean the same moment
    assert {r.added for r in good} == {datetime.fromtimestamp(1616337559, UTC)}


def test_browser_root_folders_are_not_tags():
    _, good, _ = rows_of(WALLABAG / "firefox-bookmarks.json")
    assert [r.tags for r in good] == [("test", "tag"), ()]
    _, good, _ = rows_of(WALLABAG / "chrome-bookmarks")
    assert good[0].tags == () and good[0].added.year == 2016


def test_service_exports_keep_state():
    _, good, _ = rows_of(WALLABAG / "pocket.csv")
    with open(WALLABAG / "pocket.csv", newline="") as f:
        archive = [row["url"] for row in csv.DictReader(f) if row["status"] == "archive"]
    assert len(archive) == 2 and [r.url for r in good if r.archived] == archive
    assert all(r.unread is False for r in good if r.archived)
    _, good, _ = rows_of(WALLABAG / "instapaper-export.csv")
    by_title = {r.title: r for r in good}
    assert by_title["AMP and React+Redux: Why Not?"].archived
    assert by_title["Why Foursquare / Swarm is still my favourite social network"].favorite
    assert "test_tag" in by_title["Dis donc Donald Trump, c'est quoi exactement «covfefe»?"].tags
    _, good, _ = rows_of(WALLABAG / "pinboard_export")
    assert good[0].tags == ("infinite", "dom", "performance", "scroll")
    assert good[0].note.startswith("TL;DR")
    _, good, _ = rows_of(WALLABAG / "omnivore.json")
    assert sum(r.archived for r in good) >= 1 and all(r.added for r in good)
    assert any("TEST" in r.tags for r in good)
    _, good, _ = rows_of(WALLABAG / "wallabag-v2.json")
    assert all(r.content_html for r in good)
    assert good[0].tags == ("mediapart", "blog") and good[0].favorite


def test_hostile_rows_are_reported_with_line_and_reason(tmp_path):
    path = tmp_path / "hostile.html"
    path.write_text(
        "<!DOCTYPE NETSCAPE-Bookmark-file-1>\n<DL><p>\n"
        '<DT><A HREF="javascript:alert(1)">js</A>\n'
        '<DT><A HREF="data:text/html,<script>alert(1)</script>">data</A>\n'
        '<DT><A HREF="https://ok.example/" ADD_DATE="99999999999999999999">bad date</A>\n'
        '<DT><A HREF="https://ok.example/2" ADD_DATE="1600000000">'
        "&lt;script&gt;alert(1)&lt;/script&gt;</A>\n"
        "</DL><p>\n"
    )
    _, good, bad = rows_of(path)
    # a title is text, whatever it spells; unsaveable URLs are the service door's to reject
    assert [r.title for r in good] == ["js", "data", "<script>alert(1)</script>"]
    assert [r.line for r in bad] == [5]
    assert "out of range" in bad[0].reason


def test_plain_text_and_unknown_files(tmp_path):
    text = tmp_path / "urls.txt"
    text.write_text(
        "# my links\nhttps://a.example/x\n\nsee https://b.example/y, and more\nhello there\n"
    )
    fmt, good, bad = rows_of(text)
    assert fmt == "text"
    assert [(r.line, r.url) for r in good] == [
        (2, "https://a.example/x"),
        (4, "https://b.example/y"),
    ]
    assert [(r.line, r.reason) for r in bad] == [(5, "no web address on this line")]

    odd = tmp_path / "odd.json"
    odd.write_text('[{"name": "x"}]')
    with pytest.raises(UnknownFormat, match="no known format"), ExitStack() as stack:
        open_import(odd, stack)
    broken = tmp_path / "broken.json"
    broken.write_text('[{"url": ')
    with pytest.raises(UnknownFormat, match="broken JSON"), ExitStack() as stack:
        open_import(broken, stack)


def test_format_is_recognised_from_content_not_name(tmp_path):
    disguised = tmp_path / "bookmarks.csv"
    disguised.write_bytes((NETSCAPE / "firefox_flat.htm").read_bytes())
    assert detect(disguised) == "netscape"
    renamed = tmp_path / "export.txt"
    renamed.write_bytes((WALLABAG / "pocket.csv").read_bytes())
    assert detect(renamed) == "pocket-csv"


def test_tags_written_as_objects_are_their_names(tmp_path):
    """Wallabag's API writes a tag as {"id", "label", "slug"} and Omnivore's a label as
    {"name", "color"}: the tag is the name, not the object's text ("{'label': ...}")."""
    entries = [
        {
            "url": "https://example.org/a",
            "title": "A",
            "tags": [{"id": 3, "label": "Reading list", "slug": "reading-list"}, "plain"],
            "is_archived": 0,
            "is_starred": 0,
            "created_at": "2024-01-01T00:00:00+00:00",
            "content": "<p>Text</p>",
        }
    ]
    path = tmp_path / "wallabag-api.json"
    path.write_text(json.dumps(entries), "utf-8")
    fmt, rows, rejected = rows_of(path)
    assert fmt == "wallabag-v2-json" and not rejected
    assert rows[0].tags == ("Reading list", "plain")

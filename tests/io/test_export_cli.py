"""`snapshelf export` and `snapshelf download --format warc|original|markdown`: files
written whole, only the user's own links, one-line errors."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model
from warcio.archiveiterator import ArchiveIterator

from snapshelf import cli
from snapshelf.library.models import Link
from snapshelf.library.records import add_link
from tests.io.test_warc import capture_mdn, warcio_check

pytestmark = pytest.mark.django_db


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
def out(tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


def test_export_writes_the_users_library_and_one_tag(user, other_user, out, capsys):
    add_link(user, "https://example.org/one", ["keep"])
    add_link(user, "https://example.org/two", [])
    add_link(other_user, "https://example.org/bobs", ["keep"])
    argv = ["export", "--format", "json", "-o", str(out / "all.json"), "--user", "alice"]
    assert cli.main(argv) == 0
    doc = json.loads((out / "all.json").read_bytes())
    assert sorted(link["url"] for link in doc["links"]) == [
        "https://example.org/one",
        "https://example.org/two",
    ]
    assert "wrote 2 links (library, json" in capsys.readouterr().err
    argv = ["export", "--format", "csv", "--tag", "keep", "-o", str(out / "keep.csv")]
    assert cli.main([*argv, "--user", "alice"]) == 0
    text = (out / "keep.csv").read_text(encoding="utf-8-sig")
    assert "https://example.org/one" in text and "two" not in text and "bobs" not in text
    assert not list(out.glob("*.part"))


def test_export_errors_are_one_line_and_write_nothing(user, other_user, out, capsys):
    add_link(other_user, "https://example.org/bobs", ["bobtag"])
    argv = ["export", "--format", "netscape", "--tag", "bobtag", "-o", str(out / "x.html")]
    assert cli.main([*argv, "--user", "alice"]) == 1
    assert "no tag named 'bobtag'" in capsys.readouterr().err
    argv = ["export", "--format", "netscape", "-o", str(out / "missing" / "x.html")]
    assert cli.main([*argv, "--user", "alice"]) == 1
    assert "no such directory" in capsys.readouterr().err
    assert list(out.iterdir()) == []


def test_download_warc_original_and_markdown(fixture_server, user, other_user, out, capsys):
    snap = capture_mdn(fixture_server, user)
    base = ["download", str(snap.pk), "--user", "alice", "--format"]
    assert cli.main([*base, "warc", "-o", str(out / "page.warc.gz")]) == 0
    check = warcio_check(out / "page.warc.gz")
    assert check.returncode == 0, check.stdout
    with (out / "page.warc.gz").open("rb") as f:
        uris = {r.rec_headers.get_header("WARC-Target-URI") for r in ArchiveIterator(f)}
    assert snap.final_url in uris
    assert cli.main([*base, "original", "-o", str(out / "page.orig")]) == 0
    assert b"Birdwatching" in (out / "page.orig").read_bytes()
    assert cli.main([*base, "markdown", "-o", str(out / "page.md")]) == 0
    assert (out / "page.md").read_text().startswith("# Birdwatching\n")
    capsys.readouterr()
    theirs = ["download", str(snap.pk), "--user", "bob", "--format", "warc", "-o"]
    assert cli.main([*theirs, str(out / "theirs.warc.gz")]) == 1
    assert f"no snapshot {snap.pk}" in capsys.readouterr().err
    assert not (out / "theirs.warc.gz").exists()


def test_download_of_an_unfinished_snapshot_says_so(user, out, capsys):
    link, snap = add_link(user, "https://example.org/queued")
    argv = ["download", str(snap.pk), "--format", "warc", "-o", str(out / "x.warc.gz")]
    assert cli.main([*argv, "--user", "alice"]) == 1
    assert f"snapshot {snap.pk} is queued, not done" in capsys.readouterr().err
    assert Link.objects.filter(pk=link.pk).exists() and list(out.iterdir()) == []

"""Our Netscape export, imported by a real browser: Debian's Chromium reads it on first
run the way it reads a distribution's bookmarks file, and writes what it understood to
its profile's `Bookmarks` JSON, which is compared with the library.

Chromium takes the file from `/etc/chromium/initial_preferences` or `master_preferences`
(`distribution.import_bookmarks_from_file`); the test points that at the export inside a
private mount namespace, so the machine's own file is never touched.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import pytest

from snapshelf.io.exporters import Selection, export_chunks
from snapshelf.library.models import Link
from snapshelf.services import links as door
from tests.library.conftest import fresh_blobs, user  # noqa: F401

pytestmark = pytest.mark.django_db

CHROMIUM = os.environ.get("SNAPSHELF_TEST_CHROMIUM") or shutil.which("chromium") or ""
PREFS = next(
    (
        p
        for p in (
            Path("/etc/chromium/initial_preferences"),
            Path("/etc/chromium/master_preferences"),
        )
        if p.exists()
    ),
    None,
)
#: Chromium counts microseconds from 1601-01-01.
WINDOWS_EPOCH_OFFSET = 11_644_473_600


def chromium_import(export: Path, profile: Path) -> dict:
    """Start Chromium once on a fresh profile with the export as its first-run bookmarks;
    the parsed `Bookmarks` file, once Chromium has written it."""
    assert CHROMIUM and PREFS, "Debian's chromium is needed: run `make setup`"
    prefs = json.loads(PREFS.read_text())
    prefs.setdefault("distribution", {})["import_bookmarks_from_file"] = str(export)
    ours = profile.parent / "prefs.json"
    ours.write_text(json.dumps(prefs))
    # root may bind-mount in a plain mount namespace; anyone else in a user namespace
    unshare = ["unshare", "-m"] if os.geteuid() == 0 else ["unshare", "-rm"]
    script = f'mount --bind "$1" "{PREFS}" && exec "$2" "${{@:3}}"'
    argv = [*unshare, "bash", "-c", script, "bash", str(ours), CHROMIUM]
    argv += ["--headless=new", "--no-sandbox", "--force-first-run", f"--user-data-dir={profile}"]
    argv.append("about:blank")
    bookmarks = profile / "Default" / "Bookmarks"
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and proc.poll() is None:
            if bookmarks.exists():
                try:
                    data = json.loads(bookmarks.read_text())
                except ValueError:  # being written
                    data = None
                if data and data["roots"]["bookmark_bar"]["children"]:
                    return data
            time.sleep(0.5)
    finally:
        proc.kill()
        _, err = proc.communicate()
    raise AssertionError(f"Chromium wrote no bookmarks: {err.decode(errors='replace')[-2000:]}")


def flatten(node: dict, folders: tuple[str, ...] = ()) -> list[tuple]:
    rows = []
    for child in node.get("children", []):
        if child["type"] == "folder":
            rows += flatten(child, (*folders, child["name"]))
        else:
            added = int(child["date_added"]) // 1_000_000 - WINDOWS_EPOCH_OFFSET
            rows.append((child["url"], child["name"], added, folders))
    return rows


def test_chromium_imports_every_link_with_its_title_and_date(user, tmp_path):  # noqa: F811
    rows = [
        ("https://a.example/1", "First page", ["dev"], 2014),
        ("https://b.example/中文?q=1&r=2", "中文标题 — “quotes” & <angle>", ["新闻"], 2016),
        ("https://c.example/", '"><script>alert(1)</script>', [], 2018),
    ]
    for url, title, tags, year in rows:
        link = door.save_link(user, url, tags=tags, title=title).link
        Link.objects.filter(pk=link.pk).update(created=datetime(year, 3, 4, 5, 6, 7, tzinfo=UTC))
    export = tmp_path / "bookmarks.html"
    export.write_bytes(b"".join(export_chunks(Selection(user), "netscape")))

    data = chromium_import(export, tmp_path / "profile")

    imported = sorted(flatten(data["roots"]["bookmark_bar"]))
    # one flat list (tags are attributes, not folders); Chromium keeps URLs in canonical
    # form, the Chinese path percent-encoded
    expected = sorted(
        (quote(link.url, safe=":/?&=#%"), link.title, int(link.created.timestamp()), ())
        for link in Link.objects.filter(owner=user)
    )
    assert len(expected) == 3
    assert imported == expected

"""`snapshelf import` as a user runs it: the report, the exit status, bounded memory."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.io.bookmarks import write_netscape
from tests.paths import CORPORA
from tests.test_cli import env, run, run_json  # noqa: F401 (env is a fixture)

WALLABAG = CORPORA / "bookmarks-wallabag-import"
LINKDING = CORPORA / "bookmarks-linkding"


def test_import_reports_new_merged_and_rejected_rows(env):  # noqa: F811
    run(env, "createuser", "alice", "--password-stdin", input="a-long-password-1\n")
    bad = LINKDING / "simple_valid_import_file_with_one_invalid_bookmark.html"
    report = run_json(env, "import", str(bad), "--tag", "from-linkding")
    assert (report["format"], report["added"], report["merged"]) == ("netscape", 2, 0)
    assert report["queued"] == 2
    assert [(r["line"], r["text"]) for r in report["rejected"]] == [(11, "https://example.com/1")]
    assert "invaliddate" in report["rejected"][0]["reason"]

    good = LINKDING / "simple_valid_import_file.html"
    report = run_json(env, "import", str(good), "--no-capture")
    assert (report["added"], report["merged"], report["queued"]) == (1, 2, 0)
    listed = run_json(env, "list")
    assert len(listed) == 3
    assert {t for link in listed for t in link["tags"]} == {"tag1", "tag2", "tag3", "from-linkding"}

    text = run(env, "import", str(WALLABAG / "wallabag-v2.json")).stdout
    assert "wallabag-v2-json: 6 new links" in text


def test_import_refuses_an_unknown_file_with_one_line(env, tmp_path):  # noqa: F811
    run(env, "createuser", "alice", "--password-stdin", input="a-long-password-1\n")
    odd = tmp_path / "odd.json"
    odd.write_text('{"hello": "world"}')
    proc = run(env, "import", str(odd), check=False)
    assert proc.returncode == 1
    assert proc.stderr.strip().startswith("snapshelf: error: cannot import odd.json")
    assert run_json(env, "list") == []


def _import_measured(env, path) -> tuple[dict, float]:  # noqa: F811
    """The import's JSON report and the command's peak RSS in MB (ru_maxrss)."""
    measured = (
        "import resource, sys\n"
        "from snapshelf.cli import main\n"
        "code = main(sys.argv[1:])\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n"
        "sys.exit(code)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", measured, "import", str(path), "--no-capture", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout), int(proc.stderr.strip().splitlines()[-1]) / 1024


def test_a_100000_bookmark_file_imports_in_bounded_memory(env, tmp_path):  # noqa: F811
    """Bounded: the peak does not grow with the file (rows are held a batch at a time);
    holding every row would add well over 100 MB between 20,000 and 100,000 rows."""
    run(env, "createuser", "alice", "--password-stdin", input="a-long-password-1\n")
    small, small_mb = _import_measured(env, write_netscape(tmp_path / "small.html", 20_000))
    big, big_mb = _import_measured(env, write_netscape(tmp_path / "big.html", 100_000))
    # the big file holds the small one's links too: those are merged, not added again
    assert (small["added"], big["added"], big["merged"]) == (20_000, 80_000, 20_000)
    assert big["rejected"] == []
    print(f"peak RSS importing 20,000 / 100,000 bookmarks: {small_mb:.0f} / {big_mb:.0f} MB")
    assert big_mb - small_mb < 60
    assert len(run_json(env, "search", "书签 99999")) >= 1


def test_a_warc_imports_its_pages_as_snapshots(env):  # noqa: F811
    run(env, "createuser", "alice", "--password-stdin", input="a-long-password-1\n")
    warc = CORPORA / "pywb-iana-warc" / "iana.warc.gz"
    report = run_json(env, "import", str(warc), "--tag", "iana")
    assert report["format"] == "warc" and report["added"] >= 10
    listed = run_json(env, "list")
    assert len(listed) == report["added"]
    assert all(link["status"] == "done" and link["tags"] == ["iana"] for link in listed)
    assert any(link["url"].rstrip("/").endswith("iana.org/domains/arpa") for link in listed)

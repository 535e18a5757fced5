"""`snapshelf search` and `snapshelf reindex` as outside tools run them (real processes)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.test_cli import env, run, run_json  # noqa: F401
from tests.webserver import Reply

PAGE = """<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title>
</head><body><article><h1>{title}</h1>{body}</article></body></html>"""


def _serve(fixture_server, path, title, text, lang="en"):
    body = "".join(f"<p>{text}</p>" for _ in range(6))
    html = PAGE.format(lang=lang, title=title, body=body)
    fixture_server.route(path, lambda req: Reply.html(html))
    return fixture_server.url(path)


def test_search_json_and_reindex(env, fixture_server):  # noqa: F811
    run(env, "init")
    kiwi = _serve(
        fixture_server, "/kiwi", "Kiwi birds", "The kiwi is a flightless bird of New Zealand."
    )
    zh = _serve(
        fixture_server, "/zh", "网页快照平台", "这是一个自托管的网页快照平台，保存全文。", "zh"
    )
    added = [run_json(env, "add", url, "--wait", "--tag", "nature") for url in (kiwi, zh)]
    assert all(a["status"] == "done" for a in added)

    hits = run_json(env, "search", "flightless")
    assert [h["link_id"] for h in hits] == [added[0]["link_id"]]
    hit = hits[0]
    assert set(hit) >= {"link_id", "snapshot_id", "title", "url", "score", "snippet"}
    assert hit["snapshot_id"] == added[0]["snapshot_id"]
    assert hit["title"] == "Kiwi birds" and hit["url"] == kiwi
    assert "flightless" in hit["snippet"] and "<" not in hit["snippet"]
    assert isinstance(hit["score"], float)

    assert [h["link_id"] for h in run_json(env, "search", "快照")] == [added[1]["link_id"]]
    assert run_json(env, "search", "快平") == []
    assert len(run_json(env, "search", "nature", "--limit", "1")) == 1

    # wipe the index behind the app's back: reindex brings every document back
    db = Path(env["SNAPSHELF_DATA_DIR"]) / "snapshelf.sqlite3"
    with sqlite3.connect(db) as conn:
        conn.execute("DELETE FROM search_fts")
    assert run_json(env, "search", "flightless") == []
    done = run(env, "reindex")
    assert "indexed 2" in done.stderr
    assert [h["link_id"] for h in run_json(env, "search", "flightless")] == [added[0]["link_id"]]

    table = run(env, "search", "kiwi").stdout
    assert "Kiwi birds" in table and kiwi in table

    # an instance upgraded from before the index: `init` (run by `serve`) builds it once
    with sqlite3.connect(db) as conn:
        conn.execute("DELETE FROM search_fts")
    assert "indexed 2 links" in run(env, "init").stderr
    assert [h["link_id"] for h in run_json(env, "search", "flightless")] == [added[0]["link_id"]]
    assert "indexed" not in run(env, "init").stderr  # only once


def test_search_with_unknown_user_fails_in_one_line(env):  # noqa: F811
    run(env, "init")
    proc = run(env, "search", "x", "--user", "nobody", check=False)
    assert proc.returncode != 0
    assert proc.stderr.strip().count("\n") == 0 and "nobody" in proc.stderr

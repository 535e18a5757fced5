"""`snapshelf add` on an unchanged page (no new version unless --force) and
`snapshelf watch`, as real processes."""

from __future__ import annotations

from tests.test_cli import ARTICLE, env, run, run_json, site  # noqa: F401
from tests.webserver import Reply


def test_add_again_unchanged_then_forced_then_changed(env, site):  # noqa: F811
    run(env, "init")
    first = run_json(env, "add", site.url("/article"), "--wait")
    assert first["status"] == "done" and first["unchanged"] is False and first["version"] == 1
    same = run_json(env, "add", site.url("/article"), "--wait")
    assert same["unchanged"] is True and same["status"] == "done"
    assert same["snapshot_id"] == first["snapshot_id"] and same["version"] == 1
    human = run(env, "add", site.url("/article"), "--wait").stdout
    assert "no change since v1" in human
    forced = run_json(env, "add", site.url("/article"), "--wait", "--force")
    assert forced["unchanged"] is False and forced["version"] == 2
    assert forced["snapshot_id"] != first["snapshot_id"]
    site.route("/article", lambda req: Reply.html(ARTICLE.replace("step by step", "in detail")))
    changed = run_json(env, "add", site.url("/article"), "--wait")
    assert changed["unchanged"] is False and changed["version"] == 3
    listed = run_json(env, "list")
    assert [r["snapshot_id"] for r in listed] == [changed["snapshot_id"]]


def test_watch_sets_and_clears_the_schedule(env, site):  # noqa: F811
    run(env, "init")
    added = run_json(env, "add", site.url("/article"), "--wait")
    link_id = str(added["link_id"])
    daily = run_json(env, "watch", link_id, "--every", "daily")
    assert daily["link_id"] == added["link_id"] and daily["watch_hours"] == 24
    assert daily["next_check"]
    assert run_json(env, "watch", link_id, "--every", "weekly")["watch_hours"] == 168
    assert run_json(env, "watch", link_id, "--every", "6h")["watch_hours"] == 6
    assert "watched every 6 h" in run(env, "watch", link_id, "--every", "6h").stdout
    off = run_json(env, "watch", link_id, "--every", "off")
    assert off == {"link_id": added["link_id"], "watch_hours": 0, "next_check": None}
    for bad in (["--every", "sometimes"], ["--every", "0.5h"]):
        proc = run(env, "watch", link_id, *bad, check=False)
        assert proc.returncode != 0
        assert proc.stderr.startswith("snapshelf: error:") and len(proc.stderr.splitlines()) == 1
    missing = run(env, "watch", "4242", "--every", "daily", check=False)
    assert missing.returncode != 0 and "no link 4242" in missing.stderr


def test_watch_is_scoped_to_the_user(env, site):  # noqa: F811
    run(env, "init")
    run(env, "createuser", "bob", "--password-stdin", input="a-long-enough-passphrase\n")
    added = run_json(env, "add", site.url("/article"), "--user", "bob", "--wait")
    refused = run(
        env, "watch", str(added["link_id"]), "--every", "daily", "--user", "admin", check=False
    )
    assert refused.returncode != 0 and "no link" in refused.stderr
    ok = run_json(env, "watch", str(added["link_id"]), "--every", "daily", "--user", "bob")
    assert ok["watch_hours"] == 24

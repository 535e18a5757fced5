"""The `snapshelf` command as users and outside tools run it: real processes, real servers."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.paths import CORPORA
from tests.webserver import TEST_ALLOW, TEST_HOSTS, Reply

SNAPSHELF = Path(sys.executable).parent / "snapshelf"
ARTICLE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Running Docker on Windows</title><meta name="author" content="Ada Lovelace">
<link rel="stylesheet" href="/style.css"></head><body><article><h1>Running Docker on Windows</h1>
<p>{}</p><img src="/pic.png"></article></body></html>""".format(
    "Containers on Windows need a few settings that this article explains step by step. " * 15
)


@pytest.fixture
def env(tmp_path):
    e = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SNAPSHELF_", "DATABASE_URL", "DJANGO_"))
    }
    e.update(
        SNAPSHELF_DATA_DIR=str(tmp_path / "data"),
        SNAPSHELF_EGRESS_ALLOW=TEST_ALLOW,
        SNAPSHELF_HOSTS=TEST_HOSTS,
        SNAPSHELF_DNS="off",
        COLUMNS="200",
    )
    return e


@pytest.fixture
def site(fixture_server):
    fixture_server.route("/article", lambda req: Reply.html(ARTICLE))
    fixture_server.route(
        "/style.css", lambda req: Reply(200, {"Content-Type": "text/css"}, b"h1{color:navy}")
    )
    png = next((CORPORA / "mdn-learning-area-pages").rglob("*.png")).read_bytes()
    fixture_server.route("/pic.png", lambda req: Reply(200, {"Content-Type": "image/png"}, png))
    return fixture_server


def run(env, *args, check=True, timeout=120, input=None):
    proc = subprocess.run(
        [str(SNAPSHELF), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        input=input,
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"snapshelf {' '.join(args)} exited {proc.returncode}: {proc.stderr}")
    return proc


def run_json(env, *args):
    return json.loads(run(env, *args, "--json").stdout)


def _authenticates(env, username: str, password: str) -> bool:
    """Whether the instance in `env` accepts this password, asked through Django itself."""
    check = (
        "import sys, django; django.setup()\n"
        "from django.contrib.auth import authenticate\n"
        "sys.exit(0 if authenticate(username=sys.argv[1], password=sys.stdin.read()) else 1)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", check, username],
        env={**env, "DJANGO_SETTINGS_MODULE": "snapshelf.settings"},
        input=password,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return proc.returncode == 0


def test_init_is_idempotent_and_keeps_the_password_out_of_its_output(env):
    data = Path(env["SNAPSHELF_DATA_DIR"])
    first = run(env, "init")
    secret = data / "initial-admin-password"
    password = secret.read_text().strip()
    assert len(password) >= 12
    assert oct(secret.stat().st_mode & 0o777) == "0o600"
    # standard output (a container's log) names the file, never the password
    assert "admin" in first.stdout and str(secret) in first.stdout
    assert password not in first.stdout + first.stderr
    assert _authenticates(env, "admin", password)
    second = run(env, "init")
    assert "password" not in second.stdout and secret.read_text().strip() == password
    assert (data / "snapshelf.sqlite3").is_file()
    assert oct((data / "secret_key").stat().st_mode & 0o777) == "0o600"


def test_createuser_reads_the_password_from_stdin_and_warns_about_the_option(env):
    run(env, "init")
    made = run(env, "createuser", "cleo", "--password-stdin", input="cleo-long-password-7\n")
    assert "cleo-long-password-7" not in made.stdout + made.stderr
    assert _authenticates(env, "cleo", "cleo-long-password-7")
    # --password still works (scripts keep running) but says why not to use it
    old = run(env, "createuser", "dora", "--password", "dora-long-password-7")
    assert "deprecated" in old.stderr and "--password-stdin" in old.stderr
    assert _authenticates(env, "dora", "dora-long-password-7")


def test_add_show_list_download(env, site, tmp_path):
    run(env, "init")
    added = run_json(
        env,
        "add",
        site.url("/article?utm_source=feed"),
        "--tag",
        "docker",
        "--tag",
        "windows",
        "--wait",
    )
    assert added["status"] == "done", added
    assert added["title"] == "Running Docker on Windows"
    assert added["error_code"] is None and added["error"] is None
    for key in ("link_id", "snapshot_id"):
        assert isinstance(added[key], int)

    shown = run_json(env, "show", str(added["snapshot_id"]))
    for key in (
        "status",
        "url",
        "final_url",
        "title",
        "author",
        "date",
        "text",
        "resource_count",
        "bytes",
        "mode",
        "error_code",
    ):
        assert key in shown
    assert shown["author"] == "Ada Lovelace"
    assert shown["resource_count"] == 2
    assert shown["mode"] == "static"
    assert "step by step" in shown["text"]
    human = run(env, "show", str(added["snapshot_id"])).stdout
    assert "Running Docker on Windows" in human and "/s/" in human

    listed = run_json(env, "list", "--tag", "docker")
    assert [r["link_id"] for r in listed] == [added["link_id"]]
    assert sorted(listed[0]["tags"]) == ["docker", "windows"]
    for key in ("link_id", "url", "title", "tags", "snapshot_id", "status"):
        assert key in listed[0]
    assert run_json(env, "list", "--tag", "nothing-like-this") == []

    # the same URL again is a new version of the same link (forced: the text is the same)
    again = run_json(env, "add", site.url("/article"), "--wait", "--force")
    assert again["link_id"] == added["link_id"] and again["snapshot_id"] != added["snapshot_id"]

    out = tmp_path / "page.html"
    run(env, "download", str(added["snapshot_id"]), "--format", "singlefile", "-o", str(out))
    html = out.read_text()
    assert "Running Docker on Windows" in html
    assert "data:image/png;base64," in html and "data:text/css" in html
    assert site.url("/") not in html.replace(site.url("/article"), "")


def test_clear_errors_and_exit_codes(env, site, canary_server):
    run(env, "init")
    bad = run(env, "add", "ftp://example.org/file", check=False)
    assert bad.returncode != 0
    assert (
        bad.stderr.strip().startswith("snapshelf: error:")
        and len(bad.stderr.strip().splitlines()) == 1
    )
    missing = run(env, "show", "424242", check=False)
    assert missing.returncode != 0 and "no snapshot" in missing.stderr
    blocked = run(env, "add", canary_server.url("/x"), "--wait", "--json", check=False)
    assert blocked.returncode != 0
    assert json.loads(blocked.stdout)["error_code"] == "blocked"
    assert canary_server.requests == []


def test_several_users_need_the_user_option(env, site):
    run(env, "init")
    run(env, "createuser", "bob", "--password-stdin", input="a-long-enough-passphrase\n")
    ambiguous = run(env, "add", site.url("/article"), check=False)
    assert ambiguous.returncode != 0 and "--user" in ambiguous.stderr
    added = run_json(env, "add", site.url("/article"), "--user", "bob", "--wait")
    assert added["status"] == "done"
    assert run_json(env, "list", "--user", "admin") == []
    assert len(run_json(env, "list", "--user", "bob")) == 1
    # bob's snapshot is not visible to admin
    assert (
        run(env, "show", str(added["snapshot_id"]), "--user", "admin", check=False).returncode != 0
    )


def test_extract_json_lines_in_input_order(env, site, tmp_path):
    page = CORPORA / "mozilla-readability-testpages" / "test-pages" / "001" / "source.html"
    expected = json.loads((page.parent / "expected-metadata.json").read_text())
    proc = run(
        env,
        "extract",
        str(page),
        site.url("/article"),
        str(tmp_path / "missing.html"),
        "--json",
        check=False,
    )
    assert proc.returncode != 0  # one input failed
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [item["source"] for item in lines] == [
        str(page),
        site.url("/article"),
        str(tmp_path / "missing.html"),
    ]
    for item in lines[:2]:
        assert item["error"] is None
        for key in ("title", "author", "date", "site_name", "language", "text", "html"):
            assert key in item
    assert expected["title"].split()[0] in lines[0]["title"]
    assert lines[1]["title"] == "Running Docker on Windows"
    assert "<script" not in lines[1]["html"]
    assert lines[2]["error"] and lines[2]["title"] is None
    # nothing was stored
    assert not (Path(env["SNAPSHELF_DATA_DIR"]) / "snapshelf.sqlite3").exists()


def test_data_dir_may_be_a_symlink(env, site, tmp_path):
    real = tmp_path / "real"
    real.mkdir()
    link = tmp_path / "link"
    link.symlink_to(real)
    env["SNAPSHELF_DATA_DIR"] = str(link)
    init = run(env, "init")
    assert str(link) in init.stderr and str(real) not in init.stderr
    added = run_json(env, "add", site.url("/article"), "--wait")
    assert added["status"] == "done"
    assert link.is_symlink()
    assert (real / "snapshelf.sqlite3").is_file()
    assert list((real / "blobs").rglob("*.zst"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_done(env, snapshot_id: int, timeout: float = 60) -> dict:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        shown = run_json(env, "show", str(snapshot_id))
        if shown["status"] in ("done", "failed"):
            return shown
        time.sleep(0.3)
    raise AssertionError("capture did not finish")


def test_serve_answers_healthz_and_its_worker_captures(env, site):
    port = _free_port()
    server = subprocess.Popen(
        [str(SNAPSHELF), "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        end = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                    assert r.status == 200
                    break
            except OSError:
                assert server.poll() is None, server.stderr.read()
                assert time.monotonic() < end, "server did not become ready"
                time.sleep(0.2)
        queued = run_json(env, "add", site.url("/article"))
        assert queued["status"] == "queued"
        assert _wait_done(env, queued["snapshot_id"])["status"] == "done"
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    assert server.returncode == 0


def test_worker_alone_captures_queued_links(env, site):
    run(env, "init")
    queued = run_json(env, "add", site.url("/article"))
    assert queued["status"] == "queued"
    worker = subprocess.Popen(
        [str(SNAPSHELF), "worker"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert _wait_done(env, queued["snapshot_id"])["status"] == "done"
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)


def test_serve_beyond_loopback_needs_allowed_hosts(env):
    refused = run(env, "serve", "--host", "0.0.0.0", "--port", "0", check=False, timeout=120)
    assert refused.returncode != 0
    assert "SNAPSHELF_ALLOWED_HOSTS" in refused.stderr and "Traceback" not in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    assert not (Path(env["SNAPSHELF_DATA_DIR"]) / "snapshelf.sqlite3").exists()  # refused first


def test_commands_started_together_on_a_new_data_dir_migrate_once(env):
    """A worker and `serve` started side by side on a new version both find migrations
    to apply: one migrates, the others wait for it, and every command succeeds."""
    procs = [
        subprocess.Popen(
            [str(SNAPSHELF), "status", "--json"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    results = [(p.wait(timeout=300), p.stderr.read()) for p in procs]
    for p in procs:
        p.stdout.close()
        p.stderr.close()
    assert [code for code, _ in results] == [0, 0, 0, 0], [err[-800:] for _, err in results]
    assert json.loads(run(env, "status", "--json").stdout)["queued"] == 0

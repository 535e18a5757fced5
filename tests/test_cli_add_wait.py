"""`snapshelf add --wait` goes through a running worker, and captures in its own process
only when none runs: real `snapshelf` processes, a real worker, a page on 127.0.0.1."""

from __future__ import annotations

import dataclasses
import json
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.test_cli import SNAPSHELF, env, run, run_json, site  # noqa: F401  (fixtures)
from tests.webserver import Reply


@pytest.fixture
def worker(env):  # noqa: F811
    """A `snapshelf worker` on the test's data directory, up once its heartbeat shows."""
    run(env, "init")
    log = Path(env["SNAPSHELF_DATA_DIR"]) / "worker.log"
    with log.open("wb") as sink:
        proc = subprocess.Popen(
            [str(SNAPSHELF), "worker", "--workers", "1"], env=env, stdout=sink, stderr=sink
        )
    try:
        end = time.monotonic() + 60
        while run_json(env, "status")["queue"].get("worker_heartbeat_age_s") is None:
            assert proc.poll() is None, log.read_text()
            assert time.monotonic() < end, "the worker never beat"
            time.sleep(0.3)
        yield proc
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)


def test_wait_goes_through_the_running_worker(env, site, worker):  # noqa: F811
    # This process could not capture the page itself (a deadline nothing meets; the
    # destination is still checked here when submitted): only the worker can have.
    cli_env = dict(env, SNAPSHELF_CAPTURE_DEADLINE="0.001")
    proc = run(cli_env, "add", site.url("/article"), "--wait", "--json")
    added = json.loads(proc.stdout)
    assert added["status"] == "done", added
    assert added["captured_by"] == "worker"
    assert "· worker ·" in proc.stderr  # the live status
    shown = run_json(env, "show", str(added["snapshot_id"]))
    assert shown["resource_count"] == 2 and shown["title"] == "Running Docker on Windows"

    # The same text again: the worker folds it into the kept version, and --wait says so.
    again = run_json(cli_env, "add", site.url("/article"), "--wait")
    assert again["unchanged"] and again["snapshot_id"] == added["snapshot_id"]
    assert again["captured_by"] == "worker"

    # The site answers later than the caller waits: a one-line error, the worker goes on.
    slow = dataclasses.replace(Reply.html("<title>late</title><p>late</p>"), delay=4)
    site.route("/slow", lambda req: slow)
    late = run(env, "add", site.url("/slow"), "--wait", "--timeout", "1", check=False)
    assert late.returncode == 1
    assert "still" in late.stderr and "snapshelf show" in late.stderr

    # A worker that stopped is not waited for: this process captures.
    worker.send_signal(signal.SIGTERM)
    worker.wait(timeout=30)
    here = run_json(env, "add", site.url("/article"), "--wait", "--force")
    assert here["status"] == "done" and here["captured_by"] == "in-process"


def test_wait_captures_in_process_when_no_worker_runs(env, site):  # noqa: F811
    run(env, "init")
    added = run_json(env, "add", site.url("/article"), "--wait")
    assert added["status"] == "done" and added["captured_by"] == "in-process"
    assert run_json(env, "status")["queue"]["worker_heartbeat_age_s"] is None
    # The worker test's proof holds: with that deadline this process cannot capture.
    hobbled = dict(env, SNAPSHELF_CAPTURE_DEADLINE="0.001")
    failed = run(hobbled, "add", site.url("/article"), "--wait", "--json", "--force", check=False)
    assert failed.returncode == 1
    assert json.loads(failed.stdout)["captured_by"] == "in-process"
    assert json.loads(failed.stdout)["status"] == "failed"

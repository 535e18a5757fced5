"""A real `snapshelf worker` (one process) given pages that would stall it: they fail as
`too_complex` on their first try, and the ordinary pages queued with them are captured
by the same worker."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time

from tests.capture.test_isolate import serve
from tests.jobs.test_workers import SNAPSHELF, initialised_instance

ENQUEUE = """
import django; django.setup()
from django.contrib.auth import get_user_model
from snapshelf.jobs.tasks import enqueue_capture
from snapshelf.library.records import add_link
user = get_user_model().objects.get(username="admin")
for url in {urls!r}:
    link, snap = add_link(user, url)
    enqueue_capture(snap.pk)
"""


def test_pathological_pages_fail_as_too_complex_while_the_worker_goes_on(tmp_path, fixture_server):
    serve(fixture_server)
    fixture_server.route("/second", lambda req: fixture_server_reply("Second ordinary page. " * 50))
    env = initialised_instance(
        tmp_path,
        DJANGO_SETTINGS_MODULE="snapshelf.settings",
        SNAPSHELF_PARSE_CPU_SECONDS="2",
        SNAPSHELF_PARSE_MEMORY_MB="256",
    )
    urls = [fixture_server.url(p) for p in ("/attributes", "/ordinary", "/links", "/second")]
    script = ENQUEUE.format(urls=urls)
    subprocess.run([sys.executable, "-c", script], env=env, check=True, timeout=120)

    log = (tmp_path / "worker.log").open("w")
    worker = subprocess.Popen(
        [str(SNAPSHELF), "worker", "--workers", "1"], env=env, stdout=log, stderr=log
    )
    db = sqlite3.connect(tmp_path / "data" / "snapshelf.sqlite3", timeout=30)
    try:
        deadline = time.monotonic() + 400  # generous: a loaded machine, not a speed test
        while time.monotonic() < deadline:
            pending = db.execute(
                "SELECT count(*) FROM library_snapshot WHERE status IN ('queued', 'running')"
            ).fetchone()[0]
            if not pending:
                break
            assert worker.poll() is None, "the worker died"
            time.sleep(0.5)
        rows = db.execute(
            "SELECT l.url, s.status, s.error_code, s.attempts, s.title FROM library_snapshot s"
            " JOIN library_link l ON l.id = s.link_id"
        ).fetchall()
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
        db.close()
        log.close()
    by_path = {row[0].rsplit("/", 1)[-1]: row[1:] for row in rows}
    assert by_path["attributes"][:3] == ("failed", "too_complex", 1)
    assert by_path["links"][:3] == ("failed", "too_complex", 1)
    assert by_path["ordinary"][:2] == ("done", "")
    assert by_path["ordinary"][3] == "Ordinary"
    assert by_path["second"][:2] == ("done", "")


def fixture_server_reply(text: str):
    from tests.webserver import Reply

    return Reply.html(f"<title>Second</title><article><p>{text}</p></article>")

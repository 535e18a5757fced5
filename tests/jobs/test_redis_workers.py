"""The queue on Redis shared by several `snapshelf worker` processes: every capture is
done exactly once (the real Redis on 127.0.0.1:6379, real worker processes)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.webserver import TEST_ALLOW, TEST_HOSTS, Reply

SNAPSHELF = Path(sys.executable).parent / "snapshelf"
REDIS_URL = os.environ.get("SNAPSHELF_TEST_REDIS_URL", "redis://127.0.0.1:6379/14")
PAGES = 200

ENQUEUE = """
import django; django.setup()
from django.contrib.auth import get_user_model
from snapshelf.jobs.tasks import enqueue_capture
from snapshelf.library.services import add_link
user = get_user_model().objects.get(username="admin")
for i in range({pages}):
    link, snap = add_link(user, "{base}/p/%d" % i)
    enqueue_capture(snap.pk)
"""


@pytest.fixture
def redis_db():
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.ConnectionError as exc:
        pytest.fail(f"Redis is not reachable at {REDIS_URL}: {exc}")
    client.flushdb()
    yield client
    client.flushdb()


def test_two_workers_share_the_redis_queue_and_capture_each_page_once(
    tmp_path, fixture_server, redis_db
):
    for i in range(PAGES):
        body = f"<title>Page {i}</title><article><p>{f'Words about page {i}. ' * 30}</p>"
        fixture_server.route(f"/p/{i}", lambda req, body=body: Reply.html(body))
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SNAPSHELF_", "DATABASE_URL", "DJANGO_"))
    }
    env.update(
        SNAPSHELF_DATA_DIR=str(tmp_path / "data"),
        SNAPSHELF_EGRESS_ALLOW=TEST_ALLOW,
        SNAPSHELF_HOSTS=TEST_HOSTS,
        SNAPSHELF_DNS="off",
        SNAPSHELF_REDIS_URL=REDIS_URL,
        DJANGO_SETTINGS_MODULE="snapshelf.settings",
    )
    subprocess.run([str(SNAPSHELF), "init"], env=env, check=True, capture_output=True)
    base = fixture_server.url("").rstrip("/")
    script = ENQUEUE.format(pages=PAGES, base=base)
    subprocess.run([sys.executable, "-c", script], env=env, check=True, timeout=120)
    assert redis_db.dbsize() > 0  # the jobs wait in Redis, not in SQLite

    logs = [(tmp_path / f"worker{i}.log").open("w") for i in range(2)]
    workers = [
        subprocess.Popen(
            [str(SNAPSHELF), "worker", "--workers", "2"], env=env, stdout=log, stderr=log
        )
        for log in logs
    ]
    db = sqlite3.connect(tmp_path / "data" / "snapshelf.sqlite3", timeout=30)
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            pending = db.execute(
                "SELECT count(*) FROM library_snapshot WHERE status IN ('queued', 'running')"
            ).fetchone()[0]
            if not pending:
                break
            assert all(w.poll() is None for w in workers), "a worker died"
            time.sleep(0.5)
        statuses = dict(db.execute("SELECT status, count(*) FROM library_snapshot GROUP BY 1"))
    finally:
        for w in workers:
            w.send_signal(signal.SIGTERM)
        for w in workers:
            try:
                w.wait(timeout=30)
            except subprocess.TimeoutExpired:
                w.kill()
        db.close()
        for log in logs:
            log.close()
    assert statuses == {"done": PAGES}
    fetched = [p for p in fixture_server.paths() if p.startswith("/p/")]
    assert len(fetched) == PAGES and len(set(fetched)) == PAGES  # each page exactly once
    worker_logs = [(tmp_path / f"worker{i}.log").read_text() for i in range(2)]
    assert all("Snapshelf worker" in text for text in worker_logs)

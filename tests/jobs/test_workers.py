"""Workers as real processes: several sharing the queue on Redis (every capture done
exactly once), and a worker killed mid-capture (the capture is recovered)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.webserver import Reply, instance_env

SNAPSHELF = Path(sys.executable).parent / "snapshelf"
REDIS_URL = os.environ.get("SNAPSHELF_TEST_REDIS_URL", "redis://127.0.0.1:6379/14")
PAGES = 200

ENQUEUE = """
import django; django.setup()
from django.contrib.auth import get_user_model
from snapshelf.jobs.tasks import enqueue_capture
from snapshelf.library.records import add_link
user = get_user_model().objects.get(username="admin")
for i in range({pages}):
    link, snap = add_link(user, "{base}/p/%d" % i)
    enqueue_capture(snap.pk)
"""


def initialised_instance(tmp_path, **settings: str) -> dict[str, str]:
    """The environment of a fresh instance in ``tmp_path`` (`snapshelf init` done) that
    reaches only the fixture servers; none of this process's own settings leak in."""
    env = instance_env(tmp_path / "data", **settings)
    subprocess.run([str(SNAPSHELF), "init"], env=env, check=True, capture_output=True)
    return env


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
    env = initialised_instance(
        tmp_path, SNAPSHELF_REDIS_URL=REDIS_URL, DJANGO_SETTINGS_MODULE="snapshelf.settings"
    )
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


def processes_using(data_dir: str) -> list[int]:
    """Processes (of this user) whose environment names this data directory."""
    found = []
    marker = f"SNAPSHELF_DATA_DIR={data_dir}".encode()
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit() and int(proc.name) != os.getpid():
            try:
                if marker in (proc / "environ").read_bytes().split(b"\0"):
                    found.append(int(proc.name))
            except OSError:
                continue
    return found


def test_sigkilled_worker_capture_is_recovered_and_completes(tmp_path, fixture_server):
    """SIGKILL a worker mid-capture: the next worker finds the capture past its lease,
    runs it again, and the snapshot ends done with every blob it references."""
    calls = []

    def slow_first(req):
        calls.append(req.path)
        delay = 30.0 if len(calls) == 1 else 0.0
        return Reply(200, {"Content-Type": "text/html"}, b"<title>Slow</title><p>late</p>" * 20,
                     delay=delay)  # fmt: skip

    fixture_server.route("/slow", slow_first)
    env = initialised_instance(tmp_path, SNAPSHELF_CAPTURE_LEASE="2")
    added = subprocess.run(
        [str(SNAPSHELF), "add", fixture_server.url("/slow"), "--json"],
        env=env, check=True, capture_output=True, text=True,
    )  # fmt: skip
    assert '"queued"' in added.stdout
    db = sqlite3.connect(tmp_path / "data" / "snapshelf.sqlite3", timeout=30)

    def status() -> str:
        return db.execute("SELECT status FROM library_snapshot").fetchone()[0]

    first = subprocess.Popen(
        [str(SNAPSHELF), "worker", "--workers", "1"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while status() != "running" or not calls:
        assert time.monotonic() < deadline
        time.sleep(0.2)
    first.kill()  # SIGKILL
    first.wait(timeout=10)
    assert status() == "running"  # the dead worker could not say anything
    time.sleep(0.5)
    assert processes_using(env["SNAPSHELF_DATA_DIR"]) == []  # its children died with it
    time.sleep(2.5)  # past the lease
    second = subprocess.Popen(
        [str(SNAPSHELF), "worker", "--workers", "1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while status() != "done":
            assert time.monotonic() < deadline, status()
            time.sleep(0.2)
    finally:
        second.send_signal(signal.SIGTERM)
        output = second.communicate(timeout=30)[0]
    assert "queued again 1 capture" in output
    root, original = db.execute(
        "SELECT root_blob_id, original_blob_id FROM library_snapshot"
    ).fetchone()
    blobs = tmp_path / "data" / "blobs"
    for sha in (root, original):
        assert (blobs / sha[:2] / sha[2:4] / f"{sha}.zst").is_file()
    db.close()


def test_worker_process_captures_with_the_browser(tmp_path, fixture_server):
    """A `snapshelf worker` process starts Chromium for a script-rendered page (its
    fork hook once killed every process a worker started, Chromium included)."""
    script = "document.getElementById('app').textContent = 'Rendered by script. '.repeat(40)"
    fixture_server.route(
        "/app",
        lambda req: Reply.html(f"<title>App</title><div id=app></div><script>{script}</script>"),
    )
    env = initialised_instance(tmp_path, SNAPSHELF_BROWSER="auto")
    subprocess.run(
        [str(SNAPSHELF), "add", fixture_server.url("/app"), "--mode", "browser"],
        env=env, check=True, capture_output=True,
    )  # fmt: skip
    db = sqlite3.connect(tmp_path / "data" / "snapshelf.sqlite3", timeout=30)
    worker = subprocess.Popen(
        [str(SNAPSHELF), "worker", "--workers", "1"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    query = "SELECT status, error, text, screenshot_blob_id FROM library_snapshot"
    try:
        deadline = time.monotonic() + 90
        while db.execute(query).fetchone()[0] in ("queued", "running"):
            assert time.monotonic() < deadline
            time.sleep(0.3)
        status, error, text, screenshot = db.execute(query).fetchone()
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)
        db.close()
    assert (status, error) == ("done", "")
    assert "Rendered by script." in text
    assert screenshot


def _tree(root: int) -> dict[int, tuple[int, list[str]]]:
    """pid -> (parent pid, command line) of `root`'s descendants."""
    procs = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            status = (proc / "status").read_text()
            argv = (proc / "cmdline").read_bytes().decode(errors="replace").split("\0")
        except OSError:
            continue
        ppid = int(next(x for x in status.splitlines() if x.startswith("PPid:")).split()[1])
        procs[int(proc.name)] = (ppid, argv)

    def descends(pid: int) -> bool:
        while pid in procs and pid != root:
            pid = procs[pid][0]
        return pid == root

    return {pid: info for pid, info in procs.items() if pid != root and descends(pid)}


def _running(pid: int) -> bool:
    """Alive and not a zombie (one whose parent died may wait long for init to reap it)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rfind(")") + 2] != "Z"


def _browsers(tree: dict[int, tuple[int, list[str]]]) -> list[int]:
    """Chromium's main processes (its helpers carry --type=)."""
    return [
        pid
        for pid, (_ppid, argv) in tree.items()
        if Path(argv[0]).name in ("chromium", "chrome")
        and not any(a.startswith("--type=") for a in argv)
    ]


def test_worker_processes_render_in_one_browser(tmp_path, fixture_server):
    """`snapshelf worker --workers 2`: both capture processes render in one Chromium (the
    browser host's), an error crosses back with its code, and when the host dies the
    processes go on with browsers of their own."""
    script = "document.getElementById('app').textContent = 'Page %d by script. '.repeat(40)"
    for i in range(6):
        page = f"<title>App {i}</title><div id=app></div><script>{script % i}</script>"
        fixture_server.route(f"/app{i}", lambda req, page=page: Reply(
            200, {"Content-Type": "text/html"}, page.encode(), delay=1.5))  # fmt: skip
    fixture_server.route("/gone", lambda req: Reply.html("<title>Gone</title>", status=404))
    env = initialised_instance(tmp_path, SNAPSHELF_BROWSER="auto")

    def add(*paths: str) -> None:
        for path in paths:
            subprocess.run(
                [str(SNAPSHELF), "add", fixture_server.url(path), "--mode", "browser"],
                env=env, check=True, capture_output=True,
            )  # fmt: skip

    db = sqlite3.connect(tmp_path / "data" / "snapshelf.sqlite3", timeout=30)

    def finished() -> dict[str, tuple]:
        rows = db.execute(
            "SELECT l.url, s.status, s.error_code, s.text FROM library_snapshot s"
            " JOIN library_link l ON l.id = s.link_id"
        ).fetchall()
        if any(status in ("queued", "running") for _u, status, _c, _t in rows):
            return {}
        return {url.rsplit("/", 1)[1]: (status, code, text) for url, status, code, text in rows}

    def wait() -> dict[str, tuple]:
        deadline = time.monotonic() + 120
        while not (done := finished()):
            assert time.monotonic() < deadline
            assert worker.poll() is None, "the worker died"
            time.sleep(0.3)
        return done

    add("app0", "app1", "app2", "app3", "gone")
    worker = subprocess.Popen(
        [str(SNAPSHELF), "worker", "--workers", "2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        done = wait()
        tree = _tree(worker.pid)
        browsers = _browsers(tree)
        assert len(browsers) == 1, tree
        host = browsers[0]  # the worker's child the browser descends from
        while tree[host][0] != worker.pid:
            host = tree[host][0]
        os.kill(host, signal.SIGKILL)
        add("app4", "app5")
        after = wait()
        left = _tree(worker.pid)
        assert not _running(host) and not _running(browsers[0])  # the browser died with it
        assert _browsers(left)  # the capture processes' own
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)
        db.close()
    deadline = time.monotonic() + 15
    while alive := [pid for pid in left if _running(pid)]:
        assert time.monotonic() < deadline, alive  # nothing outlives the worker
        time.sleep(0.2)
    for i in range(4):
        status, code, text = done[f"app{i}"]
        assert (status, code) == ("done", "") and f"Page {i} by script." in text
    assert done["gone"][:2] == ("failed", "http_error")  # raised in the host, same class
    for i in (4, 5):  # rendered by the capture processes' own browsers
        assert after[f"app{i}"][:2] == ("done", "")
        assert f"Page {i} by script." in after[f"app{i}"][2]

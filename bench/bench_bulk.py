"""Bulk static capture through the real queue and `snapshelf worker` (see docs/architecture.md).

1,000 distinct pages: every MDN learning-area page, every Mozilla readability test
page, and trafilatura's evaluation pages (served gzip-encoded, as real sites do) to
make up the rest. The fixture server runs in its own process, as a remote site
would; the pages' references to the outside internet fail at once (no DNS).

Links are added (queued in the SQLite Huey queue), then `snapshelf worker` starts
and the clock runs until every snapshot has finished. Worker RSS is the peak
resident size (VmHWM) of each worker process. Prints JSON. Run:
    .venv/bin/python bench/bench_bulk.py [--pages 1000] [--workers N]
The scaled-out setup (PostgreSQL at 127.0.0.1:5432, the queue on Redis at
127.0.0.1:6379, two `snapshelf worker` commands sharing it):
    .venv/bin/python bench/bench_bulk.py --postgres --redis --instances 2 --workers 2
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.paths import CORPORA  # noqa: E402
from tests.webserver import TEST_ALLOW, TEST_HOSTS, FixtureServer, Reply  # noqa: E402

MDN = CORPORA / "mdn-learning-area-pages"
RDB = CORPORA / "mozilla-readability-testpages" / "test-pages"
TFL = CORPORA / "trafilatura-eval"


def page_paths(count: int) -> list[str]:
    paths = ["/mdn/" + p.relative_to(MDN).as_posix() for p in sorted(MDN.rglob("*.html"))]
    paths += [f"/rdb/{d.name}/source.html" for d in sorted(RDB.iterdir()) if d.is_dir()]
    paths += [
        "/tfl/" + p.relative_to(TFL).as_posix()[: -len(".gz")]
        for p in sorted(TFL.rglob("*.html.gz"))
    ]
    return paths[:count]


def gzip_file(request) -> Reply:
    path = TFL / (request.path.removeprefix("/tfl/") + ".gz")
    if not path.is_file() or TFL.resolve() not in path.resolve().parents:
        return Reply(status=404, headers={"Content-Type": "text/plain"}, body=b"missing\n")
    return Reply(
        headers={"Content-Type": "text/html", "Content-Encoding": "gzip"}, body=path.read_bytes()
    )


def serve(port_pipe) -> None:
    server = FixtureServer()
    server.mount("/mdn/", MDN)
    server.mount("/rdb/", RDB)
    server.route("/tfl/*", gzip_file)
    server.start()
    port_pipe.send(server.port)
    while True:
        time.sleep(3600)


def peak_rss_mb(pids: list[int]) -> dict[int, float]:
    peaks = {}
    for pid in pids:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                peaks[pid] = int(line.split()[1]) / 1024
    return peaks


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a live process (from /proc)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rfind(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def descendants(pid: int) -> list[int]:
    """``pid`` and every process below it."""
    found = [pid]
    for child in children(pid):
        found += descendants(child)
    return found


def children(pid: int) -> list[int]:
    """Processes started by any thread of ``pid`` (Chromium starts from a worker's
    browser thread, so the main thread's list alone misses it)."""
    found = []
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return []
    for task in tasks:
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--workers", type=int, help="processes per worker (default: its own)")
    parser.add_argument("--instances", type=int, default=1, help="`snapshelf worker` commands")
    parser.add_argument("--postgres", action="store_true", help="a fresh PostgreSQL database")
    parser.add_argument("--redis", action="store_true", help="the queue on Redis (db 13)")
    args = parser.parse_args()

    receive, send = multiprocessing.Pipe(duplex=False)
    server = multiprocessing.Process(target=serve, args=(send,), daemon=True)
    server.start()
    port = receive.recv()

    data_dir = tempfile.mkdtemp(prefix="snapshelf-bench-bulk-")
    env = dict(
        os.environ,
        SNAPSHELF_DATA_DIR=data_dir,
        SNAPSHELF_EGRESS_ALLOW=TEST_ALLOW,
        SNAPSHELF_HOSTS=TEST_HOSTS,
        SNAPSHELF_DNS="off",
        DJANGO_SETTINGS_MODULE="snapshelf.settings",
    )
    if args.postgres:
        import psycopg

        server_url = "postgres://postgres@127.0.0.1:5432/postgres"
        dbname = f"snapshelf_bench_bulk_{os.getpid()}"
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{dbname}"')
        env["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{dbname}"
    if args.redis:
        import redis

        env["SNAPSHELF_REDIS_URL"] = "redis://127.0.0.1:6379/13"
        redis.Redis.from_url(env["SNAPSHELF_REDIS_URL"]).flushdb()
    os.environ.update(env)
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from django.contrib.auth import get_user_model
    from django.db import connection

    from snapshelf.jobs.tasks import enqueue_capture
    from snapshelf.library.models import Snapshot
    from snapshelf.library.records import add_link

    user = get_user_model().objects.create_user("bench", "", "bench-password-123")
    paths = page_paths(args.pages)
    for path in paths:
        _link, snap = add_link(user, f"http://site.test:{port}{path}")
        enqueue_capture(snap.pk)
    connection.close()

    snapshelf = Path(sys.executable).with_name("snapshelf")
    t0 = time.perf_counter()
    log = open(Path(data_dir) / "worker.log", "wb")  # noqa: SIM115
    workers = [
        subprocess.Popen(
            [str(snapshelf), "worker", *(["--workers", str(args.workers)] if args.workers else [])],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        for _ in range(args.instances)
    ]
    print(f"worker log: {log.name}", file=sys.stderr)
    peaks: dict[int, float] = {}
    cpu: dict[int, float] = {}  # the worker processes
    browser_cpu: dict[int, float] = {}  # what they started: Chromium (sampled, so a lower bound)
    try:
        unfinished = Snapshot.Status.QUEUED, Snapshot.Status.RUNNING
        while Snapshot.objects.filter(status__in=unfinished).exists():
            pids = [p for w in workers for p in (w.pid, *children(w.pid))]
            for pid, mb in peak_rss_mb(pids).items():
                peaks[pid] = max(mb, peaks.get(pid, 0.0))
            for pid in pids:
                cpu[pid] = cpu_seconds(pid) or cpu.get(pid, 0.0)
            for pid in (d for w in workers for d in descendants(w.pid)):
                if pid not in pids:
                    browser_cpu[pid] = cpu_seconds(pid) or browser_cpu.get(pid, 0.0)
            time.sleep(0.2)
        elapsed = time.perf_counter() - t0
        server_cpu = cpu_seconds(server.pid)
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(timeout=60)
        server.terminate()
    failed = Snapshot.objects.filter(status=Snapshot.Status.FAILED)
    errors: dict[str, int] = {}
    for code in failed.values_list("error_code", flat=True):
        errors[code] = errors.get(code, 0) + 1
    print(
        json.dumps(
            {
                "machine": f"{platform.machine()} {os.cpu_count()} cores, "
                f"Python {platform.python_version()}",
                "bulk_static_capture": {
                    "pages": len(paths),
                    "database": connection.vendor,
                    "queue": "redis" if args.redis else "sqlite",
                    "worker_commands": args.instances,
                    "worker_processes": args.workers or settings.SNAPSHELF_WORKERS,
                    "failed": sum(errors.values()),
                    "failed_by_code": errors,
                    "seconds": round(elapsed, 2),
                    "pages_per_s": round(len(paths) / elapsed, 1),
                    "peak_rss_mb_per_process": sorted(round(v, 1) for v in peaks.values()),
                    # CPU seconds: the fixture server shares the machine's cores with the
                    # workers here, unlike a real remote site.
                    "cpu_s_workers": round(sum(cpu.values()), 1),
                    "cpu_s_browser": round(sum(browser_cpu.values()), 1),
                    "cpu_s_fixture_server": round(server_cpu or 0.0, 1),
                },
            },
            indent=2,
        )
    )
    if args.postgres:
        connection.close()
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')


if __name__ == "__main__":
    main()

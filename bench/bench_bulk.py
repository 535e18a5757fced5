"""Bulk static capture through the real queue and `snapshelf worker` (see docs/architecture.md).

1,000 distinct pages: every MDN learning-area page, every Mozilla readability test
page, and trafilatura's evaluation pages (served gzip-encoded, as real sites do) to
make up the rest. The fixture server runs in its own process, as a remote site
would; the pages' references to the outside internet fail at once (no DNS).

Two phases, timed separately:
- queueing: the links are saved and queued the way users do it. `--queue-via door`
  (default): services.links.save_link per link in this process, as the web add box does
  (quota taken, rows saved in one transaction, the capture queued on commit; no HTTP).
  `--queue-via import`: one `snapshelf import FILE` command with every link in a
  Netscape bookmarks file (a whole command: start-up included). Either way a few
  `snapshelf add URL` commands are timed too (`--cli-sample`), the one-link-per-process
  way, whose time is nearly all start-up.
- capturing: `snapshelf worker` starts; the clock runs from its first heartbeat (its
  start-up is reported on its own) until every snapshot has finished.
`--overlap` starts the worker first and queues while it captures (an import while the
instance runs): then the capture time is from the first link queued to the last done.
Worker RSS is the peak resident size (VmHWM) of each worker process. Prints JSON. Run:
    .venv/bin/python bench/bench_bulk.py [--pages 1000] [--workers N] [--queue-via door|import]
The scaled-out setup (PostgreSQL at 127.0.0.1:5432, the queue on Redis at
127.0.0.1:6379, two `snapshelf worker` commands sharing it):
    .venv/bin/python bench/bench_bulk.py --postgres --redis --instances 2 --workers 2
"""

from __future__ import annotations

import argparse
import html
import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import benchkit  # noqa: E402
from tests.paths import CORPORA  # noqa: E402
from tests.webserver import TEST_ALLOW, TEST_HOSTS, FixtureServer, Reply  # noqa: E402

MDN = CORPORA / "mdn-learning-area-pages"
RDB = CORPORA / "mozilla-readability-testpages" / "test-pages"
TFL = CORPORA / "trafilatura-eval"
SNAPSHELF = Path(sys.executable).with_name("snapshelf")
#: what run_all.py --quick passes
QUICK_ARGS = ["--pages", "200"]


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


def pss_mb(pid: int) -> float:
    """Proportional resident size now (pages shared by n processes count 1/n in each, so
    a sum over Chromium's processes is what they hold together); 0 when it cannot be read."""
    try:
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0.0
    line = next((x for x in rollup.splitlines() if x.startswith("Pss:")), "Pss: 0 kB")
    return int(line.split()[1]) / 1024


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


def import_available(env: dict) -> bool:
    """Whether this checkout has `snapshelf import` (another issue builds it)."""
    proc = subprocess.run(
        [str(SNAPSHELF), "import", "--help"], env=env, capture_output=True, check=False
    )
    return proc.returncode == 0


def bookmarks_file(urls: list[str], folder: str) -> Path:
    """The links as a browser's bookmarks export (Netscape HTML)."""
    path = Path(folder) / "bookmarks.html"
    rows = "".join(
        f'<DT><A HREF="{html.escape(u)}" ADD_DATE="1700000000">page {i}</A>\n'
        for i, u in enumerate(urls)
    )
    path.write_text(
        "<!DOCTYPE NETSCAPE-Bookmark-file-1>\n"
        '<META HTTP-EQUIV="Content-Type" CONTENT="text/html; charset=UTF-8">\n'
        f"<TITLE>Bookmarks</TITLE>\n<H1>Bookmarks</H1>\n<DL><p>\n{rows}</DL><p>\n",
        "utf-8",
    )
    return path


def queue_with_door(user, urls: list[str]) -> dict:
    from snapshelf.services.links import save_link

    per_link = []
    t0 = time.perf_counter()
    for url in urls:
        t = time.perf_counter()
        save_link(user, url)  # as the add box calls it (quota included)
        per_link.append((time.perf_counter() - t) * 1000)
    return {
        "via": "door",
        "measures": "services.links.save_link(user, url) per link in one process, as the add "
        "box calls it (quota, rows in one transaction, queued on commit); no HTTP",
        "seconds": round(time.perf_counter() - t0, 2),
        "ms_per_link": benchkit.spread(per_link, 2),
    }


def queue_with_import(env: dict, urls: list[str], folder: str) -> dict:
    path = bookmarks_file(urls, folder)
    t0 = time.perf_counter()
    proc = subprocess.run(
        [str(SNAPSHELF), "import", str(path), "--json"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - t0
    if proc.returncode:
        raise RuntimeError(f"snapshelf import failed: {proc.stderr[-2000:]}")
    report = json.loads(proc.stdout)
    return {
        "via": "import",
        "measures": "wall time of one `snapshelf import bookmarks.html --json` command "
        "(start-up, parsing, rows, captures queued) with every link in the file",
        "seconds": round(elapsed, 2),
        "ms_per_link": round(elapsed * 1000 / len(urls), 2),
        "import_report": {k: v for k, v in report.items() if k != "rejected"},
        "rejected": len(report.get("rejected", [])),
    }


def cli_add_sample(env: dict, urls: list[str]) -> dict | None:
    """`snapshelf add URL --json`, one process per link (links of their own)."""
    times = []
    for url in urls:
        t0 = time.perf_counter()
        subprocess.run(
            [str(SNAPSHELF), "add", url, "--json"], env=env, capture_output=True, check=True
        )
        times.append((time.perf_counter() - t0) * 1000)
    if not times:
        return None
    return {
        "measures": "wall time of one `snapshelf add URL --json` command (queues, no --wait), "
        "extra links beside the bulk ones",
        "ms_per_link": benchkit.spread(times, 1),
    }


def start_workers(args, env: dict, log) -> tuple[list[subprocess.Popen], float]:
    """The worker commands, and the seconds until the first heartbeat."""
    from snapshelf.jobs import heartbeat

    t0 = time.perf_counter()
    workers = [
        subprocess.Popen(
            [str(SNAPSHELF), "worker", *(["--workers", str(args.workers)] if args.workers else [])],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        for _ in range(args.instances)
    ]
    while not heartbeat.worker_alive():
        if any(w.poll() is not None for w in workers) or time.perf_counter() - t0 > 120:
            raise RuntimeError(f"a worker did not start; see {log.name}")
        time.sleep(0.02)
    return workers, time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--workers", type=int, help="processes per worker (default: its own)")
    parser.add_argument("--instances", type=int, default=1, help="`snapshelf worker` commands")
    parser.add_argument("--postgres", action="store_true", help="a fresh PostgreSQL database")
    parser.add_argument("--redis", action="store_true", help="the queue on Redis (db 13)")
    parser.add_argument("--queue-via", choices=["door", "import"], default="door")
    parser.add_argument("--overlap", action="store_true", help="queue while the worker runs")
    parser.add_argument("--cli-sample", type=int, default=3, help="`snapshelf add` commands")
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
        # the add box's quota is taken, with room for every link of the run
        SNAPSHELF_USER_CAPTURES_PER_HOUR=str(max(1000, args.pages + args.cli_sample + 10)),
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
    if args.queue_via == "import" and not import_available(env):
        sys.exit("this checkout has no `snapshelf import` command: use --queue-via door")
    os.environ.update(env)
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from django.contrib.auth import get_user_model
    from django.db import connection

    from snapshelf.library.models import Snapshot

    user = get_user_model().objects.create_user("bench", "", "bench-password-123")
    every = [f"http://site.test:{port}{p}" for p in page_paths(args.pages + args.cli_sample)]
    urls, cli_urls = every[: args.pages], every[args.pages :]

    log = open(Path(data_dir) / "worker.log", "wb")  # noqa: SIM115
    print(f"worker log: {log.name}", file=sys.stderr)
    workers: list[subprocess.Popen] = []
    try:
        if args.overlap:
            workers, start_s = start_workers(args, env, log)
            t0 = time.perf_counter()
        if args.queue_via == "door":
            queueing = queue_with_door(user, urls)
        else:
            connection.close()
            queueing = queue_with_import(env, urls, data_dir)
        cli = cli_add_sample(env, cli_urls) if args.cli_sample else None
        connection.close()
        if not args.overlap:
            workers, start_s = start_workers(args, env, log)
            t0 = time.perf_counter()
        capture = watch(workers, server.pid)
        elapsed = capture.pop("finished_at") - t0
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
    captured = Snapshot.objects.count()
    by_mode = modes()
    if args.overlap:
        capture_measures = (
            "from the first link queued (the worker already running) until every snapshot "
            "is done or failed; the queueing runs inside this time"
        )
    else:
        capture_measures = (
            "from the worker's first heartbeat (start-up excluded, reported as "
            "worker_start_s) until every queued snapshot is done or failed; nothing is "
            "queued meanwhile"
        )
    result = {
        "pages": len(urls),
        "snapshots": captured,
        "database": connection.vendor,
        "queue": "redis" if args.redis else "sqlite",
        "worker_commands": args.instances,
        "worker_processes": args.workers or settings.SNAPSHELF_WORKERS,
        "queueing": queueing,
        "cli_add": cli,
        "capture": {
            "measures": capture_measures,
            "overlap": args.overlap,
            "worker_start_s": round(start_s, 2),
            "seconds": round(elapsed, 2),
            "pages_per_s": round(captured / elapsed, 1),
            "failed": sum(errors.values()),
            "failed_by_code": errors,
            "by_mode": by_mode,
            **capture,
        },
    }
    summary = {
        f"queue ms/link ({args.queue_via})": queueing["ms_per_link"]["median"]
        if isinstance(queueing["ms_per_link"], dict)
        else queueing["ms_per_link"],
        "queue s": queueing["seconds"],
        "capture s": result["capture"]["seconds"],
        "pages/s": result["capture"]["pages_per_s"],
        # what a small batch costs whoever starts a worker for it
        "worker start + capture s": round(
            result["capture"]["worker_start_s"] + result["capture"]["seconds"], 2
        ),
        "peak worker RSS MB": max(capture["peak_rss_mb_per_process"], default=None),
        "browser pages": by_mode["browser"]["pages"],
        "peak Chromium PSS MB": capture["peak_pss_mb_browser"],
        "CPU s: workers / parse helpers / Chromium": [
            capture["cpu_s_workers"],
            capture["cpu_s_parse_helpers"],
            capture["cpu_s_browser"],
        ],
        "failed": result["capture"]["failed"],
    }
    if cli:
        summary["add (no wait) ms/command"] = cli["ms_per_link"]["median"]
    benchkit.emit(
        "bulk",
        f"{len(urls)} distinct pages: queueing ({queueing['via']}) and capturing by "
        "`snapshelf worker`, timed separately (see queueing.measures, capture.measures)",
        summary,
        bulk_static_capture=result,
    )
    if args.postgres:
        connection.close()
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')


def modes() -> dict:
    """How many pages each mode captured, its median capture time, and auto mode's most
    common reasons for the browser: in auto mode the few browser pages cost most of the
    CPU (Chromium's own, reported as cpu_s_browser), so they bound the rate."""
    from collections import Counter
    from statistics import median

    from snapshelf.library.models import Snapshot

    rows = Snapshot.objects.filter(status=Snapshot.Status.DONE).values_list("mode", "timings")
    out: dict[str, dict] = {m: {"pages": 0} for m in ("static", "browser")}
    times: dict[str, list[float]] = {}
    reasons: Counter[str] = Counter()
    for mode, timings in rows:
        entry = out.setdefault(mode, {"pages": 0})
        entry["pages"] += 1
        if isinstance(timings.get("total_ms"), (int, float)):
            times.setdefault(mode, []).append(timings["total_ms"])
        if mode == "browser" and timings.get("auto_reason"):
            reasons[timings["auto_reason"].split("(")[0].strip()] += 1
    for mode, values in times.items():
        out[mode]["median_total_ms"] = round(median(values), 1)
    out["browser"]["auto_reasons"] = dict(reasons.most_common(5))
    return out


def is_parse_helper(pid: int) -> bool | None:
    """None when it cannot be told: the process is gone, or a zombie (no command line),
    as a helper replaced after its sessions is until its parent reaps it."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    return b"snapshelf.capture.isolate" in cmdline if cmdline else None


def watch(workers: list[subprocess.Popen], server_pid: int) -> dict:
    """Sample the workers until no snapshot is queued or running: peak RSS, CPU seconds."""
    from snapshelf.library.models import Snapshot

    peaks: dict[int, float] = {}
    cpu: dict[int, float] = {}  # the worker processes
    browser_cpu: dict[int, float] = {}  # what they started: Chromium (sampled, so a lower bound)
    helper_cpu: dict[int, float] = {}  # the parse helpers (capture/isolate.py)
    kinds: dict[int, dict[int, float]] = {}  # pid -> the one of the two it counts in
    browser_pss = 0.0  # the most the browser processes held at once (sampled)
    unfinished = Snapshot.Status.QUEUED, Snapshot.Status.RUNNING
    while Snapshot.objects.filter(status__in=unfinished).exists():
        pids = [p for w in workers for p in (w.pid, *children(w.pid))]
        for pid, mb in peak_rss_mb(pids).items():
            peaks[pid] = max(mb, peaks.get(pid, 0.0))
        for pid in pids:
            cpu[pid] = cpu_seconds(pid) or cpu.get(pid, 0.0)
        for pid in (d for w in workers for d in descendants(w.pid)):
            if pid not in pids:
                helper = is_parse_helper(pid)  # looked at again: a fork shows its parent's
                if helper is not None:
                    kind = helper_cpu if helper else browser_cpu
                    if kinds.get(pid, kind) is not kind:
                        kinds[pid].pop(pid, None)
                    kinds[pid] = kind
                if pid in kinds:  # a zombie keeps the kind it had alive (and its CPU)
                    into = kinds[pid]
                    into[pid] = cpu_seconds(pid) or into.get(pid, 0.0)
        browser_pss = max(browser_pss, sum(pss_mb(pid) for pid in browser_cpu))
        time.sleep(0.2)
    return {
        "finished_at": time.perf_counter(),
        "peak_rss_mb_per_process": sorted(round(v, 1) for v in peaks.values()),
        # CPU seconds: the fixture server shares the machine's cores with the
        # workers here, unlike a real remote site.
        "cpu_s_workers": round(sum(cpu.values()), 1),
        "cpu_s_parse_helpers": round(sum(helper_cpu.values()), 1),
        "cpu_s_browser": round(sum(browser_cpu.values()), 1),
        "peak_pss_mb_browser": round(browser_pss),
        "cpu_s_fixture_server": round(cpu_seconds(server_pid) or 0.0, 1),
    }


if __name__ == "__main__":
    main()

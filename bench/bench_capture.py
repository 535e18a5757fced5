"""Capture benchmarks (targets in docs/architecture.md), printed as JSON.

- latency: one link saved through the service door with `wait` and no worker running,
  so it is captured in this process: normalise, save the rows, fetch the page and its
  ~20 subresources, rewrite, extract, store the blobs, commit, index. Every timed run
  is a distinct URL with its own text, so each is a new first version (nothing is
  folded into an unchanged earlier one); the subresources are the same files each
  time, so after the warm-up their blobs are already stored, as for a site captured
  before. `timings_median_ms` is the median of each stage over the timed runs.
- worker: the same, with a real `snapshelf worker` running: the door queues the capture
  and waits for the worker to finish it (what `snapshelf add --wait` does, without the
  command's start-up); and `snapshelf add URL --wait` itself, a whole command.
- bulk: in-process sequential capture (save rows + capture, no queue) of every MDN
  learning-area page and every Mozilla readability test page (pages/s, RSS); the
  queue and worker are bench_bulk.py's.
- storage: many pages of one site sharing CSS and fonts, blob bytes on disk
  versus the sum of their single-file HTML sizes

Everything is served from 127.0.0.1 by the test fixture server. Run:
    .venv/bin/python bench/bench_capture.py [--runs 15] [--only latency|worker|bulk|storage]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import benchkit  # noqa: E402
from tests.paths import CORPORA  # noqa: E402
from tests.webserver import TEST_ALLOW, TEST_HOSTS, FixtureServer, Reply  # noqa: E402

#: what run_all.py --quick passes
QUICK_ARGS = ["--runs", "7", "--cli-runs", "3", "--only", "latency,worker"]
SECTIONS = ("latency", "worker", "bulk", "storage")


def setup_django() -> None:
    os.environ["SNAPSHELF_DATA_DIR"] = tempfile.mkdtemp(prefix="snapshelf-bench-")
    os.environ["SNAPSHELF_EGRESS_ALLOW"] = TEST_ALLOW
    # Unknown hosts (the readability pages' live subresources) must fail fast, offline.
    os.environ["SNAPSHELF_HOSTS"] = TEST_HOSTS
    os.environ["SNAPSHELF_DNS"] = "off"
    os.environ["DJANGO_SETTINGS_MODULE"] = "snapshelf.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def article_html() -> str:
    """A readability article plus 20 real subresources (CSS, fonts, images) from MDN files."""
    mdn = CORPORA / "mdn-learning-area-pages"
    source = CORPORA / "mozilla-readability-testpages" / "test-pages" / "ars-1" / "source.html"
    html = source.read_text("utf-8")
    files = sorted(
        p
        for p in mdn.rglob("*")
        if p.suffix in {".jpg", ".png", ".svg", ".woff2", ".woff", ".ttf", ".css"}
    )
    chosen = [p for p in files if p.suffix == ".css"][:3] + [
        p for p in files if p.suffix in {".jpg", ".png", ".svg"}
    ][:13]
    fonts = [p for p in files if p.suffix in {".woff2", ".woff"}][:4]
    face = "".join(
        f"@font-face{{font-family:f{i};src:url(/mdn/{p.relative_to(mdn).as_posix()})}}"
        for i, p in enumerate(fonts)
    )
    tags = "".join(
        f'<link rel="stylesheet" href="/mdn/{p.relative_to(mdn).as_posix()}">'
        if p.suffix == ".css"
        else f'<img src="/mdn/{p.relative_to(mdn).as_posix()}">'
        for p in chosen
    )
    return html.replace("</head>", f"<style>{face}</style>{tags}</head>", 1)


def article_pages(server: FixtureServer) -> Callable[[object], str]:
    """Serve /article/N.html: the article with a paragraph of its own (distinct text, so
    every page is a new version); returns N -> URL."""
    server.mount("/mdn/", CORPORA / "mdn-learning-area-pages")
    html = article_html()

    def page(request) -> Reply:
        n = request.path.rsplit("/", 1)[-1].removesuffix(".html")
        mark = f"<p>Benchmark page {n}: a paragraph no other page has.</p>"
        return Reply.html(html.replace("</body>", mark + "</body>", 1))

    server.route("/article/*", page)
    return lambda n: server.url(f"/article/{n}.html")


def save_and_wait(user, url: str):
    """The door, waiting for the capture (in this process, or through a running worker)."""
    from snapshelf.services.links import save_link

    t0 = time.perf_counter()
    saved = save_link(user, url, limited=False, wait=True)
    return time.perf_counter() - t0, saved


def capture_once(user, url: str):
    from snapshelf.jobs.capture import run_capture
    from snapshelf.library.records import add_link

    t0 = time.perf_counter()
    _link, snap = add_link(user, url)
    snap = run_capture(snap.pk).snapshot
    return time.perf_counter() - t0, snap


def timed_saves(user, urls: list[str], expect_by: str) -> dict:
    """Save and wait for each URL in turn: the times, and the stages' medians."""
    times, outside, timings = [], [], []
    for url in urls:
        elapsed, saved = save_and_wait(user, url)
        snap = saved.snapshot
        assert snap.status == "done", (snap.status, snap.error)
        assert not saved.unchanged, url
        assert saved.captured_by == expect_by, saved.captured_by
        times.append(elapsed * 1000)
        # what the snapshot's own timings leave out: saving the rows, claiming, the
        # commit's index update, and (through a worker) the queue and the waiting
        outside.append(elapsed * 1000 - snap.timings["total_ms"])
        timings.append(snap.timings)
    return {
        "runs": len(urls),
        "median_ms": round(statistics.median(times), 1),
        "p95_ms": round(benchkit.percentile(times, 0.95), 1),
        "timings_median_ms": benchkit.stage_medians(timings),
        "outside_timings_median_ms": round(statistics.median(outside), 1),
    }


def bench_latency(user, page_url, runs: int) -> dict:
    cold, saved = save_and_wait(user, page_url("warm-up"))  # imports, connections, blobs
    return {
        "measures": "services.links.save_link(wait=True) with no worker running: save the "
        "rows, capture in this process (fetch + ~20 resources + rewrite + extract), store, "
        "commit, index; a distinct URL and text per run (a new first version each time); "
        "subresource blobs already stored by the warm-up",
        "page": "ars-1 article + 20 MDN subresources, a distinct paragraph per run",
        "resources": saved.snapshot.resource_count,
        **timed_saves(user, [page_url(f"latency-{i}") for i in range(runs)], "in-process"),
        "first_capture_in_process_ms": round(cold * 1000, 1),
    }


def start_worker(env: dict, log: Path) -> subprocess.Popen:
    """`snapshelf worker` (its default processes), once its heartbeat shows."""
    from snapshelf.jobs import heartbeat

    snapshelf = Path(sys.executable).with_name("snapshelf")
    with log.open("wb") as sink:
        proc = subprocess.Popen([str(snapshelf), "worker"], env=env, stdout=sink, stderr=sink)
    end = time.monotonic() + 120
    while not heartbeat.worker_alive():
        if proc.poll() is not None or time.monotonic() > end:
            raise RuntimeError(f"the worker did not start: {log.read_text()[-2000:]}")
        time.sleep(0.1)
    return proc


def warm_up_processes(user, page_url, processes: int) -> None:
    """Several captures queued at once, so each worker process does one (its imports and
    caches) before the timed runs; then wait for all of them."""
    from snapshelf.library.models import Snapshot
    from snapshelf.services.links import save_link

    ids = [
        save_link(user, page_url(f"warm-{i}"), limited=False).snapshot.pk
        for i in range(3 * processes)
    ]
    unfinished = Snapshot.objects.filter(pk__in=ids, status__in=["queued", "running"])
    end = time.monotonic() + 120
    while unfinished.exists() and time.monotonic() < end:
        time.sleep(0.05)


def bench_worker(user, page_url, runs: int, cli_runs: int, idle: float) -> dict:
    from django.conf import settings

    log = Path(os.environ["SNAPSHELF_DATA_DIR"]) / "worker.log"
    worker = start_worker(dict(os.environ), log)
    try:
        cold, _saved = save_and_wait(user, page_url("worker-warm-up"))
        warm_up_processes(user, page_url, settings.SNAPSHELF_WORKERS)
        timed = timed_saves(user, [page_url(f"worker-{i}") for i in range(runs)], "worker")
        cli = []
        snapshelf = Path(sys.executable).with_name("snapshelf")
        for i in range(cli_runs):
            t0 = time.perf_counter()
            proc = subprocess.run(
                [str(snapshelf), "add", page_url(f"cli-{i}"), "--wait", "--json"],
                capture_output=True,
                text=True,
                check=True,
            )
            cli.append((time.perf_counter() - t0) * 1000)
            added = json.loads(proc.stdout)
            assert added["status"] == "done", added
            assert added["captured_by"] == "worker", added
        if idle:  # Huey's idle workers poll less and less often, up to max_delay apart
            time.sleep(idle)
            after_idle, saved = save_and_wait(user, page_url("after-idle"))
            assert saved.captured_by == "worker", saved.captured_by
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=60)
    consumer = settings.HUEY.get("consumer", {})
    result = {
        "measures": "services.links.save_link(wait=True) with `snapshelf worker` running: "
        "save the rows, queue, the worker takes the task (Huey polls its queue), captures, "
        "stores, commits, indexes, and the caller sees the row done (it polls the row); "
        "distinct URL and text per run; the worker has just finished the previous run, so "
        "its queue polling is at its shortest",
        "worker_processes": settings.SNAPSHELF_WORKERS,
        **timed,
        "first_capture_after_worker_start_ms": round(cold * 1000, 1),
        "huey_idle_poll_s": {
            "first": consumer.get("initial_delay", 0.1),
            "max": consumer.get("max_delay", 10.0),
        },
    }
    if idle:
        result["after_idle"] = {
            "measures": f"one save_link(wait=True) after the worker sat idle {idle:g} s",
            "ms": round(after_idle * 1000, 1),
        }
    if cli_runs:
        result["cli_add_wait"] = {
            "measures": "wall time of the whole `snapshelf add URL --wait --json` command "
            "(interpreter and Django start-up, save, queue, wait for the worker, print)",
            "runs": cli_runs,
            "median_ms": round(statistics.median(cli), 1),
            "max_ms": round(max(cli), 1),
        }
    return result


def bench_bulk(user, server: FixtureServer) -> dict:
    mdn = CORPORA / "mdn-learning-area-pages"
    rdb = CORPORA / "mozilla-readability-testpages" / "test-pages"
    server.mount("/mdn/", mdn)
    server.mount("/rdb/", rdb)
    urls = [
        server.url("/mdn/" + p.relative_to(mdn).as_posix()) for p in sorted(mdn.rglob("*.html"))
    ]
    urls += [
        server.url(f"/rdb/{d.name}/source.html")
        for d in sorted(rdb.iterdir())
        if (d / "source.html").is_file()
    ]
    t0 = time.perf_counter()
    failed = 0
    for url in urls:
        _, snap = capture_once(user, url)
        failed += snap.status != "done"
    elapsed = time.perf_counter() - t0
    return {
        "measures": "in this process, one after another: save the rows (records.add_link) "
        "and capture (jobs.capture.run_capture: fetch, resources, rewrite, extract, store, "
        "commit, index) of each distinct page; no queue, no worker (bench_bulk.py has those)",
        "pages": len(urls),
        "failed": failed,
        "seconds": round(elapsed, 2),
        "pages_per_s": round(len(urls) / elapsed, 1),
        "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def bench_storage(user, server: FixtureServer, pages: int = 200) -> dict:
    from django.conf import settings

    from snapshelf.library.artefacts import single_file_html
    from snapshelf.library.models import Snapshot
    from snapshelf.storage import FilesystemBlobStore

    mdn = CORPORA / "mdn-learning-area-pages"
    settings.SNAPSHELF_BLOB_DIR = Path(tempfile.mkdtemp(prefix="snapshelf-bench-blobs-"))
    site = mdn / "css" / "styling-text" / "typesetting-a-homepage-finished"
    template = (site / "index.html").read_text("utf-8")
    server.mount("/site/", site)
    articles = sorted(
        (CORPORA / "mozilla-readability-testpages" / "test-pages").glob("*/expected.html")
    )
    for n in range(pages):
        body = articles[n % len(articles)].read_text("utf-8")
        html = template.replace("<body>", f"<body><article>{body}</article>", 1)
        server.route(f"/site/page{n}.html", lambda req, html=html: Reply.html(html))
    single_total = 0
    for n in range(pages):
        _, snap = capture_once(user, server.url(f"/site/page{n}.html"))
        assert snap.status == Snapshot.Status.DONE, snap.error
        single_total += len(single_file_html(snap))
    store = FilesystemBlobStore(settings.SNAPSHELF_BLOB_DIR)
    stored = sum(store.path(k).stat().st_size for k in store.iter_keys())
    return {
        "measures": "not a time: bytes of the blob store after capturing the pages (zstd, "
        "one copy per distinct content) over the sum of their single-file HTML sizes",
        "pages": pages,
        "single_file_total_bytes": single_total,
        "stored_bytes": stored,
        "ratio": round(stored / single_total, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--cli-runs", type=int, default=5, help="`snapshelf add --wait` runs")
    parser.add_argument("--only", default=",".join(SECTIONS), help="comma-separated sections")
    parser.add_argument(
        "--idle", type=float, default=0, help="also one capture after the worker idled this long"
    )
    args = parser.parse_args()
    only = args.only.split(",")
    setup_django()
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user("bench", "", "bench-password-123")
    server = FixtureServer()
    server.start()
    results: dict = {}
    try:
        page_url = article_pages(server)
        if "latency" in only:
            results["static_capture_latency"] = bench_latency(user, page_url, args.runs)
        if "worker" in only:
            results["through_worker"] = bench_worker(
                user, page_url, args.runs, args.cli_runs, args.idle
            )
        if "bulk" in only:
            results["bulk_static_capture"] = bench_bulk(user, server)
        if "storage" in only:
            results["storage_ratio"] = bench_storage(user, server)
    finally:
        server.stop()
    summary = {}
    if "static_capture_latency" in results:
        summary["capture median ms (in-process)"] = results["static_capture_latency"]["median_ms"]
    if "through_worker" in results:
        summary["capture median ms (worker)"] = results["through_worker"]["median_ms"]
        if "cli_add_wait" in results["through_worker"]:
            summary["add --wait median ms"] = results["through_worker"]["cli_add_wait"]["median_ms"]
    if "bulk_static_capture" in results:
        summary["in-process bulk pages/s"] = results["bulk_static_capture"]["pages_per_s"]
    if "storage_ratio" in results:
        summary["storage ratio"] = results["storage_ratio"]["ratio"]
    benchkit.emit(
        "capture",
        "each section names its timed region; all pages come from 127.0.0.1",
        summary,
        **results,
    )


if __name__ == "__main__":
    main()

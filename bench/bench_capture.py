"""Capture benchmarks (targets in docs/architecture.md), printed as JSON.

- latency: end-to-end static capture (add + fetch + resources + rewrite +
  extract + store + commit) of a real article page with ~20 subresources
- bulk: static capture of every MDN learning-area page and every Mozilla
  readability test page (pages/s, worker RSS)
- storage: many pages of one site sharing CSS and fonts, blob bytes on disk
  versus the sum of their single-file HTML sizes

Everything is served from 127.0.0.1 by the test fixture server. Run:
    .venv/bin/python bench/bench_capture.py [--runs 15]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.paths import CORPORA  # noqa: E402
from tests.webserver import TEST_ALLOW, TEST_HOSTS, FixtureServer, Reply  # noqa: E402


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


def article_page(server: FixtureServer) -> str:
    """A readability article plus 20 real subresources (CSS, fonts, images) from MDN files."""
    mdn = CORPORA / "mdn-learning-area-pages"
    server.mount("/mdn/", mdn)
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
    html = html.replace("</head>", f"<style>{face}</style>{tags}</head>", 1)
    server.route("/article.html", lambda req: Reply.html(html))
    return server.url("/article.html")


def capture_once(user, url: str):
    from snapshelf.jobs.capture import run_capture
    from snapshelf.library.records import add_link

    t0 = time.perf_counter()
    _link, snap = add_link(user, url)
    snap = run_capture(snap.pk).snapshot
    return time.perf_counter() - t0, snap


def bench_latency(user, server: FixtureServer, runs: int) -> dict:
    url = article_page(server)
    capture_once(user, url)  # warm-up (imports, connections)
    times, snap = [], None
    for _ in range(runs):
        elapsed, snap = capture_once(user, url)
        assert snap.status == "done", snap.error
        times.append(elapsed * 1000)
    return {
        "page": "ars-1 article + 20 MDN subresources",
        "resources": snap.resource_count,
        "runs": runs,
        "median_ms": round(statistics.median(times), 1),
        "p95_ms": round(sorted(times)[int(0.95 * (len(times) - 1))], 1),
        "timings_last": snap.timings,
    }


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
        "pages": pages,
        "single_file_total_bytes": single_total,
        "stored_bytes": stored,
        "ratio": round(stored / single_total, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--only", choices=["latency", "bulk", "storage"])
    args = parser.parse_args()
    setup_django()
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user("bench", "", "bench-password-123")
    server = FixtureServer()
    server.start()
    machine = f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}"
    results: dict = {"machine": machine}
    try:
        if args.only in (None, "latency"):
            results["static_capture_latency"] = bench_latency(user, server, args.runs)
        if args.only in (None, "bulk"):
            results["bulk_static_capture"] = bench_bulk(user, server)
        if args.only in (None, "storage"):
            results["storage_ratio"] = bench_storage(user, server)
    finally:
        server.stop()
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()

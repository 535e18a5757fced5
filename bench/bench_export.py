"""Export speed (issue 18): a 10,000-link library to Netscape HTML and JSON (target
<= 5 s each), and a WARC of 1,000 snapshots (MB/s).

One user in a temporary SQLite data directory: 10,000 links with notes, 1-3 of 50 tags
and a done snapshot each (metadata only); 1,000 of them, tagged `warc`, also hold stored
bytes: a unique ~30 KB HTML document, a stylesheet shared by all (written once, then
revisit records) and three unique ~10 KB images, with response headers. Each export is
written to a file through `write_export` (what the CLI does), `--repeat` times; prints
JSON with the median seconds, output size, throughput and the process's peak RSS.
Run:
    .venv/bin/python bench/bench_export.py [--links 10000] [--warc 1000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import random
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

LOREM = (
    "Snapshots keep the web as it was, so that links do not rot away and readers find "
    "what they saved years later, with its pictures and its style. "
)


def setup_django() -> Path:
    data = Path(tempfile.mkdtemp(prefix="snapshelf-bench-export-"))
    os.environ["SNAPSHELF_DATA_DIR"] = str(data)
    os.environ["DJANGO_SETTINGS_MODULE"] = "snapshelf.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return data


def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def populate(n_links: int, n_warc: int):
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.utils import timezone

    from snapshelf.library.models import Blob, Link, Resource, Snapshot, Tag
    from snapshelf.storage import get_blob_store

    rng = random.Random(18)
    store = get_blob_store()
    user = get_user_model().objects.create_user("bench", "", "bench-password-123")
    now = timezone.now()

    def blob(data: bytes) -> str:
        info = store.put(data)
        Blob.objects.get_or_create(
            sha256=info.sha256, defaults={"size": info.size, "stored_size": info.stored_size}
        )
        return info.sha256

    with transaction.atomic():
        tags = Tag.objects.bulk_create([Tag(owner=user, name=f"topic-{i}") for i in range(50)])
        warc_tag = Tag.objects.create(owner=user, name="warc")
        links = []
        for i in range(n_links):
            url = f"https://site{i % 500}.example.org/articles/{i}?ref=<b>&x=1"
            links.append(
                Link(
                    owner=user,
                    url=url,
                    url_normalized=url,
                    url_hash=hashlib.sha256(url.encode()).hexdigest(),
                    title=f'Article {i}: "quotes" & <tags> =SUM(A1)' if i % 10 == 0 else "",
                    note=f"A note on article {i}.\nSecond line." if i % 4 == 0 else "",
                    unread=i % 3 == 0,
                    favorite=i % 17 == 0,
                    archived=i % 50 == 0,
                    visibility=("private", "unlisted", "public")[i % 3],
                )
            )
        links = Link.objects.bulk_create(links, batch_size=2000)
        through = Link.tags.through
        rows = []
        for i, link in enumerate(links):
            for t in rng.sample(tags, 1 + i % 3):
                rows.append(through(link_id=link.pk, tag_id=t.pk))
            if i < n_warc:
                rows.append(through(link_id=link.pk, tag_id=warc_tag.pk))
        through.objects.bulk_create(rows, batch_size=5000)
        snaps = Snapshot.objects.bulk_create(
            [
                Snapshot(
                    link=link,
                    version=1,
                    status="done",
                    finished=now,
                    final_url=link.url,
                    http_status=200,
                    content_type="text/html",
                    charset="utf-8",
                    kind="html",
                    title=f"Captured title {i}",
                    site_name=f"Site {i % 500}",
                    language="en",
                    word_count=800,
                    total_bytes=60_000,
                    resource_count=4,
                )
                for i, link in enumerate(links)
            ],
            batch_size=2000,
        )
        for link, snap in zip(links, snaps, strict=True):
            link.latest_snapshot_id = snap.pk
        Link.objects.bulk_update(links, ["latest_snapshot"], batch_size=2000)

    css = blob(b"body{font:16px/1.5 serif;color:#222}\n" * 200)
    html_headers = [["Content-Type", "text/html; charset=utf-8"], ["Server", "bench"]]
    payload = 0
    for i, snap in enumerate(snaps[:n_warc]):
        words = " ".join(rng.choice(LOREM.split()) for _ in range(4500))
        document = f"<!doctype html><title>Page {i}</title><p>{words}</p>".encode()
        images = [rng.randbytes(10_000) for _ in range(3)]
        with transaction.atomic():
            Snapshot.objects.filter(pk=snap.pk).update(
                original_blob_id=blob(document), headers=html_headers
            )
            res = [
                Resource(
                    snapshot_id=snap.pk,
                    url=f"https://cdn.example.org/site.css?v={i % 2}",
                    kind="stylesheet",
                    content_type="text/css",
                    http_status=200,
                    headers=[["Content-Type", "text/css"]],
                    blob_id=css,
                )
            ]
            for k, image in enumerate(images):
                res.append(
                    Resource(
                        snapshot_id=snap.pk,
                        url=f"https://img.example.org/{i}/{k}.png",
                        kind="image",
                        content_type="image/png",
                        http_status=200,
                        headers=[["Content-Type", "image/png"], ["Cache-Control", "max-age=60"]],
                        blob_id=blob(image),
                    )
                )
            Resource.objects.bulk_create(res)
        payload += len(document) + sum(len(b) for b in images)
    return user, warc_tag, payload


def timed(repeat: int, run) -> tuple[list[float], list[float], int]:
    """Wall and CPU seconds of each run (CPU: on a shared machine, the part that is ours)."""
    times, cpu, size = [], [], 0
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        size = run()
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return times, cpu, size


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--links", type=int, default=10_000)
    parser.add_argument("--warc", type=int, default=1_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    data = setup_django()
    from snapshelf.io.exporters import Selection, write_export

    t0 = time.perf_counter()
    user, warc_tag, payload = populate(args.links, args.warc)
    setup_s = time.perf_counter() - t0
    out = data / "out"
    out.mkdir()
    rss_before = peak_rss_mb()
    report: dict = {
        "bench": "export",
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "links": args.links,
        "setup_s": round(setup_s, 1),
        "peak_rss_mb_after_setup": rss_before,
        "cases": {},
    }
    for fmt in ("netscape", "json", "csv"):
        times, cpu, size = timed(
            args.repeat, lambda fmt=fmt: write_export(Selection(user), fmt, out / f"lib.{fmt}")
        )
        median = statistics.median(times)
        report["cases"][fmt] = {
            "median_s": round(median, 3),
            "runs_s": [round(t, 3) for t in times],
            "median_cpu_s": round(statistics.median(cpu), 3),
            "bytes": size,
            "links_per_s": round(args.links / median),
            "target_s": 5.0 if fmt != "csv" else None,
        }
    times, cpu, size = timed(
        args.repeat,
        lambda: write_export(Selection(user, warc_tag), "warc", out / "lib.warc.gz"),
    )
    median = statistics.median(times)
    report["cases"]["warc"] = {
        "snapshots": args.warc,
        "median_s": round(median, 3),
        "runs_s": [round(t, 3) for t in times],
        "median_cpu_s": round(statistics.median(cpu), 3),
        "bytes": size,
        "payload_bytes": payload,
        "payload_mb_per_cpu_s": round(payload / 2**20 / statistics.median(cpu), 1),
        "payload_mb_per_s": round(payload / 2**20 / median, 1),
        "output_mb_per_s": round(size / 2**20 / median, 1),
        "snapshots_per_s": round(args.warc / median, 1),
    }
    report["peak_rss_mb"] = peak_rss_mb()
    report["load_average"] = [round(x, 1) for x in os.getloadavg()]
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Library page server time at 100,000 links (target in docs/architecture.md).

One user, 100,000 links with a done snapshot each and ~50 tags spread over them,
in a temporary SQLite data directory. Each case is requested 30+ times through
Django's test Client; prints JSON with median and p95 milliseconds per case.
Target: p95 <= 100 ms. Run:
    .venv/bin/python bench/bench_library.py [--links 100000] [--repeat 30]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import benchkit  # noqa: E402

#: what run_all.py --quick passes
QUICK_ARGS = ["--links", "10000", "--repeat", "15"]
MEASURES = (
    "server time of GET on the library page through Django's test Client (middleware, "
    "view, queries, template; no HTTP server, no network), logged in, after one warm-up "
    "request per case; populating the library is not timed here (populate_s)"
)

WORDS = [
    "alpha",
    "bravo",
    "charlie",
    "delta",
    "echo",
    "foxtrot",
    "golf",
    "hotel",
    "india",
    "juliet",
    "kilo",
    "lima",
]


def setup_django() -> None:
    os.environ["SNAPSHELF_DATA_DIR"] = tempfile.mkdtemp(prefix="snapshelf-bench-lib-")
    os.environ["DJANGO_SETTINGS_MODULE"] = "snapshelf.settings"
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    call_command("migrate", verbosity=0)


def populate(n: int):
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction

    from snapshelf.library.models import Link, Snapshot, Tag

    user = get_user_model().objects.create_user("bench", "", "bench-password-123")
    with transaction.atomic():
        tags = Tag.objects.bulk_create([Tag(owner=user, name=f"topic-{i}") for i in range(50)])
        links = []
        for i in range(n):
            url = f"https://site{i % 500}.example.org/articles/{i}"
            links.append(
                Link(
                    owner=user,
                    url=url,
                    url_normalized=url,
                    url_hash=hashlib.sha256(url.encode()).hexdigest(),
                    unread=i % 3 == 0,
                    favorite=i % 17 == 0,
                    archived=i % 50 == 0,
                    sort_title=f"{WORDS[i % 12]} article number {i}",
                )
            )
        links = Link.objects.bulk_create(links, batch_size=5000)
        snaps = [
            Snapshot(
                link=link,
                version=1,
                status="done",
                title=f"{WORDS[i % 12].title()} article number {i}",
                site_name=f"Site {i % 500}",
                description=f"About {WORDS[(i * 7) % 12]} and {WORDS[(i * 5) % 12]}.",
                text=("Body text " * 200),
            )
            for i, link in enumerate(links)
        ]
        Snapshot.objects.bulk_create(snaps, batch_size=5000)
        with connection.cursor() as cur:
            cur.execute(
                "UPDATE library_link SET latest_snapshot_id = "
                "(SELECT s.id FROM library_snapshot s WHERE s.link_id = library_link.id)"
            )
        through = Link.tags.through
        rows = []
        for i, link in enumerate(links):
            # a skewed spread: topic-0 is common, the long tail is rare
            for k in {i % 3, i % 50, (i * 7) % 50}:
                rows.append(through(link_id=link.pk, tag_id=tags[k].pk))
        through.objects.bulk_create(rows, batch_size=10000, ignore_conflicts=True)
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    return user


def measure(client, path: str, repeat: int) -> dict:
    client.get(path)  # warm
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    times.sort()
    return {
        "path": path,
        "median_ms": round(statistics.median(times), 1),
        "p95_ms": round(times[int(len(times) * 0.95) - 1], 1),
        "rows": response.content.count(b'class="link-row'),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--links", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    setup_django()
    from django.test import Client

    t0 = time.perf_counter()
    user = populate(args.links)
    client = Client()
    client.force_login(user)
    cases = {
        "first_page": "/",
        "deep_page": "/?page=1000",
        "tag": "/?tag=topic-7",
        "two_tags": "/?tag=topic-1&tag=topic-21",
        "unread": "/?is=unread",
        "sort_title": "/?sort=title",
        "search": "/?q=juliet",
        "search_no_match": "/?q=nomatchanywhere",
    }
    results = {
        "links": args.links,
        "populate_s": round(time.perf_counter() - t0, 1),
        "target_p95_ms": 100,
        "cases": {name: measure(client, path, args.repeat) for name, path in cases.items()},
    }
    worst = max(results["cases"].items(), key=lambda kv: kv[1]["p95_ms"])
    summary = {
        "links": args.links,
        "worst p95 ms": f"{worst[1]['p95_ms']} ({worst[0]})",
        "first page p95 ms": results["cases"]["first_page"]["p95_ms"],
    }
    benchkit.emit("library", MEASURES, summary, **results)


if __name__ == "__main__":
    main()

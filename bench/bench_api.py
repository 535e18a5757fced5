"""REST API server time at 100,000 links, and create-link throughput.

One user with 100,000 links (bench_library's population: a done snapshot each, ~50
tags), the search index rebuilt, in a temporary SQLite data directory. Requests go
through Django's test Client with a Bearer token (auth, rate limit, view, queries,
JSON, ETag; no HTTP server). Prints JSON: median and p95 ms per case.
Targets: list of 100 links p95 <= 50 ms, search p95 <= 40 ms.

Create throughput: POST /api/v1/links with distinct URLs. There is no "capture off"
switch, so the captures are queued and the queue is not drained (no worker runs): the
figure is the API's save path (validation, quota, rows, index, queueing), not capture.

    .venv/bin/python bench/bench_api.py [--links 100000] [--repeat 30] [--creates 300]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_library  # noqa: E402
import benchkit  # noqa: E402

#: what run_all.py --quick passes
QUICK_ARGS = ["--links", "10000", "--repeat", "15", "--creates", "100"]
MEASURES = (
    "server time of API requests through Django's test Client with a Bearer token (token "
    "lookup, rate limit, view, queries, JSON, ETag; no HTTP server), after one warm-up "
    "request per case; populating and indexing the library are not timed here; create: "
    "wall time of sequential POST /api/v1/links with the captures queued, not run"
)


def measure(client, path: str, headers: dict, repeat: int) -> dict:
    client.get(path, headers=headers)  # warm
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        response = client.get(path, headers=headers)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (path, response.status_code, response.content[:300])
    times.sort()
    body = response.json()
    return {
        "path": path[:120],
        "median_ms": round(statistics.median(times), 1),
        "p95_ms": round(times[max(0, int(len(times) * 0.95) - 1)], 1),
        "items": len(body["items"]) if isinstance(body, dict) and "items" in body else None,
    }


def deep_cursor(client, headers: dict, pages: int) -> str:
    """The cursor of page `pages` of 100 (a deep page costs what the first does)."""
    cursor = ""
    for _ in range(pages):
        query = "/api/v1/links?limit=100" + (f"&cursor={cursor}" if cursor else "")
        cursor = client.get(query, headers=headers).json()["next_cursor"]
    return cursor


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--links", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--creates", type=int, default=300)
    args = parser.parse_args()
    os.environ["SNAPSHELF_API_REQUESTS_PER_MINUTE"] = "0"
    os.environ["SNAPSHELF_USER_CAPTURES_PER_HOUR"] = "0"
    bench_library.setup_django()
    from django.test import Client

    from snapshelf.search import index
    from snapshelf.services import accounts

    t0 = time.perf_counter()
    user = bench_library.populate(args.links)
    populate_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    index.rebuild()
    index_s = time.perf_counter() - t0
    secret = accounts.create_token(user, "bench", "write").secret
    headers = {"Authorization": f"Bearer {secret}"}
    client = Client()
    cursor = deep_cursor(client, headers, 50)
    cases = {
        "list_100": "/api/v1/links?limit=100",
        "list_100_deep_page_51": f"/api/v1/links?limit=100&cursor={cursor}",
        "list_100_tag": "/api/v1/links?limit=100&tag=topic-7",
        "list_100_title_sort": "/api/v1/links?limit=100&sort=title",
        "list_100_query": "/api/v1/links?limit=100&q=juliet",
        "search_20": "/api/v1/search?q=juliet&limit=20",
        "search_20_two_words": "/api/v1/search?q=juliet+article&limit=20",
        "search_no_match": "/api/v1/search?q=nomatchanywhere",
    }
    results = {name: measure(client, path, headers, args.repeat) for name, path in cases.items()}

    t0 = time.perf_counter()
    for i in range(args.creates):
        r = client.post(
            "/api/v1/links",
            json.dumps({"url": f"https://new{i % 50}.example.net/post/{i}", "tags": ["bench"]}),
            content_type="application/json",
            headers=headers,
        )
        assert r.status_code == 201, r.content[:300]
    create_s = time.perf_counter() - t0
    create = {
        "links": args.creates,
        "per_s": round(args.creates / create_s, 1),
        "note": "captures queued, queue not drained (no capture-off switch exists)",
    }
    summary = {
        "links": args.links,
        "list_100 p95 ms": results["list_100"]["p95_ms"],
        "search_20 p95 ms": results["search_20"]["p95_ms"],
        "creates per s": create["per_s"],
    }
    benchkit.emit(
        "api",
        MEASURES,
        summary,
        links=args.links,
        populate_s=round(populate_s, 1),
        index_rebuild_s=round(index_s, 1),
        targets_p95_ms={"list_100": 50, "search_20": 40},
        cases=results,
        create=create,
    )


if __name__ == "__main__":
    main()

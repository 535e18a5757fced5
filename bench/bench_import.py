"""Import of a large Netscape bookmark file, without captures (issue 18's targets:
≥ 5,000 rows/s, peak RSS ≤ 300 MB at 100,000 entries).

Each run: a fresh data directory and user, then one `snapshelf import FILE --no-capture
--json` command, timed from the command's start to its exit (Django start-up, parsing,
every batch's rows, tags and search documents written and committed). The command runs
in-process under a small wrapper that reports its CPU time (user + system: the figure
to trust on a shared machine, where the wall clock also counts waiting for a core) and
its peak RSS (ru_maxrss).

After the first run, related articles are asked of the freshly filled library (`--related`
random links, the link page's `related_links`, caches empty): once straight after the
import, as a user would meet it, and once after the periodic job (`refit_topic_model`:
pending index statistics folded, PostgreSQL's GIN pending lists merged, topic model fitted).
The imported links have titles, tags and notes but no captured text (`--no-capture`). Run:
    .venv/bin/python bench/bench_import.py [--entries 100000] [--runs 3] [--postgres]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import benchkit  # noqa: E402
from tests.io.bookmarks import write_netscape  # noqa: E402

QUICK_ARGS = ["--entries", "10000", "--runs", "1"]
SNAPSHELF = Path(sys.executable).with_name("snapshelf")
MEASURED = (
    "import resource, sys\n"
    "from snapshelf.cli import main\n"
    "code = main(sys.argv[1:])\n"
    "use = resource.getrusage(resource.RUSAGE_SELF)\n"
    "print(use.ru_utime + use.ru_stime, use.ru_maxrss, file=sys.stderr)\n"
    "sys.exit(code)\n"
)


RELATED = (
    "import json, random, statistics, sys, time\n"
    "import django\n"
    "django.setup()\n"
    "from django.core.cache import cache\n"
    "from snapshelf.jobs.tasks import refit_topic_model\n"
    "from snapshelf.library.models import Link\n"
    "from snapshelf.related.links import related_links\n"
    "ids = list(Link.objects.values_list('pk', flat=True))\n"
    "picked = random.Random(7).sample(ids, min(int(sys.argv[1]), len(ids)))\n"
    "def timed():\n"
    "    cache.clear(); out = []\n"
    "    for pk in picked:\n"
    "        link = Link.objects.get(pk=pk)\n"
    "        t = time.perf_counter(); related_links(link)\n"
    "        out.append((time.perf_counter() - t) * 1000)\n"
    "    out.sort(); return {'median_ms': round(statistics.median(out), 1),\n"
    "        'p95_ms': round(out[int(0.95 * (len(out) - 1))], 1)}\n"
    "fresh = timed()\n"
    "t = time.perf_counter(); refit_topic_model.call_local(); job_s = time.perf_counter() - t\n"
    "print(json.dumps({'fresh': fresh, 'periodic_job_s': round(job_s, 1), 'after_job': timed()}))\n"
)


def _database(env: dict, postgres: bool) -> str | None:
    if not postgres:
        return None
    import psycopg

    name = f"snapshelf_bench_import_{os.getpid()}_{time.monotonic_ns()}"
    with psycopg.connect(PG_SERVER, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    env["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{name}"
    return name


def _drop(name: str | None) -> None:
    if name:
        import psycopg

        with psycopg.connect(PG_SERVER, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


PG_SERVER = "postgres://postgres@127.0.0.1:5432/postgres"


def one_run(path: Path, entries: int, *, postgres: bool = False, related: int = 0) -> dict:
    with tempfile.TemporaryDirectory(prefix="snapshelf-bench-import-") as tmp:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("SNAPSHELF_", "DATABASE_URL", "DJANGO_"))
        }
        env.update(SNAPSHELF_DATA_DIR=str(Path(tmp) / "data"))
        database = _database(env, postgres)
        try:
            return _measure(path, entries, env, related)
        finally:
            _drop(database)


def _measure(path: Path, entries: int, env: dict, related: int) -> dict:
    """One import command, timed; then, when asked, related articles of the new library."""
    subprocess.run(
        [str(SNAPSHELF), "createuser", "bench", "--password-stdin"],
        env=env,
        check=True,
        capture_output=True,
        input=b"bench-password-123\n",
    )
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", MEASURED, "import", str(path), "--no-capture", "--json"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    seconds = time.perf_counter() - start
    report = json.loads(proc.stdout)
    assert report["added"] == entries, report
    cpu, rss = proc.stderr.strip().splitlines()[-1].split()
    result = {
        "seconds": round(seconds, 2),
        "rows_per_s": round(entries / seconds),
        "cpu_seconds": round(float(cpu), 2),
        "rows_per_cpu_s": round(entries / float(cpu)),
        "peak_rss_mb": round(int(rss) / 1024),
    }
    if related:
        asked = subprocess.run(
            [sys.executable, "-c", RELATED, str(related)],
            env=dict(env, DJANGO_SETTINGS_MODULE="snapshelf.settings"),
            capture_output=True,
            text=True,
            check=True,
        )
        result["related"] = json.loads(asked.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--related", type=int, default=200, help="related queries (0: none)")
    parser.add_argument("--postgres", action="store_true", help="a fresh PostgreSQL database")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = write_netscape(Path(tmp) / "bookmarks.html", args.entries)
        size_mb = path.stat().st_size / 2**20
        runs = [
            one_run(path, args.entries, postgres=args.postgres, related=args.related * (n == 0))
            for n in range(args.runs)
        ]
    rates = [r["rows_per_s"] for r in runs]
    cpu_rates = [r["rows_per_cpu_s"] for r in runs]
    benchkit.emit(
        "import",
        "one `snapshelf import FILE --no-capture` command per run, start-up included: "
        "parse, normalise, merge, write links, tags and search documents, commit",
        {
            "entries": args.entries,
            "rows_per_s_median": round(statistics.median(rates)),
            "rows_per_cpu_s_median": round(statistics.median(cpu_rates)),
            "peak_rss_mb_max": max(r["peak_rss_mb"] for r in runs),
        },
        file_mb=round(size_mb, 1),
        runs=runs,
        targets={"rows_per_s": 5000, "peak_rss_mb": 300},
    )


if __name__ == "__main__":
    main()

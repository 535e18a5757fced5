"""Import of a large Netscape bookmark file, without captures (issue 18's targets:
≥ 5,000 rows/s, peak RSS ≤ 300 MB at 100,000 entries).

Each run: a fresh data directory and user, then one `snapshelf import FILE --no-capture
--json` command, timed from the command's start to its exit (Django start-up, parsing,
every batch's rows, tags and search documents written and committed). The command runs
in-process under a small wrapper that reports its peak RSS (ru_maxrss). Run:
    .venv/bin/python bench/bench_import.py [--entries 100000] [--runs 3]
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
    "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n"
    "sys.exit(code)\n"
)


def one_run(path: Path, entries: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="snapshelf-bench-import-") as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SNAPSHELF_")}
        env.update(SNAPSHELF_DATA_DIR=str(Path(tmp) / "data"))
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
    return {
        "seconds": round(seconds, 2),
        "rows_per_s": round(entries / seconds),
        "peak_rss_mb": round(int(proc.stderr.strip().splitlines()[-1]) / 1024),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = write_netscape(Path(tmp) / "bookmarks.html", args.entries)
        size_mb = path.stat().st_size / 2**20
        runs = [one_run(path, args.entries) for _ in range(args.runs)]
    rates = [r["rows_per_s"] for r in runs]
    benchkit.emit(
        "import",
        "one `snapshelf import FILE --no-capture` command per run, start-up included: "
        "parse, normalise, merge, write links, tags and search documents, commit",
        {
            "entries": args.entries,
            "rows_per_s_median": round(statistics.median(rates)),
            "peak_rss_mb_max": max(r["peak_rss_mb"] for r in runs),
        },
        file_mb=round(size_mb, 1),
        runs=runs,
        targets={"rows_per_s": 5000, "peak_rss_mb": 300},
    )


if __name__ == "__main__":
    main()

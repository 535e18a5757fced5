"""Benchmark readable extraction (``extract_html``) on real pages; prints JSON.

Usage::

    .venv/bin/python bench/bench_extract.py [--repeat 5] [--gbk] [--corpora PATH]

Each page is extracted ``--repeat`` times; a page's time is its fastest run
(the others measure the machine's other tenants, not our code), and the report
gives the median and 95th percentile over pages. The target is
a median of at most 30 ms per page on the 2-core reference machine.
``--gbk`` adds the 74 GBK-encoded NetEase pages (decoded first, decoding not
timed); ``--gbk-only`` measures them alone (they are 150-200 KB portal pages,
about twice the work of the median Readability test page).
"""

from __future__ import annotations

import argparse
import gzip
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import benchkit  # noqa: E402

from snapshelf.capture.decode import decode_html  # noqa: E402
from snapshelf.capture.extract import extract_html  # noqa: E402

#: what run_all.py --quick passes
QUICK_ARGS = ["--repeat", "2"]
MEASURES = (
    "capture.extract.extract_html(text, url) on already-decoded page text, per page the "
    "fastest of --repeat runs: metadata, main content, sanitised HTML, Markdown and plain "
    "text; no fetching, decoding, database or storage"
)


def corpora_dir(cli_value: str | None) -> Path:
    if cli_value:
        return Path(cli_value)
    if os.environ.get("SNAPSHELF_CORPORA"):
        return Path(os.environ["SNAPSHELF_CORPORA"])
    return ROOT.parent / "shared" / "corpora"


def load_pages(corpora: Path, with_gbk: bool) -> list[tuple[str, str, str]]:
    pages = []
    for folder in sorted((corpora / "mozilla-readability-testpages" / "test-pages").iterdir()):
        source = folder / "source.html"
        if source.is_file():
            url = f"http://fakehost/test/{folder.name}/"
            pages.append((f"readability/{folder.name}", source.read_text("utf-8"), url))
    if with_gbk:
        for path in sorted((corpora / "cx-extractor-163-gbk" / "RawHtml").glob("*.html.gz")):
            text = decode_html(gzip.decompress(path.read_bytes())).text
            pages.append((f"163-gbk/{path.name}", text, f"http://news.163.com/{path.stem}"))
    return pages


def percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return sorted_values[index]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--gbk", action="store_true", help="also the GBK NetEase pages")
    parser.add_argument("--gbk-only", action="store_true", help="only the GBK NetEase pages")
    parser.add_argument("--corpora", default=None)
    parser.add_argument("--slowest", type=int, default=0, help="also list the N slowest pages")
    args = parser.parse_args()

    pages = load_pages(corpora_dir(args.corpora), args.gbk or args.gbk_only)
    if args.gbk_only:
        pages = [p for p in pages if p[0].startswith("163-gbk/")]
    if not pages:
        sys.exit("no pages found: set SNAPSHELF_CORPORA or --corpora")

    for _, text, url in pages[:5]:  # warm imports and caches
        extract_html(text, url)

    best = [float("inf")] * len(pages)
    medians_per_run = []
    for _ in range(max(1, args.repeat)):
        run = []
        for i, (_, text, url) in enumerate(pages):
            start = time.perf_counter()
            extract_html(text, url)
            elapsed = (time.perf_counter() - start) * 1000
            run.append(elapsed)
            best[i] = min(best[i], elapsed)
        medians_per_run.append(statistics.median(run))

    ordered = sorted(best)
    report = {
        "pages": len(pages),
        "repeat": args.repeat,
        "median_ms": round(statistics.median(ordered), 2),
        "p95_ms": round(percentile(ordered, 0.95), 2),
        "mean_ms": round(statistics.fmean(ordered), 2),
        "max_ms": round(ordered[-1], 2),
        "run_medians_ms": [round(m, 2) for m in medians_per_run],
        "target_median_ms": 30,
    }
    if args.slowest:
        slow = sorted(zip(best, (p[0] for p in pages), strict=True), reverse=True)[: args.slowest]
        report["slowest"] = [{"page": name, "ms": round(ms, 1)} for ms, name in slow]
    summary = {"median ms/page": report["median_ms"], "p95 ms/page": report["p95_ms"]}
    benchkit.emit("extract", MEASURES, summary, **report)


if __name__ == "__main__":
    main()

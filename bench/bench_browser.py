"""Browser-capture benchmarks (issue 5), printed as JSON.

- latency: median browser capture (render + screenshot + PDF + rewrite + extract) of
  the script-rendered fixture pages, one at a time (target <= 1.5 s)
- memory: peak RSS of the Chromium process tree (sum over its process group, from
  /proc) while capturing ``--pages`` pages (default 200) with 4 concurrent pages
- hygiene: Chromium processes left under the service's profile after ``--captures``
  captures (default 500) and stop() (target: zero)
- sandbox: the same captures with the browser sandboxed (its own sandbox, in a network
  namespace whose only way out is the proxy) and without (``--no-sandbox``, proxy
  setting only), interleaved round by round so both see the same machine load; and the
  cold start (service start + first capture) of each, ``--launches`` times

Everything is served from 127.0.0.1 by the test fixture server. Run:
    .venv/bin/python bench/bench_browser.py [--runs 10] [--pages 200] [--captures 500]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

import benchkit  # noqa: E402
from tests.capture.fixtures_js import JS_PAGES, mount_js_pages  # noqa: E402
from tests.webserver import make_test_guard, start_fixture_server  # noqa: E402

from snapshelf.capture import sandbox as sandboxing  # noqa: E402
from snapshelf.capture.browser import BrowserService, capture_browser  # noqa: E402
from snapshelf.capture.browser_service import browser_available, group_pids  # noqa: E402
from snapshelf.capture.static import Limits  # noqa: E402
from snapshelf.net import Fetcher  # noqa: E402

PAGES = (*JS_PAGES, "/js/lazy", "/js/cjk")
#: what run_all.py --quick passes
QUICK_ARGS = [
    "--runs", "2", "--pages", "20", "--captures", "40", "--restart-after", "20", "--launches", "1"
]  # fmt: skip
MEASURES = (
    "latency: capture.browser.capture_browser(url) per page (Chromium already running: "
    "load, settle, scroll, screenshot, PDF, rewrite, extract; no database, no storage); "
    "memory: the Chromium process tree's peak RSS/PSS while capturing with 4 pages at once; "
    "hygiene: Chromium processes left after the captures and stop()"
)
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


def memory_of_group(pgid: int | None) -> tuple[int, int]:
    """(RSS, PSS) in bytes summed over every process in ``pgid``.

    RSS counts memory shared between Chromium's processes once per process; PSS
    splits it fairly, so it is the better "how much does the browser cost" number.
    """
    if pgid is None:
        return 0, 0
    rss = pss = 0
    for pid in group_pids(pgid):
        try:
            rss += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_SIZE
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    pss += int(line.split()[1]) * 1024
                    break
        except (OSError, IndexError, ValueError):
            continue
    return rss, pss


def processes_under(marker: str) -> int:
    count = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            if marker.encode() in Path(f"/proc/{entry}/cmdline").read_bytes():
                count += 1
        except OSError:
            continue
    return count


def latency(server, service, fetcher, runs: int) -> dict:
    limits = Limits(deadline=30)
    capture_browser(server.url(PAGES[0]), limits, fetcher=fetcher, service=service)  # warm-up
    per_page = {}
    for path in PAGES:
        times = []
        for _ in range(runs):
            t0 = time.perf_counter()
            result = capture_browser(server.url(path), limits, fetcher=fetcher, service=service)
            times.append(time.perf_counter() - t0)
            assert "screenshot_full" in result.artefacts
        per_page[path] = round(statistics.median(times), 3)
    return {"median_s": round(statistics.median(per_page.values()), 3), "per_page_s": per_page}


def memory(server, service, fetcher, pages: int) -> dict:
    limits = Limits(deadline=30)
    peak, stop = [0, 0], threading.Event()

    def sample() -> None:
        while not stop.is_set():
            rss, pss = memory_of_group(service.pgid)
            peak[0], peak[1] = max(peak[0], rss), max(peak[1], pss)
            time.sleep(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    t0 = time.perf_counter()
    urls = [server.url(PAGES[i % len(PAGES)]) for i in range(pages)]
    failures = 0
    with ThreadPoolExecutor(4) as pool:
        for ok in pool.map(lambda u: _try(u, limits, fetcher, service), urls):
            failures += not ok
    elapsed = time.perf_counter() - t0
    stop.set()
    sampler.join()
    return {
        "pages": pages,
        "concurrency": 4,
        "failures": failures,
        "pages_per_s": round(pages / elapsed, 2),
        "peak_rss_mb": round(peak[0] / 2**20, 1),
        "peak_pss_mb": round(peak[1] / 2**20, 1),
    }


ERRORS: list[str] = []


def _try(url, limits, fetcher, service) -> bool:
    try:
        capture_browser(url, limits, fetcher=fetcher, service=service)
        return True
    except Exception as exc:  # noqa: BLE001 - counted, not fatal
        ERRORS.append(f"{getattr(exc, 'code', type(exc).__name__)}: {str(exc)[:160]}")
        return False


def hygiene(server, fetcher, captures: int, restart_after: int) -> dict:
    import tempfile

    profile = Path(tempfile.mkdtemp(prefix="snapshelf-bench-browser-"))
    limits = Limits(deadline=30)
    failures = 0
    t0 = time.perf_counter()
    with BrowserService(
        guard=make_test_guard(), restart_after=restart_after, profile_root=profile
    ) as service:
        urls = [server.url(PAGES[i % len(PAGES)]) for i in range(captures)]
        with ThreadPoolExecutor(4) as pool:
            for ok in pool.map(lambda u: _try(u, limits, fetcher, service), urls):
                failures += not ok
        launches = service.launches
        during = processes_under(str(profile))
    time.sleep(1.0)
    return {
        "captures": captures,
        "failures": failures,
        "restart_after": restart_after,
        "launches": launches,
        "processes_while_running": during,
        "leftover_processes": processes_under(str(profile)),
        "elapsed_s": round(time.perf_counter() - t0, 1),
    }


def sandbox_compare(server, fetcher, runs: int, launches: int) -> dict:
    """Warm capture latency and cold start, sandboxed vs not, interleaved."""
    limits = Limits(deadline=30)
    detected = sandboxing.detect()
    if not detected.active:
        return {"skipped": detected.describe()}
    modes = {"sandboxed": detected, "unsandboxed": sandboxing.Sandbox(sandboxing.NONE, "bench")}
    cold: dict[str, list[float]] = {mode: [] for mode in modes}
    for _ in range(launches):
        for mode, box in modes.items():
            t0 = time.perf_counter()
            with BrowserService(guard=make_test_guard(), sandbox=box) as service:
                capture_browser(server.url(PAGES[0]), limits, fetcher=fetcher, service=service)
                cold[mode].append(time.perf_counter() - t0)
    warm: dict[str, list[float]] = {mode: [] for mode in modes}
    services = {mode: BrowserService(guard=make_test_guard(), sandbox=box).start()
                for mode, box in modes.items()}  # fmt: skip
    try:
        for service in services.values():  # warm-up: the browser running
            capture_browser(server.url(PAGES[0]), limits, fetcher=fetcher, service=service)
        for _ in range(runs):
            for mode, service in services.items():
                for path in PAGES:
                    t0 = time.perf_counter()
                    capture_browser(server.url(path), limits, fetcher=fetcher, service=service)
                    warm[mode].append(time.perf_counter() - t0)
    finally:
        for service in services.values():
            service.stop()
    out = {
        mode: {
            "capture_median_s": round(statistics.median(warm[mode]), 3),
            "captures": len(warm[mode]),
            "cold_start_median_s": round(statistics.median(cold[mode]), 3),
            "cold_starts": len(cold[mode]),
        }
        for mode in modes
    }
    out["protection"] = detected.describe()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--captures", type=int, default=500)
    parser.add_argument("--restart-after", type=int, default=100)
    parser.add_argument("--launches", type=int, default=3, help="cold starts per sandbox mode")
    args = parser.parse_args()
    ok, why = browser_available()
    if not ok:  # a machine without Chromium: say so, and fail nothing
        benchkit.emit("browser", MEASURES, {"skipped": why}, skipped=why)
        return
    server = start_fixture_server()
    mount_js_pages(server)
    guard = make_test_guard()
    out: dict = {}
    with Fetcher(guard) as fetcher:
        with BrowserService(guard=guard, max_pages=4) as service:
            out["latency"] = latency(server, service, fetcher, args.runs)
            out["memory"] = memory(server, service, fetcher, args.pages)
        out["hygiene"] = hygiene(server, fetcher, args.captures, args.restart_after)
        out["sandbox"] = sandbox_compare(server, fetcher, args.runs, args.launches)
    server.stop()
    out["errors"] = sorted(set(ERRORS))[:20]
    summary = {
        "capture median s": out["latency"]["median_s"],
        "peak PSS MB (4 pages)": out["memory"]["peak_pss_mb"],
        "leftover processes": out["hygiene"]["leftover_processes"],
        "sandboxed / unsandboxed capture median s": [
            out["sandbox"].get(mode, {}).get("capture_median_s")
            for mode in ("sandboxed", "unsandboxed")
        ],
    }
    benchkit.emit("browser", MEASURES, summary, **out)


if __name__ == "__main__":
    main()

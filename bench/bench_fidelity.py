"""Capture fidelity: the archived page and the single file against the original, in Chromium.

Serves the corpora's full-page sets on 127.0.0.1 (mdn-learning-area-pages,
warc2zim-test-website, and the pywb IANA WARC replayed as www.iana.org), captures each
page as auto mode does (static first; the browser when ``capture/auto.py`` judges the
page script-rendered or finished by its load-time scripts; ``--mode static`` never uses
the browser), serves the archived copy as the application does (``r/<key>``, sandbox
CSP) beside the single-file download, and screenshots all three in headless Chromium
(1280x800, device scale 1, full page up to ``--max-height`` px). Per page it reports
SSIM (Gaussian window, greyscale) and the share of pixels whose grey level differs by
more than 10 % (of 255), page heights, requests made by the capture and by the live
page load, archive and single-file sizes, the mode auto chose (and why), and the
capture's wall time and CPU time (this process and its children: the parsing helpers
and Chromium). Prints JSON. Run:

    .venv/bin/python bench/bench_fidelity.py [--only mdn|w2z|iana] [--limit N] [--mode static]

PNG screenshots are decoded by Chromium itself (canvas), so no image library is needed.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import quote, urlsplit

import numpy as np
from scipy.ndimage import gaussian_filter

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.capture.fidelity import VIEWPORT, chromium, serve_archive  # noqa: E402
from tests.paths import CORPORA  # noqa: E402
from tests.webserver import TEST_ALLOW, TEST_HOSTS, FixtureServer, Reply  # noqa: E402

IANA_HOST = "www.iana.org"
MDN = CORPORA / "mdn-learning-area-pages"
W2Z = CORPORA / "warc2zim-test-website" / "content"
WARC = CORPORA / "pywb-iana-warc" / "iana.warc.gz"
#: Pages whose original needs the internet (their fonts or embeds cannot load here).
NEEDS_INTERNET = ("google-font.html",)

_DECODE_JS = """async (b64) => {
  const img = new Image();
  img.src = 'data:image/png;base64,' + b64;
  await img.decode();
  const c = document.createElement('canvas');
  c.width = img.naturalWidth; c.height = img.naturalHeight;
  const g = c.getContext('2d', {willReadFrequently: true});
  g.drawImage(img, 0, 0);
  const d = g.getImageData(0, 0, c.width, c.height).data;
  const out = new Uint8Array(c.width * c.height);
  for (let i = 0, j = 0; j < out.length; i += 4, j++)
    out[j] = Math.round(0.299 * d[i] + 0.587 * d[i + 1] + 0.114 * d[i + 2]);
  let s = '';
  for (let k = 0; k < out.length; k += 32768)
    s += String.fromCharCode.apply(null, out.subarray(k, k + 32768));
  return [c.width, c.height, btoa(s)];
}"""


# --------------------------------------------------------------------------- measures


def ssim(a: np.ndarray, b: np.ndarray) -> float:
    """Mean SSIM of two greyscale images (Wang et al. 2004: Gaussian sigma 1.5, K 0.01/0.03)."""
    a = a.astype(np.float64)
    b = b.astype(np.float64)
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    mu_a, mu_b = gaussian_filter(a, 1.5), gaussian_filter(b, 1.5)
    var_a = gaussian_filter(a * a, 1.5) - mu_a**2
    var_b = gaussian_filter(b * b, 1.5) - mu_b**2
    cov = gaussian_filter(a * b, 1.5) - mu_a * mu_b
    num = (2 * mu_a * mu_b + c1) * (2 * cov + c2)
    den = (mu_a**2 + mu_b**2 + c1) * (var_a + var_b + c2)
    return float(np.mean(num / den))


def same_size(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pad the shorter (or narrower) image with white: a missing part counts as different."""
    h, w = max(a.shape[0], b.shape[0]), max(a.shape[1], b.shape[1])

    def pad(x: np.ndarray) -> np.ndarray:
        return np.pad(x, ((0, h - x.shape[0]), (0, w - x.shape[1])), constant_values=255)

    return pad(a), pad(b)


def compare(a: np.ndarray, b: np.ndarray) -> dict:
    a, b = same_size(a, b)
    diff = np.abs(a.astype(np.int16) - b.astype(np.int16)) > 25.5
    return {"ssim": round(ssim(a, b), 4), "differing": round(float(diff.mean()), 4)}


# --------------------------------------------------------------------------- serving


def load_warc() -> dict[str, tuple[int, str, str | None, bytes]]:
    from warcio.archiveiterator import ArchiveIterator

    records: dict[str, tuple[int, str, str | None, bytes]] = {}
    with WARC.open("rb") as f:
        for record in ArchiveIterator(f):
            if record.rec_type != "response":
                continue
            parts = urlsplit(record.rec_headers.get_header("WARC-Target-URI"))
            key = parts.path + (f"?{parts.query}" if parts.query else "")
            if parts.hostname != IANA_HOST or key in records:
                continue
            http = record.http_headers
            records[key] = (
                int(http.get_statuscode()),
                http.get_header("Content-Type") or "",
                http.get_header("Location"),
                record.content_stream().read(),
            )
    return records


def serve_corpora(server: FixtureServer, only: str | None) -> list[tuple[str, str]]:
    """Mount the sets; (set name, URL) of every full page."""
    pages: list[tuple[str, str]] = []
    if only in (None, "mdn"):
        server.mount("/mdn/", MDN)
        for p in sorted(MDN.rglob("*.html")):
            pages.append(("mdn", server.url("/mdn/" + quote(p.relative_to(MDN).as_posix()))))
    if only in (None, "w2z"):
        server.mount("/w2z/", W2Z)
        for p in sorted(W2Z.rglob("*.html")):
            pages.append(("w2z", server.url("/w2z/" + quote(p.relative_to(W2Z).as_posix()))))
    if only in (None, "iana"):
        records = load_warc()

        def replay(request) -> Reply:
            found = records.get(request.path + (f"?{request.query}" if request.query else ""))
            if found is None:
                return Reply(404, {"Content-Type": "text/plain"}, b"not in the WARC")
            status, content_type, location, body = found
            headers = {"Content-Type": content_type}
            if location:
                headers["Location"] = location.replace(
                    f"http://{IANA_HOST}/", server.url("/", host=IANA_HOST)
                )
            return Reply(status, headers, body)

        server.route("/*", replay, host=IANA_HOST)
        for key, (status, ctype, _loc, _body) in sorted(records.items()):
            if status == 200 and ctype.startswith("text/html"):
                pages.append(("iana", server.url(key, host=IANA_HOST)))
    return pages


def make_guard():
    from tests.webserver import offline_resolver

    from snapshelf.net import Guard, StaticResolver, parse_allow_list

    hosts = f"{TEST_HOSTS},{IANA_HOST}=127.0.0.1"
    resolver = StaticResolver.from_env(hosts, fallback=offline_resolver)
    return Guard(allow=parse_allow_list(TEST_ALLOW), resolver=resolver)


# --------------------------------------------------------------------------- capture


def tree_cpu() -> float:
    """CPU seconds of this process, its reaped children and its live descendants."""
    t = os.times()
    total = t.user + t.system + t.children_user + t.children_system
    tick = os.sysconf("SC_CLK_TCK")
    parents: dict[int, int] = {}
    stats: dict[int, list[str]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        with contextlib.suppress(OSError):
            raw = Path(f"/proc/{entry}/stat").read_text()
            fields = raw[raw.rindex(")") + 2 :].split()
            parents[int(entry)] = int(fields[1])
            stats[int(entry)] = fields
    mine = {os.getpid()}
    changed = True
    while changed:
        changed = False
        for pid, ppid in parents.items():
            if ppid in mine and pid not in mine:
                mine.add(pid)
                changed = True
    for pid in mine - {os.getpid()}:
        fields = stats[pid]  # utime stime cutime cstime are fields 14-17 (index 11-14 here)
        total += sum(int(x) for x in fields[11:15]) / tick
    return total


def capture_page(url: str, guard, service, limits) -> tuple:
    """(result, mode, reason): auto mode's choice when a browser service is given."""
    from snapshelf.capture.auto import decide
    from snapshelf.capture.browser import capture_browser
    from snapshelf.capture.static import capture_static
    from snapshelf.net import Fetcher

    with Fetcher(guard) as fetcher:
        result = capture_static(url, fetcher, limits)
        if service is None or result.document.kind != "html":
            return result, "static", ""
        decision = decide(result)
        if not decision.use_browser:
            return result, "static", decision.reason
        return (
            capture_browser(url, limits, fetcher=fetcher, service=service),
            "browser",
            (decision.reason),
        )


# --------------------------------------------------------------------------- browser


def screenshot(browser, url: str, max_height: int, scripts: bool) -> tuple[bytes, int]:
    context = browser.new_context(
        viewport=VIEWPORT, device_scale_factor=1, java_script_enabled=scripts, locale="en-US"
    )
    page = context.new_page()
    try:
        with contextlib.suppress(Exception):  # a page that never finishes loading still counts
            page.goto(url, wait_until="load", timeout=20_000)
        page.wait_for_timeout(300)
        page.evaluate("document.fonts ? document.fonts.ready.then(() => 1) : 1")
        height = int(page.evaluate("Math.max(document.documentElement.scrollHeight, 1)"))
        clip = {"x": 0, "y": 0, "width": VIEWPORT["width"], "height": min(height, max_height)}
        png = page.screenshot(full_page=True, clip=clip, animations="disabled")
        return png, height
    finally:
        context.close()


def grey(decoder, png: bytes) -> np.ndarray:
    width, height, data = decoder.evaluate(_DECODE_JS, base64.b64encode(png).decode())
    return np.frombuffer(base64.b64decode(data), dtype=np.uint8).reshape(height, width)


# --------------------------------------------------------------------------- main


def summary(rows: list[dict], key: str) -> dict:
    values = [r[key]["ssim"] for r in rows if key in r]
    diffs = [r[key]["differing"] for r in rows if key in r]
    if not values:
        return {}
    return {
        "ssim_mean": round(statistics.fmean(values), 4),
        "ssim_median": round(statistics.median(values), 4),
        "ssim_min": round(min(values), 4),
        "pages_under_0.95": sum(v < 0.95 for v in values),
        "differing_mean": round(statistics.fmean(diffs), 4),
    }


def cost(rows: list[dict]) -> dict:
    """Capture cost: how many pages went to the browser and what capturing took."""
    done = [r for r in rows if "capture_ms" in r]
    browser = [r for r in done if r.get("mode") == "browser"]
    out = {
        "pages": len(done),
        "to_browser": len(browser),
        "browser_share": round(len(browser) / len(done), 3) if done else 0,
    }
    for name, group in (("all", done), ("static", [r for r in done if r not in browser])):
        if group:
            out[f"capture_ms_median_{name}"] = round(
                statistics.median(r["capture_ms"] for r in group), 1
            )
    if browser:
        out["capture_ms_median_browser"] = round(
            statistics.median(r["capture_ms"] for r in browser), 1
        )
    out["capture_ms_total"] = round(sum(r["capture_ms"] for r in done))
    out["capture_cpu_ms_total"] = round(sum(r["capture_cpu_ms"] for r in done))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--only", choices=["mdn", "w2z", "iana"])
    parser.add_argument("--limit", type=int, default=0)
    parser.add_argument("--max-height", type=int, default=6000)
    parser.add_argument("--mode", choices=["auto", "static"], default="auto")
    args = parser.parse_args()

    from snapshelf.capture.browser import BrowserService
    from snapshelf.capture.static import Limits

    guard = make_guard()
    server = FixtureServer("127.0.0.1", default_host="site.test").start()
    rows: list[dict] = []
    t0 = time.perf_counter()
    service = BrowserService(guard=guard, max_pages=2).start() if args.mode == "auto" else None
    try:
        pages = serve_corpora(server, args.only)
        if args.limit:
            pages = pages[: args.limit]
        with chromium(server, extra_hosts=(IANA_HOST,)) as browser:
            decoder = browser.new_page()
            for corpus, url in pages:
                row: dict = {"set": corpus, "page": urlsplit(url).path}
                before = len(server.requests)
                cpu, wall = tree_cpu(), time.perf_counter()
                try:
                    result, row["mode"], row["auto_reason"] = capture_page(
                        url, guard, service, Limits(deadline=30)
                    )
                except Exception as exc:
                    row["error"] = f"{type(exc).__name__}: {exc}"[:200]
                    rows.append(row)
                    continue
                row["capture_ms"] = round((time.perf_counter() - wall) * 1000, 1)
                row["capture_cpu_ms"] = round((tree_cpu() - cpu) * 1000, 1)
                row["capture_requests"] = len(server.requests) - before
                stored = {r.key: len(r.served) for r in result.resources if r.key}
                row["archive_bytes"] = sum(stored.values()) + len(
                    (result.replay_html or "").encode()
                )
                if result.replay_html is None:
                    rows.append(row)
                    continue
                archived = serve_archive(server, result)
                row["single_bytes"] = len(archived.single_html.encode())
                before = len(server.requests)
                live_png, row["height_live"] = screenshot(browser, url, args.max_height, True)
                row["live_requests"] = len(server.requests) - before
                served_png, row["height_served"] = screenshot(
                    browser, archived.served_url, args.max_height, True
                )
                single_png, row["height_single"] = screenshot(
                    browser, archived.single_url, args.max_height, True
                )
                live = grey(decoder, live_png)
                row["served"] = compare(live, grey(decoder, served_png))
                row["single"] = compare(live, grey(decoder, single_png))
                row["needs_internet"] = any(row["page"].endswith(n) for n in NEEDS_INTERNET)
                rows.append(row)
    finally:
        if service is not None:
            service.stop()
        server.stop()
    measured = [r for r in rows if "served" in r and not r.get("needs_internet")]
    out = {
        "bench": "fidelity",
        "pages": len(rows),
        "mode": args.mode,
        "seconds": round(time.perf_counter() - t0, 1),
        "load": os.getloadavg(),
        "cost": cost(rows),
        "served": summary(measured, "served"),
        "single": summary(measured, "single"),
        "capture_requests": sum(r.get("capture_requests", 0) for r in rows),
        "live_requests": sum(r.get("live_requests", 0) for r in rows),
        "archive_bytes": sum(r.get("archive_bytes", 0) for r in rows),
        "single_bytes": sum(r.get("single_bytes", 0) for r in rows),
        "by_set": {
            name: {
                "served": summary([r for r in measured if r["set"] == name], "served"),
                "single": summary([r for r in measured if r["set"] == name], "single"),
                "capture_requests": sum(
                    r.get("capture_requests", 0) for r in rows if r["set"] == name
                ),
                "archive_bytes": sum(r.get("archive_bytes", 0) for r in rows if r["set"] == name),
                "cost": cost([r for r in rows if r["set"] == name]),
            }
            for name in sorted({r["set"] for r in rows})
        },
        "rows": rows,
    }
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()

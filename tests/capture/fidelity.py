"""Fidelity helpers shared by tests/capture/test_fidelity_*.py and bench/bench_fidelity.py.

A page is captured statically through the real guarded client from the fixture server,
then its archived copy is served back from the same server the way the application serves
it (``r/<key>`` resources, the archive's sandbox CSP), beside the single-file download, so
real Chromium can load the original, the served copy and the single file side by side.
"""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from snapshelf.capture.singlefile import inline
from snapshelf.capture.static import CaptureResult, Limits, capture_static
from snapshelf.net import Fetcher
from tests.webserver import TEST_HOST_NAMES, FixtureServer, Reply, make_test_guard

CHROMIUM = (
    os.environ.get("SNAPSHELF_TEST_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
)
VIEWPORT = {"width": 1280, "height": 800}
#: The archive's headers (snapshelf.web.archive.protect), without importing the web layer.
ARCHIVE_CSP = (
    "sandbox; default-src 'none'; img-src 'self' data:; style-src 'self' 'unsafe-inline' data:; "
    "font-src 'self' data:; media-src 'self' data:; form-action 'none'; base-uri 'none'"
)
_counter = itertools.count(1)


@dataclass
class Archived:
    result: CaptureResult
    served_url: str  # the replay document, served like the application serves it
    single_url: str  # the single-file download, served as a plain page
    single_html: str


def capture(url: str, limits: Limits | None = None, guard=None) -> CaptureResult:
    with Fetcher(guard or make_test_guard()) as fetcher:
        return capture_static(url, fetcher, limits or Limits(deadline=30))


def serve_archive(server: FixtureServer, result: CaptureResult) -> Archived:
    """Serve a capture's replay under /_archive/<n>/ and its single file beside it."""
    n = next(_counter)
    prefix = f"/_archive/{n}"
    stored = {r.key: r for r in result.resources if r.key}
    html = result.replay_html or ""

    def load(key: str) -> tuple[str, bytes] | None:
        r = stored.get(key)
        return (r.content_type, r.served) if r is not None else None

    single = inline(html, load)
    headers = {
        "Content-Security-Policy": ARCHIVE_CSP,
        "X-Content-Type-Options": "nosniff",
        "Access-Control-Allow-Origin": "*",
    }

    def page(request) -> Reply:
        return Reply(200, {"Content-Type": "text/html; charset=utf-8", **headers}, html.encode())

    def resource(request) -> Reply:
        found = load(request.path.rsplit("/", 1)[-1])
        if found is None:
            return Reply(404, {"Content-Type": "text/plain"}, b"missing")
        return Reply(
            200, {"Content-Type": found[0] or "application/octet-stream", **headers}, found[1]
        )

    server.route(f"{prefix}/", page)
    server.route(f"{prefix}/r/*", resource)
    server.route(f"{prefix}/single.html", lambda request: Reply.html(single))
    return Archived(result, server.url(f"{prefix}/"), server.url(f"{prefix}/single.html"), single)


@contextmanager
def chromium(server: FixtureServer, extra_hosts: tuple[str, ...] = ()) -> Iterator:
    """A headless Chromium (Playwright) whose test host names resolve to the fixture server
    (every other name fails to resolve: no request leaves the machine)."""
    from tests.playwright_shared import playwright

    names = (*TEST_HOST_NAMES, *extra_hosts)
    rules = ", ".join(f"MAP {h} 127.0.0.1" for h in names) + ", MAP * ~NOTFOUND"
    args = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--hide-scrollbars",
        "--font-render-hinting=none",
        f"--host-resolver-rules={rules}",
    ]
    browser = playwright().chromium.launch(executable_path=CHROMIUM, args=args)
    try:
        yield browser
    finally:
        browser.close()


@contextmanager
def open_page(browser, url: str, *, scripts: bool = True) -> Iterator:
    """A 1280×800, device-scale 1 page loaded at ``url`` (network settled, fonts ready)."""
    context = browser.new_context(
        viewport=VIEWPORT, device_scale_factor=1, java_script_enabled=scripts, locale="en-US"
    )
    page = context.new_page()
    try:
        page.goto(url, wait_until="load", timeout=30_000)
        page.wait_for_timeout(150)
        page.evaluate("document.fonts ? document.fonts.ready.then(() => 1) : 1")
        yield page
    finally:
        context.close()


def png(width: int, height: int, rgb: tuple[int, int, int] = (200, 60, 30)) -> bytes:
    """A solid-colour PNG of the given size (test images of known natural width)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + bytes(rgb) * width
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height, 9))
        + chunk(b"IEND", b"")
    )

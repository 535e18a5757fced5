"""Browser capture: render a page in headless Chromium, then archive it like a static one.

The rendered DOM (``page.content()``) becomes the document (kind html, UTF-8) and
the responses the browser already received are handed to ``capture_html`` through
a ``fetch`` that looks them up first, so nothing is downloaded twice; only what the
browser never loaded (other srcset candidates, ...) goes through the guarded
Fetcher. A screenshot (viewport and capped full page) and a PDF ride along in
``BrowserCaptureResult.artefacts``.

The page work runs on the :class:`BrowserService` loop, or in the browser host of a
`snapshelf worker` (capture/browser_host.py); parsing, rewriting and extraction run in
the caller's thread so they never block the browser loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urldefrag

from snapshelf.capture.browser_check import browser_available
from snapshelf.capture.browser_service import BrowserFailed, BrowserService
from snapshelf.capture.extract import fingerprint
from snapshelf.capture.isolate import Session
from snapshelf.capture.static import (
    CaptureResult,
    Limits,
    capture_html,
    header_pairs,
    make_resource_fetcher,
    ms,
    read_isolated,
    split_content_type,
)
from snapshelf.capture.types import Fetched
from snapshelf.errors import (
    Blocked,
    CaptureError,
    HTTPError,
    Timeout,
    TooManyNavigations,
    Unsupported,
)
from snapshelf.net import Deadline, Fetcher
from snapshelf.net.guard import Guard

__all__ = [
    "BrowserCaptureResult",
    "BrowserFailed",
    "BrowserService",
    "Rendered",
    "browser_available",
    "capture_browser",
]

VIEWPORT = {"width": 1280, "height": 900}
FULL_PAGE_MAX_HEIGHT = 10_000
NETWORK_IDLE_CAP = 3.0  # seconds to wait for the network to settle after DOMContentLoaded
IDLE_QUIET = 0.25  # seconds without a request in flight that count as "settled"
SCROLL_MAX_HEIGHT = 20_000  # px scrolled at most (infinite scroll stops here)
SCROLL_MAX_TIME = 4.0  # seconds
#: Documents the page's main frame may load (the first included; HTTP redirect hops are
#: not counted): a script or meta refresh that keeps navigating stops here.
MAX_NAVIGATIONS = 10
_HTML_TYPES = {"text/html", "application/xhtml+xml", ""}

# Scroll one viewport at a time so IntersectionObserver / lazy loaders fire; stop at the
# bottom, at the height cap or the time cap. Returns [y reached, page height seen there].
_DROP_NOSCRIPT_JS = "document.querySelectorAll('noscript').forEach(n => n.remove())"
_PAGE_HEIGHT_JS = (
    "Math.max(document.body ? document.body.scrollHeight : 0,"
    " document.documentElement.scrollHeight)"
)
_SCROLL_JS = f"""async ([y, maxHeight, maxMs]) => {{
  const start = Date.now();
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  let bottom = {_PAGE_HEIGHT_JS};
  while (Date.now() - start < maxMs) {{
    bottom = {_PAGE_HEIGHT_JS};
    if (y + innerHeight >= bottom || y >= maxHeight) break;
    y = Math.min(y + Math.floor(innerHeight * 0.9), maxHeight);
    window.scrollTo(0, y);
    await sleep(100);
  }}
  return [y, bottom];
}}"""


@dataclass
class BrowserCaptureResult(CaptureResult):
    """A CaptureResult plus the browser's own artefacts.

    ``artefacts`` keys: "screenshot_full" (full page PNG, at most 1280x10000),
    "screenshot" (viewport PNG: only for a page that fits the viewport, where it is the
    full page too, or when the full page could not be taken) and "pdf"; any may be
    missing when that step failed.
    """

    artefacts: dict[str, bytes] = field(default_factory=dict)
    mode: str = "browser"


@dataclass
class Rendered:
    """What the browser produced for one page (plain data, crosses threads)."""

    url: str
    final_url: str
    status: int
    html: str
    responses: dict[str, Fetched]
    artefacts: dict[str, bytes]
    timings: dict[str, float]
    scrolled: int = 0
    headers: list[tuple[str, str]] = field(default_factory=list)  # the page's response


# -- on the browser loop ---------------------------------------------------------------


class _Recorder:
    """Keeps the bodies of the responses a page receives, within the size limits."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.responses: dict[str, Fetched] = {}
        self.total = 0
        self.tasks: list[asyncio.Task] = []
        self.inflight: set[Any] = set()
        self.changed = time.monotonic()

    def on_request(self, request: Any) -> None:
        self.inflight.add(request)
        self.changed = time.monotonic()

    def on_done(self, request: Any) -> None:
        self.inflight.discard(request)
        self.changed = time.monotonic()

    async def idle(self, quiet: float, cap: float) -> None:
        """Return once no request was in flight for ``quiet`` s, or after ``cap`` s.

        Playwright's "networkidle" always waits 500 ms; most pages settle sooner.
        """
        end = time.monotonic() + max(cap, 0)
        while time.monotonic() < end:
            if not self.inflight and time.monotonic() - self.changed >= quiet:
                return
            await asyncio.sleep(0.03)

    def on_response(self, response: Any) -> None:
        self.tasks.append(asyncio.ensure_future(self._record(response)))

    async def _record(self, response: Any) -> None:
        url = urldefrag(response.url)[0]
        if not url.startswith(("http://", "https://")) or url in self.responses:
            return
        status = response.status
        if not 200 <= status < 300:
            return
        headers = response.headers
        limit = self.limits.max_resource_bytes
        with contextlib.suppress(ValueError):
            if int(headers.get("content-length") or 0) > limit:
                return
        if len(self.responses) >= self.limits.max_resources * 2:
            return
        try:
            body = await response.body()
        except Exception:  # noqa: BLE001 - redirects, aborted or evicted bodies: refetch later
            return
        if len(body) > limit or self.total + len(body) > self.limits.max_snapshot_bytes:
            return
        self.total += len(body)
        mime, charset = split_content_type(headers.get("content-type"))
        kept = header_pairs(headers.items())
        fetched = Fetched(url, url, status, mime, charset, body, headers=kept)
        self.responses[url] = fetched
        request = response.request.redirected_from
        while request is not None:  # the DOM may name the URL before its redirects
            first = urldefrag(request.url)[0]
            self.responses.setdefault(
                first, Fetched(first, url, status, mime, charset, body, headers=kept)
            )
            request = request.redirected_from

    async def settle(self, timeout: float) -> None:
        pending = [t for t in self.tasks if not t.done()]
        if pending:
            await asyncio.wait(pending, timeout=max(timeout, 0.1))
        for task in self.tasks:
            if not task.done():
                task.cancel()


def _close_popup(main: Any) -> Callable[[Any], None]:
    def handler(page: Any) -> None:
        if page is not main:
            asyncio.ensure_future(_quietly(page.close()))

    return handler


async def _quietly(coro: Any) -> None:
    with contextlib.suppress(Exception):
        await coro


class _Navigations:
    """Counts the documents the main frame loads; trips an event past the limit."""

    def __init__(self, page: Any, limit: int) -> None:
        self.page = page
        self.limit = limit
        self.count = 0
        self.urls: list[str] = []
        self.exceeded = asyncio.Event()

    def on_request(self, request: Any) -> None:
        with contextlib.suppress(Exception):  # a request of a frame already gone
            if (
                request.is_navigation_request()
                and request.frame == self.page.main_frame
                and request.redirected_from is None
            ):
                self.count += 1
                self.urls.append(request.url)
                if self.count > self.limit:
                    self.exceeded.set()

    def error(self, url: str) -> TooManyNavigations:
        last = ", ".join(self.urls[-3:])
        return TooManyNavigations(
            f"{url} kept navigating (a script setting location, or a meta refresh loop): "
            f"stopped after {self.limit} page loads (last: {last})"
        )


async def _render(
    session: Any,
    url: str,
    limits: Limits,
    deadline: Deadline,
    artefacts: bool,
    guard: Guard | None = None,
) -> Rendered:
    recorder = _Recorder(limits)
    timings: dict[str, float] = {}
    async with session(
        viewport=VIEWPORT,
        accept_downloads=False,
        service_workers="block",
        locale="en-US",
    ) as context:
        page = await context.new_page()
        context.on("page", _close_popup(page))
        navigations = _Navigations(page, MAX_NAVIGATIONS)
        page.on("dialog", lambda dialog: asyncio.ensure_future(_quietly(dialog.dismiss())))
        page.on("response", recorder.on_response)
        page.on("request", recorder.on_request)
        page.on("request", navigations.on_request)
        page.on("requestfinished", recorder.on_done)
        page.on("requestfailed", recorder.on_done)

        async def load() -> tuple[Any, str, str, dict[str, bytes], int]:
            t0 = time.perf_counter()
            response = await _navigate(page, url, deadline, guard)
            t1 = time.perf_counter()
            await recorder.idle(IDLE_QUIET, min(NETWORK_IDLE_CAP, deadline.remaining() - 5))
            scrolled = await _scroll(page, recorder, deadline)
            t2 = time.perf_counter()
            # scripts ran, so no <noscript> content was ever shown; served without
            # scripts, the copy would show it ("Please enable JavaScript", fallbacks)
            with contextlib.suppress(Exception):
                await page.evaluate(_DROP_NOSCRIPT_JS)
            html = await page.content()
            final_url = page.url
            shots = await _artefacts(page, deadline) if artefacts else {}
            t3 = time.perf_counter()
            timings.update(navigate_ms=ms(t0, t1), settle_ms=ms(t1, t2), artefacts_ms=ms(t2, t3))
            return response, html, final_url, shots, scrolled

        work = asyncio.ensure_future(load())
        tripped = asyncio.ensure_future(navigations.exceeded.wait())
        try:
            await asyncio.wait({work, tripped}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            tripped.cancel()
        # a page navigating away under us breaks what we were doing: if it goes on
        # navigating, that is the loop to report, not a broken browser
        failed = not navigations.exceeded.is_set() and work.exception() is not None
        if failed and navigations.count > 1:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    navigations.exceeded.wait(), max(0.1, min(5.0, deadline.remaining()))
                )
        if navigations.exceeded.is_set():
            work.cancel()
            with contextlib.suppress(BaseException):
                await work
            raise navigations.error(url)
        response, html, final_url, shots, scrolled = work.result()
        await recorder.settle(min(5.0, deadline.remaining()))
    return Rendered(
        url,
        final_url,
        response.status,
        html,
        recorder.responses,
        shots,
        timings,
        scrolled,
        headers=header_pairs(response.headers.items()),
    )


async def _scroll(page: Any, recorder: _Recorder, deadline: Deadline) -> int:
    """Scroll down so lazy content loads; return how far (px), back at the top after.

    Reaching the bottom is not the end when the page is still adding to it (an infinite
    feed whose scroll handler or request is slower than one step): after the network
    settles, a page that grew is scrolled on, within the same height and time caps.
    """
    end = time.monotonic() + min(SCROLL_MAX_TIME, max(deadline.remaining() - 5, 0))
    y = 0
    with contextlib.suppress(Exception):
        while True:
            y, bottom = await page.evaluate(
                _SCROLL_JS, [y, SCROLL_MAX_HEIGHT, _ms(end - time.monotonic())]
            )
            if not y:
                return 0
            await recorder.idle(IDLE_QUIET, min(1.5, deadline.remaining() - 4))
            if y >= SCROLL_MAX_HEIGHT or time.monotonic() >= end:
                break
            if await page.evaluate(_PAGE_HEIGHT_JS) <= bottom:
                break
    with contextlib.suppress(Exception):
        await page.evaluate("window.scrollTo(0, 0)")
    return y


async def _navigate(page: Any, url: str, deadline: Deadline, guard: Guard | None = None) -> Any:
    from playwright.async_api import Error as PlaywrightError
    from playwright.async_api import TimeoutError as PlaywrightTimeout

    try:
        response = await page.goto(
            url, wait_until="domcontentloaded", timeout=_ms(deadline.remaining())
        )
    except PlaywrightTimeout as exc:
        raise Timeout(f"the page did not load within the deadline: {url}") from exc
    except PlaywrightError as exc:
        text = str(exc)
        if "Download is starting" in text:
            raise Unsupported(f"{url} is a download, not a page; use static mode") from exc
        if "net::" in text:
            raise CaptureError(
                f"the browser could not load {url}: {text.splitlines()[0]}", code="connection"
            ) from exc
        raise
    if response is None:
        raise CaptureError(f"no response for {url}", code="connection")
    if response.status >= 400:
        if response.status == 403 and guard is not None and response.url != url:
            # the egress proxy answers 403 for a destination the guard refuses: a redirect
            # to one is "blocked", as in a static capture, not the site's own 403
            _refuse_if_forbidden(guard, response.url)
        raise HTTPError(
            f"the server answered HTTP {response.status} for {response.url}",
            status=response.status,
        )
    mime, _ = split_content_type(response.headers.get("content-type"))
    if mime not in _HTML_TYPES:
        raise Unsupported(f"{url} is {mime}, not a web page; use static mode")
    return response


#: Seconds each artefact may take at most (less when the capture's deadline is nearer).
ARTEFACT_CAP = {"screenshot": 10.0, "screenshot_full": 15.0, "pdf": 20.0}


async def _artefacts(page: Any, deadline: Deadline) -> dict[str, bytes]:
    """Full-page PNG (clipped to 1280x10000) and a PDF; failures skipped.

    Only one screenshot is stored (the full page), so the viewport is taken only where
    it is the full page or stands in for one that failed: on the bench's browser pages
    the viewport PNG cost Chromium ~0.08 s of CPU (of ~2.5 s a page) to be thrown away.
    Each step is bounded: Chromium's printing can hang on a page for good (seen on a
    real page), and Playwright's ``pdf()`` has no timeout of its own; without a bound the
    whole rendering was lost to the caller's timeout."""
    out: dict[str, bytes] = {}

    def within(step: str) -> float:
        return max(0.1, min(ARTEFACT_CAP[step], deadline.remaining() - 2))

    height = 0
    with contextlib.suppress(Exception):
        height = await page.evaluate(_PAGE_HEIGHT_JS)
        height = max(1, min(int(height), FULL_PAGE_MAX_HEIGHT))
        if height > VIEWPORT["height"]:
            out["screenshot_full"] = await page.screenshot(
                type="png",
                full_page=True,
                clip={"x": 0, "y": 0, "width": VIEWPORT["width"], "height": height},
                timeout=_ms(within("screenshot_full")),
            )
    if "screenshot_full" not in out:  # the page fits the viewport, or the full page failed
        with contextlib.suppress(Exception):
            out["screenshot"] = await page.screenshot(type="png", timeout=_ms(within("screenshot")))
            if 0 < height <= VIEWPORT["height"]:
                out["screenshot_full"] = out["screenshot"]
    with contextlib.suppress(Exception):
        await page.emulate_media(media="screen")
        out["pdf"] = await asyncio.wait_for(
            page.pdf(print_background=True, format="A4"), within("pdf")
        )
    return out


def _ms(seconds: float) -> float:
    return max(seconds, 0.1) * 1000


async def _render_guarded(
    service: BrowserService,
    session: Any,
    url: str,
    limits: Limits,
    deadline: Deadline,
    artefacts: bool,
) -> Rendered:
    """Turn 'the browser went away' into BrowserFailed (code "browser")."""
    try:
        return await _render(session, url, limits, deadline, artefacts, service.guard)
    except CaptureError as exc:
        if service.browser_died():
            service.mark_broken()
            if not isinstance(exc, BrowserFailed):  # that one says why already
                raise BrowserFailed(f"the browser died while capturing {url}") from None
        raise
    except Exception as exc:
        if service.browser_died():
            service.mark_broken()
        raise BrowserFailed(f"the browser failed while capturing {url}: {exc}") from exc


# -- in the caller's thread -----------------------------------------------------------------


class RemoteBrowser(Protocol):
    """A browser in another process (capture/browser_host.py's client)."""

    guard: Guard | None

    def render(self, url: str, limits: Limits, *, artefacts: bool = True) -> Rendered: ...


def render(
    url: str,
    limits: Limits,
    *,
    service: BrowserService | RemoteBrowser,
    guard_check: bool = True,
    artefacts: bool = True,
) -> Rendered:
    """Render ``url`` in the browser; raises CaptureError (code "browser" when it broke)."""
    if guard_check and service.guard is not None:
        _refuse_if_forbidden(service.guard, url)
    if not isinstance(service, BrowserService):
        return service.render(url, limits, artefacts=artefacts)
    deadline = Deadline(limits.deadline)
    return service.run(
        lambda session: _render_guarded(service, session, url, limits, deadline, artefacts),
        timeout=limits.deadline + service.grace,
    )


def _refuse_if_forbidden(guard: Guard, url: str) -> None:
    """Raise the guard's Blocked (code "blocked") for a URL it would refuse; anything
    else passes."""
    try:
        parsed = guard.parse_url(url)
        guard.resolve(parsed.host, parsed.port or (443 if parsed.scheme == "https" else 80))
    except Blocked:
        raise
    except CaptureError:  # unresolvable, malformed: not the guard's refusal
        return


def capture_browser(
    url: str, limits: Limits, *, fetcher: Fetcher, service: BrowserService | RemoteBrowser
) -> BrowserCaptureResult:
    """Capture ``url`` through the browser; the result stores like a static one."""
    t0 = time.perf_counter()
    # the helper is checked out (or starts) while the browser renders
    with Session(limits.budget()) as session:
        rendered = render(url, limits, service=service)
        t1 = time.perf_counter()
        body = rendered.html.encode("utf-8")
        doc, page = read_isolated(
            session,
            body,
            "text/html",
            "utf-8",
            url,
            rendered.final_url,
            rendered.status,
            rendered.headers,
        )
        t2 = time.perf_counter()
        deadline = Deadline(max(limits.deadline / 2, 10.0))
        fallback = make_resource_fetcher(fetcher, deadline, limits, doc.final_url)
        fetch = recorded_fetch(rendered.responses, fallback)
        replay_html, resources, more, resource_headers = None, [], {}, {}
        if page is not None:
            replay_html, resources, more, resource_headers = capture_html(
                doc, fetch, deadline, limits, page=page
            )
        parse_cpu = round(session.cpu * 1000, 1)
    timings = {
        **rendered.timings,
        "browser_ms": ms(t0, t1),
        "extract_ms": ms(t1, t2),
        **more,
        "parse_cpu_ms": parse_cpu,
    }
    return BrowserCaptureResult(
        doc,
        replay_html,
        resources,
        fingerprint(doc.extracted.text),
        timings,
        resource_headers=resource_headers,
        artefacts=rendered.artefacts,
    )


def recorded_fetch(
    responses: dict[str, Fetched], fallback: Callable[[str, str], Fetched]
) -> Callable[[str, str], Fetched]:
    """A capture_html ``fetch`` serving what the browser received, else the guarded fetcher."""

    def fetch(url: str, kind: str) -> Fetched:
        hit = responses.get(urldefrag(url)[0])
        if hit is not None:
            return Fetched(
                url,
                hit.final_url,
                hit.status,
                hit.content_type,
                hit.charset,
                hit.body,
                headers=hit.headers,
            )
        return fallback(url, kind)

    return fetch

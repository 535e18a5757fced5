"""Fetch a page's subresources concurrently, following stylesheets recursively.

Fetching itself is a callback (the pipeline's guarded HTTP client), so this module has no
network code: it only decides what to fetch, in what order, how many at once, and when
to stop. Bounds apply overall and per host so one capture cannot hammer one server.
"""

from __future__ import annotations

import os
import threading
from collections import Counter, deque
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from snapshelf.capture.css import Ref, decode_css, find_css_resources, url_scheme
from snapshelf.capture.css.fonts import FontFace, FontUse, font_faces, split_faces
from snapshelf.capture.types import Fetched

__all__ = ["Ref", "collect", "is_css"]

Fetch = Callable[[str, str], Fetched]


def is_css(kind: str, fetched: Fetched) -> bool:
    """Whether a response is treated as a stylesheet (and so looked into)."""
    return kind == "stylesheet" or fetched.content_type == "text/css"


def _failure(url: str, exc: BaseException) -> Fetched:
    return Fetched(
        url=url,
        final_url=url,
        status=0,
        content_type="",
        charset=None,
        body=b"",
        error_code="internal",
        error=f"{type(exc).__name__}: {exc}"[:500],
    )


@dataclass
class _Sheet:
    """What a fetched stylesheet adds: references, font faces, its text (for font use)."""

    children: list[Ref] = field(default_factory=list)
    faces: list[FontFace] = field(default_factory=list)
    text: str = ""


def _fetch_one(fetch: Fetch, ref: Ref, document_charset: str | None) -> tuple[Fetched, _Sheet]:
    """Runs in a worker thread; never raises."""
    try:
        fetched = fetch(ref.url, ref.kind)
        if not isinstance(fetched, Fetched):
            raise TypeError(f"fetch returned {type(fetched).__name__}, not Fetched")
    except Exception as exc:
        return _failure(ref.url, exc), _Sheet()
    sheet = _Sheet()
    if fetched.ok and is_css(ref.kind, fetched):
        try:
            text = decode_css(fetched.body, fetched.charset, document_charset)
            base = fetched.final_url or ref.url
            faces = font_faces(text, base)
            sheet = _Sheet(split_faces(find_css_resources(text, base), faces), faces, text)
        except Exception:  # a stylesheet we cannot read is still stored; it just has no children
            sheet = _Sheet()
    return fetched, sheet


_PRIORITY = {"stylesheet": 0, "font": 1}


# Fetch threads are shared by every capture in the process (starting threads for each
# capture cost more than some captures' own work); each capture bounds its own share.
_POOL_THREADS = 64
_pool_lock = threading.Lock()
_shared_pool: ThreadPoolExecutor | None = None


def _pool() -> ThreadPoolExecutor:
    global _shared_pool
    with _pool_lock:
        if _shared_pool is None:
            _shared_pool = ThreadPoolExecutor(_POOL_THREADS, thread_name_prefix="snapshelf-fetch")
        return _shared_pool


def _forget_pool() -> None:
    """A forked child has none of the parent's threads: it starts its own pool."""
    global _shared_pool, _pool_lock
    _shared_pool = None
    _pool_lock = threading.Lock()


os.register_at_fork(after_in_child=_forget_pool)


def _host(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def collect(
    roots: list[Ref],
    fetch: Fetch,
    *,
    document_charset: str | None = None,
    max_resources: int = 500,
    max_total_bytes: int = 200 * 2**20,
    concurrency: int = 8,
    per_host: int = 6,
    deadline_expired: Callable[[], bool] = lambda: False,
) -> dict[str, Fetched]:
    """Fetch ``roots`` and, recursively, what their stylesheets reference.

    Each distinct http(s) URL is fetched once (other schemes are skipped): stylesheets
    first, then fonts, then everything else, each in the order found. ``fetch(url,
    kind)`` runs on worker threads, at most ``concurrency`` at a time and ``per_host`` per
    host. New fetches stop being scheduled once ``max_resources`` were started,
    ``max_total_bytes`` were received, or ``deadline_expired()`` is true; fetches already
    running finish and are kept. Returns {url: Fetched}, failures included.

    Web fonts wait until every stylesheet is in: then only the faces the page can use
    are fetched (:mod:`snapshelf.capture.css.fonts`), each in its first readable format,
    the next format only when one fails. ``roots`` may carry the page's font use and its
    inline faces (``roots.fonts``, ``roots.faces``, as ``html.find_resources`` gives them).
    """
    fonts: FontUse = getattr(roots, "fonts", None) or FontUse(None)
    faces: list[FontFace] = list(getattr(roots, "faces", []))
    decided: set[FontFace] = set()
    results: dict[str, Fetched] = {}
    # Stylesheets first (what they reference is only known once they arrive), then fonts,
    # then the rest, each in document order: the order browsers give them, which keeps
    # the longest chain (page -> stylesheet -> @import -> font) short. Within a priority,
    # one queue per host (in the order hosts were first seen), so a busy host is skipped
    # in one step instead of by walking its whole queue on every completion.
    queues: tuple[dict[str, deque[Ref]], ...] = ({}, {}, {})
    seen: set[str] = set()

    def enqueue(ref: Ref) -> None:
        if ref.url in seen or url_scheme(ref.url) not in ("http", "https"):
            return
        seen.add(ref.url)
        by_host = queues[_PRIORITY.get(ref.kind, 2)]
        by_host.setdefault(_host(ref.url), deque()).append(ref)

    for ref in roots:
        enqueue(ref)

    concurrency = max(1, concurrency)
    per_host = max(1, per_host)
    inflight: dict[Future, tuple[Ref, str]] = {}
    host_load: Counter[str] = Counter()
    started = 0
    received = 0
    stopped = False

    def may_start() -> bool:
        nonlocal stopped
        if not stopped and (
            started >= max_resources or received >= max_total_bytes or deadline_expired()
        ):
            stopped = True
        return not stopped

    def schedule() -> None:
        nonlocal started
        for by_host in queues:
            for host, pending in list(by_host.items()):
                while pending and host_load[host] < per_host:
                    if len(inflight) >= concurrency or not may_start():
                        return
                    ref = pending.popleft()
                    future = _pool().submit(_fetch_one, fetch, ref, document_charset)
                    inflight[future] = (ref, host)
                    host_load[host] += 1
                    started += 1
                if not pending:
                    del by_host[host]

    def release_fonts() -> None:
        """Once no stylesheet is pending, the faces the page uses join the queue."""
        if queues[0] or any(ref.kind == "stylesheet" for ref, _ in inflight.values()):
            return
        for face in faces:
            if face not in decided:
                decided.add(face)
                if fonts.wants(face):
                    enqueue(Ref(face.urls[0], "font", face.urls[1:]))

    while True:
        schedule()
        if not inflight:
            release_fonts()
            schedule()
            if not inflight:
                break
        done, _ = wait(inflight, return_when=FIRST_COMPLETED)
        for future in done:
            ref, host = inflight.pop(future)
            host_load[host] -= 1
            fetched, sheet = future.result()
            results[ref.url] = fetched
            received += len(fetched.body or b"")
            for child in sheet.children:
                enqueue(child)
            if sheet.text:
                fonts.add_css(sheet.text)
                faces.extend(sheet.faces)
            if not fetched.ok and ref.fallbacks:
                enqueue(Ref(ref.fallbacks[0], ref.kind, ref.fallbacks[1:]))
        release_fonts()
    return results

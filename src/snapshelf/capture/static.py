"""Static capture: fetch a page over HTTP, collect its resources, rewrite, extract.

Django-free: it returns a CaptureResult in memory; `snapshelf.jobs.capture`
stores it. Every request goes through the Fetcher, hence through the egress guard.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from email.message import Message
from pathlib import PurePosixPath
from urllib.parse import unquote, urlsplit

from snapshelf.capture.auto import Decision, decide_isolated
from snapshelf.capture.classify import classify
from snapshelf.capture.css import Ref
from snapshelf.capture.decode import decode_html, decode_text
from snapshelf.capture.extract import (
    Extracted,
    extract_html,
    extract_pdf,
    extract_text_document,
    fingerprint,
)
from snapshelf.capture.html import document_base_url, find_resources, parse_html
from snapshelf.capture.isolate import Budget, Session
from snapshelf.capture.replay import ReplayBundle, ReplayResource, build_replay
from snapshelf.capture.resources import collect
from snapshelf.capture.types import Fetched, Headers
from snapshelf.errors import CaptureError, HTTPError, Unresolvable, Unsupported
from snapshelf.net import Deadline, Fetcher

_ACCEPT = {
    "document": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "stylesheet": "text/css,*/*;q=0.1",
    "image": "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8",
    "icon": "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8",
    "font": "font/woff2,font/woff,*/*;q=0.5",
}


@dataclass
class Limits:
    deadline: float = 60.0
    connect_timeout: float = 10.0
    max_document_bytes: int = 20 * 2**20
    max_resource_bytes: int = 15 * 2**20
    max_snapshot_bytes: int = 150 * 2**20
    max_resources: int = 400
    concurrency: int = 8
    per_host: int = 6
    #: CPU seconds and memory the page's parsing, rewriting and extraction may use (in
    #: a helper process, see capture/isolate.py)
    parse_cpu_seconds: float = 30.0
    parse_memory_bytes: int = 1024 * 2**20

    @classmethod
    def from_dict(cls, values: dict) -> Limits:
        return cls(**{k: v for k, v in values.items() if k in cls.__dataclass_fields__})

    def budget(self) -> Budget:
        return Budget(cpu_seconds=self.parse_cpu_seconds, memory_bytes=self.parse_memory_bytes)


@dataclass
class Document:
    """A fetched or uploaded top-level document, decoded and extracted."""

    url: str
    final_url: str
    http_status: int
    content_type: str
    charset: str  # the codec actually used for text kinds, else ""
    kind: str  # html / pdf / image / text / other
    body: bytes
    text: str | None  # decoded text for html / text kinds
    extracted: Extracted
    headers: Headers = field(default_factory=list)  # the response's, as received (WARC)
    #: why the text could not be extracted, when the document is kept without it
    extract_error: str = ""


@dataclass
class CaptureResult:
    document: Document
    replay_html: str | None
    resources: list[ReplayResource]
    fingerprint: str
    timings: dict[str, float] = field(default_factory=dict)
    #: each subresource's response headers by the URL it was asked for (WARC export)
    resource_headers: dict[str, Headers] = field(default_factory=dict)
    #: auto mode's verdict on this static copy (``capture_static(..., auto=True)``)
    auto: Decision | None = None


def split_content_type(value: str | None) -> tuple[str, str | None]:
    if not value:
        return "", None
    msg = Message()
    msg["content-type"] = value
    mime = msg.get_content_type() if "/" in value.split(";")[0] else ""
    charset = msg.get_param("charset")
    if isinstance(charset, tuple):  # RFC 2231 form
        charset = charset[2]
    return mime.lower(), (str(charset).strip() or None) if charset else None


def title_from_url(url: str) -> str:
    parts = urlsplit(url)
    name = unquote(PurePosixPath(parts.path).name)
    return name or parts.hostname or url


#: Header fields kept per response, and bytes of them: a hostile server cannot bloat a row.
MAX_HEADERS = 200
MAX_HEADER_BYTES = 64 * 1024


def header_pairs(raw: Iterable[tuple[bytes, bytes]] | Iterable[tuple[str, str]]) -> Headers:
    """Response header fields as (name, value) text pairs in received order, within caps."""
    pairs: Headers = []
    size = 0
    for name, value in raw:
        if isinstance(name, bytes):
            name, value = name.decode("latin-1"), value.decode("latin-1")
        size += len(name) + len(value) + 4
        if len(pairs) >= MAX_HEADERS or size > MAX_HEADER_BYTES:
            break
        pairs.append((str(name), str(value)))
    return pairs


def read_document(
    body: bytes,
    content_type: str,
    charset: str | None,
    url: str,
    final_url: str,
    status: int,
    headers: Headers | None = None,
) -> Document:
    """Decode and extract a document; the same path serves captures, uploads and `extract`.

    `headers` are the response's as received, kept for the WARC export."""
    kind = classify(body, content_type, final_url)
    text: str | None = None
    used = ""
    if kind == "html":
        decoded = decode_html(body, charset)
        text, used = decoded.text, decoded.encoding
        extracted = extract_html(text, final_url)
    elif kind == "text":
        decoded = decode_text(body, charset)
        text, used = decoded.text, decoded.encoding
        extracted = extract_text_document(text, final_url)
    elif kind == "pdf":
        extracted = extract_pdf(body, final_url)
    else:
        extracted = Extracted(
            title=title_from_url(final_url),
            author="",
            date="",
            site_name="",
            language="",
            description="",
            image="",
            text="",
            html="",
            markdown="",
            word_count=0,
        )
    if not extracted.title:
        extracted.title = title_from_url(final_url)
    # a page with no readable text is kept, and says so (the snapshot's extract_failed)
    missing = "no readable text was found in the page" if extracted.error == "no_text" else ""
    return Document(
        url,
        final_url,
        status,
        content_type,
        used,
        kind,
        body,
        text,
        extracted,
        headers or [],
        extract_error=missing,
    )


def _hostname(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def make_resource_fetcher(
    fetcher: Fetcher, deadline: Deadline, limits: Limits, referer: str
) -> Callable[[str, str], Fetched]:
    # host -> why it has no address: its other resources fail without another lookup
    unresolvable: dict[str, CaptureError] = {}

    def fetch(url: str, kind: str) -> Fetched:
        headers = {"Referer": referer, "Accept": _ACCEPT.get(kind, "*/*")}
        host = _hostname(url)
        try:
            known = unresolvable.get(host)
            if known is not None:
                return Fetched(url, url, 0, "", None, b"", known.code, str(known))
            r = fetcher.fetch(
                url, deadline=deadline, max_bytes=limits.max_resource_bytes, headers=headers
            )
        except CaptureError as exc:
            if isinstance(exc, Unresolvable) and host:
                unresolvable.setdefault(host, exc)
            return Fetched(url, url, 0, "", None, b"", exc.code, str(exc))
        mime, charset = split_content_type(r.headers.get("content-type"))
        if not 200 <= r.status < 300:
            return Fetched(
                url, r.final_url, r.status, mime, charset, b"", "http_error", f"HTTP {r.status}"
            )
        return Fetched(
            url,
            r.final_url,
            r.status,
            mime,
            charset,
            r.content,
            headers=header_pairs(r.headers.raw),
        )

    return fetch


@dataclass
class IsolatedPage:
    """An HTML document read in a helper (:func:`read_isolated`): its parsed tree stays
    there for the rewrite; here only what discovery found."""

    session: Session
    base: str
    roots: list[Ref]


def _read_in_helper(
    state: dict, body: bytes, content_type: str, charset: str | None, *args: object
) -> tuple[Document, tuple[str, list[Ref]] | None]:
    """In the helper: decode and extract; for HTML also parse for the replay and discover
    the resources (the tree is kept in `state`). The body is not sent back."""
    try:
        doc = read_document(body, content_type, charset, *args)  # type: ignore[arg-type]
    except Unsupported as exc:
        doc = _kept_without_text(exc, body, content_type, *args)  # type: ignore[arg-type]
    found = None
    if doc.kind == "html":
        tree = parse_html(doc.text or "")
        base = document_base_url(tree, doc.final_url)
        state["tree"] = tree
        found = (base, find_resources(tree, base))
    doc.body = b""
    return doc, found


def _kept_without_text(
    exc: Unsupported,
    body: bytes,
    content_type: str,
    url: str,
    final_url: str,
    status: int,
    headers: Headers | None = None,
) -> Document:
    """A PDF whose text cannot be read (malformed, encrypted) is still archived as it is:
    only its extraction failed, which the snapshot records. Anything else re-raises."""
    if classify(body, content_type, final_url) != "pdf":
        raise exc
    extracted = Extracted(title=title_from_url(final_url))
    return Document(
        url,
        final_url,
        status,
        content_type,
        "",
        "pdf",
        body,
        None,
        extracted,
        headers or [],
        extract_error=f"the text could not be extracted: {exc}",
    )


def _replay_in_helper(
    state: dict, base: str, fetched: dict[str, Fetched], charset: str | None
) -> ReplayBundle:
    """In the helper: rewrite the kept tree; resource bytes identical to what was sent are
    not sent back (the caller has them)."""
    bundle = build_replay(state.pop("tree"), base, fetched, document_charset=charset)
    for res in bundle.resources:
        sent = fetched.get(res.url)
        if sent is not None and res.original is sent.body:
            res.original = None  # type: ignore[assignment]
    return bundle


def read_isolated(
    session: Session,
    body: bytes,
    content_type: str,
    charset: str | None,
    url: str,
    final_url: str,
    status: int,
    headers: Headers | None = None,
) -> tuple[Document, IsolatedPage | None]:
    """:func:`read_document` within the session's limits (TooComplex past them); an HTML
    page comes with its :class:`IsolatedPage` for :func:`capture_html`."""
    doc, found = session.call(
        _read_in_helper, body, content_type, charset, url, final_url, status, headers
    )
    doc.body = body
    return doc, (IsolatedPage(session, *found) if found is not None else None)


def capture_html(
    doc: Document,
    fetch: Callable[[str, str], Fetched],
    deadline: Deadline,
    limits: Limits,
    *,
    page: IsolatedPage | None = None,
) -> tuple[str, list[ReplayResource], dict[str, float], dict[str, Headers]]:
    """Collect every subresource of an HTML document and rewrite it for replay.

    With `page` the parsing and rewriting happen in its helper (within its limits),
    else here. Returns the replay document, the resources, timings, and each fetched
    resource's response headers by the URL asked for (what the WARC export writes)."""
    t0 = time.perf_counter()
    if page is None:
        tree = parse_html(doc.text or "")
        base = document_base_url(tree, doc.final_url)
        roots = find_resources(tree, base)
    else:
        base, roots = page.base, page.roots
    fetched = collect(
        roots,
        fetch,
        document_charset=doc.charset or None,
        max_resources=limits.max_resources,
        max_total_bytes=limits.max_snapshot_bytes,
        concurrency=limits.concurrency,
        per_host=limits.per_host,
        deadline_expired=deadline.expired,
    )
    t1 = time.perf_counter()
    if page is None:
        bundle = build_replay(tree, base, fetched, document_charset=doc.charset or None)
    else:
        bundle = page.session.call(_replay_in_helper, base, fetched, doc.charset or None)
        for res in bundle.resources:
            if res.original is None:
                res.original = fetched[res.url].body
    t2 = time.perf_counter()
    headers = {url: f.headers for url, f in fetched.items() if f.headers}
    timings = {"resources_ms": ms(t0, t1), "rewrite_ms": ms(t1, t2)}
    return bundle.html, bundle.resources, timings, headers


def capture_static(
    url: str, fetcher: Fetcher, limits: Limits, *, auto: bool = False
) -> CaptureResult:
    """Capture one URL; raises CaptureError (with a code) when the document itself fails.

    ``auto``: also judge whether the page needs the browser (``result.auto``), in the
    capture's helper like the rest of the reading of its bytes."""
    deadline = Deadline(limits.deadline)
    t0 = time.perf_counter()
    # the helper is checked out (or starts) while the page downloads
    with Session(limits.budget()) as session:
        r = fetcher.fetch(url, deadline=deadline, max_bytes=limits.max_document_bytes)
        if r.status >= 400:
            raise HTTPError(
                f"the server answered HTTP {r.status} for {r.final_url}",
                status=r.status,
                retry_after=parse_retry_after(r.headers.get("retry-after")),
            )
        if not 200 <= r.status < 300:
            raise HTTPError(f"unexpected HTTP {r.status} for {r.final_url}", status=r.status)
        t1 = time.perf_counter()
        mime, charset = split_content_type(r.headers.get("content-type"))
        headers = header_pairs(r.headers.raw)
        doc, page = read_isolated(
            session, r.content, mime, charset, url, r.final_url, r.status, headers
        )
        t2 = time.perf_counter()
        timings = {"fetch_ms": ms(t0, t1), "extract_ms": ms(t1, t2)}
        result = _with_resources(session, doc, page, fetcher, deadline, limits, timings)
        if auto:
            result.auto = decide_isolated(session, result)
        return result


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date), if any."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def capture_uploaded(url: str, body: bytes, fetcher: Fetcher, limits: Limits) -> CaptureResult:
    """A document the user's browser sent: no fetch of the page itself, its subresources
    through the guarded fetcher as in a static capture."""
    deadline = Deadline(limits.deadline)
    t0 = time.perf_counter()
    with Session(limits.budget()) as session:
        doc, page = read_isolated(session, body, "text/html", None, url, url, 200)
        timings = {"extract_ms": ms(t0, time.perf_counter())}
        return _with_resources(session, doc, page, fetcher, deadline, limits, timings)


def _with_resources(session, doc, page, fetcher, deadline, limits, timings) -> CaptureResult:  # noqa: ANN001
    """The document's resources fetched and its replay copy written (an HTML page), in
    the session that read it; the capture's result."""
    replay_html, resources, resource_headers = None, [], {}
    if page is not None:
        fetch = make_resource_fetcher(fetcher, deadline, limits, doc.final_url)
        replay_html, resources, more, resource_headers = capture_html(
            doc, fetch, deadline, limits, page=page
        )
        timings.update(more)
    timings["parse_cpu_ms"] = round(session.cpu * 1000, 1)
    return CaptureResult(
        doc,
        replay_html,
        resources,
        fingerprint(doc.extracted.text),
        timings,
        resource_headers=resource_headers,
    )


def ms(a: float, b: float) -> float:
    return round((b - a) * 1000, 1)

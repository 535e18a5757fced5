"""Build the replay bundle: the rewritten document plus every stored resource and its key.

Keys are SHA-256 of the bytes served, so a stylesheet's key depends on the keys of what
it references: stylesheets are rewritten depth-first (bottom-up), and an ``@import``
cycle is broken with ``data:,`` rather than looping.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from snapshelf.capture.css import EMPTY, data_stylesheet, decode_css, rewrite_css, url_scheme
from snapshelf.capture.html import SvgSprites, rewrite_html
from snapshelf.capture.resources import is_css
from snapshelf.capture.types import Fetched

__all__ = ["ReplayBundle", "ReplayResource", "build_replay"]


@dataclass
class ReplayResource:
    """One subresource as it will be stored and served at ``<prefix>/r/<key>``."""

    url: str
    kind: str
    status: int
    content_type: str
    original: bytes  # bytes as fetched (for data: stylesheets, the decoded data)
    replay: bytes | None  # rewritten bytes (CSS, UTF-8) or None when served as original
    key: str  # sha256 hex of (replay or original); "" for failures
    error_code: str | None = None
    error: str | None = None

    @property
    def served(self) -> bytes:
        return self.replay if self.replay is not None else self.original


@dataclass
class ReplayBundle:
    html: str  # the rewritten root document
    resources: list[ReplayResource] = field(default_factory=list)  # failures included


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class _Builder:
    def __init__(self, fetched: dict[str, Fetched], document_charset: str | None) -> None:
        self.fetched = fetched
        self.charset = document_charset
        self.records: dict[str, ReplayResource] = {}
        self.in_progress: set[str] = set()

    def document_ref(self, url: str, kind: str) -> str:
        key = self.key(url, kind)
        return f"r/{key}" if key else EMPTY

    def stylesheet_ref(self, url: str, kind: str) -> str:
        key = self.key(url, kind)
        return key or EMPTY  # a sibling of the stylesheet, itself served at <prefix>/r/<key>

    def svg_file(self, url: str) -> tuple[str, bytes] | None:
        """(key, bytes) of an SVG file a ``<use>`` points at; it stays a stored resource."""
        key = self.key(url, "image")
        return (key, self.records[url].served) if key else None

    def key(self, url: str, kind: str) -> str | None:
        record = self.records.get(url)
        if record is not None:
            return record.key or None
        if url in self.in_progress:
            return None  # @import cycle: the sheet is already being loaded further up
        if url_scheme(url) == "data":
            return self._data_stylesheet(url)
        fetched = self.fetched.get(url)
        if fetched is None:
            return None  # never attempted (unsupported scheme, over caps, deadline)
        if not fetched.ok:
            self.records[url] = ReplayResource(
                url=url,
                kind=kind,
                status=fetched.status,
                content_type=fetched.content_type,
                original=b"",
                replay=None,
                key="",
                error_code=fetched.error_code or "http_error",
                error=fetched.error or f"HTTP status {fetched.status}",
            )
            return None
        if is_css(kind, fetched):
            text = decode_css(fetched.body, fetched.charset, self.charset)
            replay = self._rewrite_sheet(url, text, fetched.final_url or url)
            record = ReplayResource(
                url=url,
                kind=kind,
                status=fetched.status,
                content_type="text/css",
                original=fetched.body,
                replay=replay,
                key=_sha256(replay),
            )
        else:
            record = ReplayResource(
                url=url,
                kind=kind,
                status=fetched.status,
                content_type=fetched.content_type,
                original=fetched.body,
                replay=None,
                key=_sha256(fetched.body),
            )
        self.records[url] = record
        return record.key

    def _rewrite_sheet(self, url: str, text: str, base: str) -> bytes:
        self.in_progress.add(url)
        try:
            return rewrite_css(text, base, self.stylesheet_ref).encode("utf-8")
        finally:
            self.in_progress.discard(url)

    def _data_stylesheet(self, url: str) -> str | None:
        """A data: URL stylesheet becomes a stored stylesheet of its own.

        Its references are relative to the data: URL (so relative ones cannot resolve, as
        in a browser); storing it lets its absolute references use sibling keys.
        """
        decoded = data_stylesheet(url)
        if decoded is None:
            return None
        text, body = decoded
        replay = self._rewrite_sheet(url, text, url)
        record = ReplayResource(
            url=url,
            kind="stylesheet",
            status=200,
            content_type="text/css",
            original=body,
            replay=replay,
            key=_sha256(replay),
        )
        self.records[url] = record
        return record.key


def build_replay(
    tree, base_url: str, fetched: dict[str, Fetched], document_charset: str | None = None
) -> ReplayBundle:
    """Rewrite stylesheets bottom-up, then the document, against what ``collect`` fetched.

    References to anything not successfully fetched become ``data:,``. External SVG
    ``<use>`` targets are copied into the document (the sandboxed replay has an opaque
    origin, and browsers only render same-origin external ``<use>``). Every fetched URL
    is listed in ``resources`` (failures with empty bytes and key ""), even when the
    rewritten document no longer refers to it.
    """
    builder = _Builder(fetched, document_charset)
    sprites = SvgSprites(builder.svg_file)
    html = rewrite_html(tree, base_url, builder.document_ref, sprites=sprites)
    for url, item in fetched.items():
        if url not in builder.records:
            builder.key(url, "stylesheet" if item.content_type == "text/css" else "other")
    return ReplayBundle(html=html, resources=list(builder.records.values()))

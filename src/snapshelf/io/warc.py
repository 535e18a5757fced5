"""WARC files: write what Snapshelf captured, read what a crawler captured elsewhere.

Writing (`WarcExport`, `snapshot_warc`, `warc_chunks`): per snapshot a `request` and a
`response` record for the document and for every stored resource, with the response
headers the capture kept and the bytes as fetched; bytes already written in the same
file become a `revisit` record (identical payload digest) instead of a second copy; the
file opens with a `warcinfo` record naming Snapshelf. Payloads are stored decoded (the
fetcher undoes Content-Encoding), so Content-Encoding and Transfer-Encoding are dropped
and Content-Length gives the stored length; captures made before headers were kept get
minimal synthesised headers, marked on each record and counted in the warcinfo. Records
are written one at a time (gzip member per record), so a whole library streams out in
the memory of its largest record.

Reading (`read_warc`, `ArchivedCapture`): the responses of a WARC indexed by URL (their
payloads read on demand); `capture_archived` turns one page into the same
`CaptureResult` a live capture gives — through `capture_html`, with the archive as the
fetcher, as the tests replay the IANA crawl — so nothing is fetched from the network.
"""

from __future__ import annotations

import io
import threading
import time
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urldefrag, urljoin, urlsplit

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from snapshelf.capture.extract import fingerprint
from snapshelf.capture.static import (
    CaptureResult,
    Limits,
    capture_html,
    header_pairs,
    read_document,
    split_content_type,
)
from snapshelf.capture.types import Fetched, Headers
from snapshelf.library.models import Resource, Snapshot
from snapshelf.net import Deadline
from snapshelf.storage import BlobNotFound, get_blob_store

__all__ = [
    "ArchivedCapture",
    "WarcError",
    "WarcExport",
    "capture_archived",
    "read_warc",
    "snapshot_warc",
    "warc_chunks",
]

#: Dropped from written response headers: the stored payload is already decoded.
_HOP_HEADERS = {"content-encoding", "transfer-encoding", "content-length"}
SYNTHESISED = "synthesised"
_GZIP_LEVEL = 6  # warcio's own wrapper uses 9: three times slower for a few % smaller


def _software() -> str:
    try:
        ours = version("snapshelf")
    except PackageNotFoundError:  # a source checkout without metadata
        ours = "unknown"
    return f"Snapshelf {ours} (warcio {version('warcio')})"


class WarcError(ValueError):
    """A file that is not a WARC we can read; the message says why in one line."""


# -- writing ---------------------------------------------------------------------------------


class _GzipMembers:
    """Gzip each record as its own member (what readers expect, so they can seek to one):
    warcio calls flush() after every record."""

    def __init__(self, out: BinaryIO) -> None:
        self.out = out
        self._new()

    def _new(self) -> None:
        self.compressor = zlib.compressobj(_GZIP_LEVEL, zlib.DEFLATED, zlib.MAX_WBITS + 16)

    def write(self, data: bytes) -> int:
        self.out.write(self.compressor.compress(data))
        return len(data)

    def flush(self) -> None:
        self.out.write(self.compressor.flush())
        self._new()


class ChunkSink:
    """A write-only sink whose contents are taken out between records or entries, so a
    WARC or ZIP streams out (warcio and zipfile write to it as to a file)."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self.parts)
        self.parts.clear()
        return data


def warc_date(when: datetime | None) -> str:
    when = when or datetime.now(UTC)
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _clean(value: str) -> str:
    return " ".join(str(value).replace("\r", " ").replace("\n", " ").split())


def _http_headers(pairs: Iterable, body_length: int) -> list[tuple[str, str]]:
    kept = []
    for pair in pairs:
        name, value = _clean(pair[0]), _clean(pair[1])
        if name and ":" not in name and name.lower() not in _HOP_HEADERS:
            kept.append((name, value))
    kept.append(("Content-Length", str(body_length)))
    return kept


def _status_line(status: int | None) -> str:
    status = status or 200
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"{status} Unknown"


def _content_type(mime: str, charset: str = "") -> str:
    mime = mime or "application/octet-stream"
    return f"{mime}; charset={charset}" if charset and "charset" not in mime else mime


def _replace(pairs: list[tuple[str, str]], name: str, value: str) -> list[tuple[str, str]]:
    return [p for p in pairs if p[0].lower() != name.lower()] + [(name, value)]


@dataclass
class WarcStats:
    snapshots: int = 0
    responses: int = 0
    revisits: int = 0
    synthesised: int = 0
    payload_bytes: int = 0
    missing: list[str] = field(default_factory=list)  # blobs gone from the store


class WarcExport:
    """Writes snapshots into one WARC; payloads already written become revisit records.

    Access control is the caller's: pass only snapshots the requester owns.
    """

    def __init__(
        self,
        out: BinaryIO,
        *,
        gzip: bool = True,
        filename: str = "",
        description: str = "",
        synthesised: int | None = None,
    ) -> None:
        self.out = out
        self.writer = WARCWriter(_GzipMembers(out) if gzip else out, gzip=False)
        self.store = get_blob_store()
        # our blob id (sha256 of the bytes) -> (uri, WARC-Date, WARC-Payload-Digest, size)
        self.written: dict[str, tuple[str, str, str, int]] = {}
        self.stats = WarcStats()
        self._warcinfo(filename, description, synthesised)

    def _warcinfo(self, filename: str, description: str, synthesised: int | None) -> None:
        info = {
            "software": _software(),
            "format": "WARC File Format 1.0",
            "conformsTo": "http://bibnum.bnf.fr/WARC/WARC_ISO_28500_version1_latestdraft.pdf",
            "description": description or "Snapshots exported from Snapshelf",
            "snapshelf-payloads": "stored decoded as the capture kept them: Content-Encoding "
            "and Transfer-Encoding are removed and Content-Length is the stored length",
            "snapshelf-requests": "request records are reconstructed (method, path and Host):"
            " request headers are not kept",
            "snapshelf-synthesised-headers": (
                "none"
                if synthesised == 0
                else f"{synthesised if synthesised is not None else 'some'} responses of "
                "captures made before Snapshelf kept response headers carry synthesised "
                "headers (Content-Type and Content-Length only); their records have the "
                f"WARC header Snapshelf-Headers: {SYNTHESISED}"
            ),
            "snapshelf-browser-documents": "a browser capture's document is the rendered DOM "
            "(UTF-8), marked with the WARC header Snapshelf-Payload: rendered-dom",
        }
        self.writer.write_record(self.writer.create_warcinfo_record(filename, info))

    def add(self, snap: Snapshot, resources: Iterable[Resource] | None = None) -> None:
        """The snapshot's document and stored resources (done snapshots only)."""
        date = warc_date(snap.finished or snap.created)
        url = snap.final_url or snap.link.url_normalized
        if snap.original_blob_id:
            headers, synthesised = self._document_headers(snap)
            extra = {"Snapshelf-Payload": "rendered-dom"} if snap.mode == "browser" else {}
            self._exchange(
                url, date, snap.http_status, headers, snap.original_blob_id, extra, synthesised
            )
        rows = resources if resources is not None else snap.resources.all()
        for res in rows:
            if not res.blob_id or res.error_code or not res.url.startswith(("http:", "https:")):
                continue
            pairs = res.headers or []
            synthesised = not pairs
            if synthesised:
                pairs = [("Content-Type", _content_type(res.content_type))]
            self._exchange(res.url, date, res.http_status, pairs, res.blob_id, {}, synthesised)
        self.stats.snapshots += 1

    def _document_headers(self, snap: Snapshot) -> tuple[list, bool]:
        pairs = [tuple(p) for p in snap.headers or []]
        synthesised = not pairs
        if synthesised:
            charset = snap.charset if snap.kind in ("html", "text") else ""
            pairs = [("Content-Type", _content_type(snap.content_type, charset))]
        if snap.mode == "browser":  # the rendered DOM is UTF-8 whatever the page was sent as
            pairs = _replace(list(pairs), "Content-Type", "text/html; charset=utf-8")
        return pairs, synthesised

    def _exchange(
        self,
        url: str,
        date: str,
        status: int | None,
        pairs: Iterable,
        blob: str,
        extra: dict[str, str],
        synthesised: bool,
    ) -> None:
        url = urldefrag(url)[0]
        warc_headers = {"WARC-Date": date, **extra}
        if synthesised:
            warc_headers["Snapshelf-Headers"] = SYNTHESISED
        w = self.writer
        seen = self.written.get(blob)
        if seen is not None:
            ref_uri, ref_date, digest, size = seen
            http = StatusAndHeaders(_status_line(status), _http_headers(pairs, size), "HTTP/1.1")
            record = w.create_revisit_record(
                url, digest, ref_uri, ref_date, http_headers=http, warc_headers_dict=warc_headers
            )
            self.stats.revisits += 1
        else:
            try:
                body = self.store.get(blob)
            except BlobNotFound:
                self.stats.missing.append(blob)
                return
            http = StatusAndHeaders(
                _status_line(status), _http_headers(pairs, len(body)), "HTTP/1.1"
            )
            record = w.create_warc_record(
                url,
                "response",
                payload=io.BytesIO(body),
                length=len(body),
                http_headers=http,
                warc_headers_dict=warc_headers,
            )
            digest = record.rec_headers.get_header("WARC-Payload-Digest")
            self.written[blob] = (url, date, digest, len(body))
            self.stats.responses += 1
            self.stats.payload_bytes += len(body)
        self.stats.synthesised += synthesised
        w.write_request_response_pair(_request(w, url), record)


def _request(writer: WARCWriter, url: str):
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    http = StatusAndHeaders(
        f"GET {target} HTTP/1.1", [("Host", parts.netloc)], "", is_http_request=True
    )
    return writer.create_warc_record(url, "request", http_headers=http)


def snapshot_warc(snap: Snapshot, out: BinaryIO) -> WarcStats:
    """One snapshot as a gzipped WARC written to `out`."""
    synthesised = count_synthesised([snap.pk])
    export = WarcExport(out, filename=f"snapshot-{snap.pk}.warc.gz", synthesised=synthesised)
    export.add(snap)
    return export.stats


def count_synthesised(ids: Iterable[int]) -> int:
    """How many responses of these snapshots (ids, or a query of ids) will get
    synthesised headers: the warcinfo says so before the records come."""
    docs = Snapshot.objects.filter(pk__in=ids, headers=[]).exclude(original_blob=None).count()
    res = (
        Resource.objects.filter(snapshot_id__in=ids, headers=[], error_code="")
        .exclude(blob=None)
        .count()
    )
    return docs + res


def warc_chunks(
    snapshots: Iterable[Snapshot],
    *,
    filename: str,
    description: str = "",
    synthesised: int | None = None,
) -> Iterator[bytes]:
    """A gzipped WARC of these snapshots as a stream of bytes, one snapshot at a time."""
    sink = ChunkSink()
    export = WarcExport(sink, filename=filename, description=description, synthesised=synthesised)
    yield sink.take()
    for snap in snapshots:
        export.add(snap)
        yield sink.take()


# -- reading ---------------------------------------------------------------------------------


@dataclass
class _Entry:
    uri: str
    date: str
    status: int
    headers: Headers
    offset: int  # where the record with the payload starts
    location: str | None = None


@dataclass
class ArchivedCapture:
    """The responses of one WARC file, indexed by URL; payloads are read when asked for."""

    path: Path
    entries: dict[str, _Entry] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)  # URLs of 200 responses, file order
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _file: BinaryIO | None = None

    def __enter__(self) -> ArchivedCapture:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def pages(self) -> list[str]:
        """The URLs that are pages: every HTML response with status 200, in file order
        (the first response of any kind when the file holds no HTML)."""
        html = [u for u in self.order if _is_html(self.entries[u])]
        return html or self.order[:1]

    def date(self, url: str) -> datetime | None:
        entry = self.entries.get(_key(url))
        if entry is None:
            return None
        try:
            return datetime.strptime(entry.date[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC)
        except ValueError:
            return None

    def payload(self, entry: _Entry) -> bytes:
        with self._lock:
            if self._file is None:
                self._file = self.path.open("rb")
            self._file.seek(entry.offset)
            for record in ArchiveIterator(self._file):
                return record.content_stream().read()
        return b""

    def resolve(self, url: str) -> tuple[_Entry, str] | None:
        """The response for `url` after the archive's own redirects (at most 10 hops)."""
        current = url
        for _ in range(11):
            entry = self.entries.get(_key(current))
            if entry is None:
                return None
            if 300 <= entry.status < 400 and entry.location:
                current = urljoin(current, entry.location)
                continue
            return entry, current
        return None

    def fetch(self, url: str, kind: str = "") -> Fetched:
        """A capture `fetch` answering from the archive; what it lacks fails as a capture
        failure would (code "not_archived"), nothing goes to the network."""
        found = self.resolve(url)
        if found is None:
            return Fetched(url, url, 0, "", None, b"", "not_archived", "not in the WARC file")
        entry, final_url = found
        mime, charset = split_content_type(_header(entry.headers, "content-type"))
        if not 200 <= entry.status < 300:
            return Fetched(
                url,
                final_url,
                entry.status,
                mime,
                charset,
                b"",
                "http_error",
                f"HTTP {entry.status}",
                headers=entry.headers,
            )
        body = self.payload(entry)
        return Fetched(url, final_url, entry.status, mime, charset, body, headers=entry.headers)


def _key(url: str) -> str:
    return urldefrag(url.strip())[0]


def _header(headers: Headers, name: str) -> str | None:
    for key, value in headers:
        if key.lower() == name:
            return value
    return None


def _is_html(entry: _Entry) -> bool:
    mime, _ = split_content_type(_header(entry.headers, "content-type"))
    return entry.status == 200 and mime in ("text/html", "application/xhtml+xml")


def read_warc(path: str | Path) -> ArchivedCapture:
    """Index a WARC (gzipped or not): every response and revisit record by target URL.

    The first record per URL wins; a revisit takes its payload from the response with the
    same payload digest (or the URL and date it refers to). Raises WarcError for a file
    that is not a readable WARC or holds no HTTP response.
    """
    archive = ArchivedCapture(Path(path))
    by_digest: dict[str, int] = {}
    by_uri_date: dict[tuple[str, str], int] = {}
    try:
        with archive.path.open("rb") as f:
            records = ArchiveIterator(f, arc2warc=True)
            for record in records:
                kind = record.rec_type
                if kind not in ("response", "revisit") or record.http_headers is None:
                    continue
                uri = _key(record.rec_headers.get_header("WARC-Target-URI") or "")
                if not uri.startswith(("http://", "https://")):
                    continue
                date = record.rec_headers.get_header("WARC-Date") or ""
                digest = record.rec_headers.get_header("WARC-Payload-Digest") or ""
                offset = records.get_record_offset()
                if kind == "revisit":
                    ref = (
                        _key(record.rec_headers.get_header("WARC-Refers-To-Target-URI") or ""),
                        record.rec_headers.get_header("WARC-Refers-To-Date") or "",
                    )
                    source = by_digest.get(digest) if digest else None
                    offset = source if source is not None else by_uri_date.get(ref, -1)
                    if offset < 0:
                        continue  # refers to a record this file does not hold
                else:
                    by_uri_date[(uri, date)] = offset
                    if digest:
                        by_digest.setdefault(digest, offset)
                if uri in archive.entries:
                    continue
                http = record.http_headers
                try:
                    status = int(http.get_statuscode() or 0)
                except ValueError:
                    status = 0
                pairs = header_pairs(http.headers)
                archive.entries[uri] = _Entry(
                    uri, date, status, pairs, offset, _header(pairs, "location")
                )
                if status == 200:
                    archive.order.append(uri)
    except (ArchiveLoadFailed, OSError, EOFError, zlib.error, ValueError) as exc:
        raise WarcError(f"{Path(path).name} is not a readable WARC file: {exc}") from None
    if not archive.entries:
        raise WarcError(f"{Path(path).name} holds no HTTP responses")
    return archive


def capture_archived(
    archive: ArchivedCapture, url: str, limits: Limits | None = None
) -> CaptureResult:
    """One archived page as a capture result: the document and, for HTML, every
    resource the archive holds, rewritten for replay exactly as a live capture is."""
    limits = limits or Limits()
    found = archive.resolve(url)
    if found is None:
        raise WarcError(f"{url} is not in the WARC file")
    entry, final_url = found
    t0 = time.perf_counter()
    mime, charset = split_content_type(_header(entry.headers, "content-type"))
    body = archive.payload(entry)
    doc = read_document(body, mime, charset, url, final_url, entry.status, entry.headers)
    timings = {"extract_ms": round((time.perf_counter() - t0) * 1000, 1)}
    replay_html, resources, resource_headers = None, [], {}
    if doc.kind == "html":
        deadline = Deadline(limits.deadline)
        replay_html, resources, more, resource_headers = capture_html(
            doc, archive.fetch, deadline, limits
        )
        timings.update(more)
    return CaptureResult(
        doc,
        replay_html,
        resources,
        fingerprint(doc.extracted.text),
        timings,
        resource_headers=resource_headers,
    )

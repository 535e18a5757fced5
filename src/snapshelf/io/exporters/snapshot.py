"""One snapshot's artefacts as files: the single-file page, its WARC, the browser's
screenshot and PDF, the original bytes, the reader Markdown and the e-book.

Access control is the caller's: pass only the requester's own snapshot. Every artefact
is meant to be saved (served as an attachment, never inline on the app origin).
"""

from __future__ import annotations

import io
import mimetypes
from collections.abc import Iterator
from dataclasses import dataclass
from html import escape

from django.utils.translation import gettext as _

from snapshelf.io.exporters.epub import EpubError, article_epub
from snapshelf.io.warc import snapshot_warc
from snapshelf.library.artefacts import BROWSER_ARTEFACTS, browser_artefact, single_file_html
from snapshelf.library.models import Snapshot
from snapshelf.reading.anchor import locate, reader_text
from snapshelf.reading.highlights import for_link, quote_of
from snapshelf.storage import BlobNotFound, get_blob_store

#: Every per-snapshot format, in the order menus show them.
SNAPSHOT_FORMATS = ("singlefile", "warc", "screenshot", "pdf", "original", "markdown", "epub")


class Unavailable(LookupError):
    """The snapshot has no such artefact; the message says why in one line."""


@dataclass
class Artefact:
    filename: str
    content_type: str
    data: bytes

    def chunks(self) -> Iterator[bytes]:
        yield self.data


def _extension(snap: Snapshot) -> str:
    if snap.kind == "html":
        return "html"
    if snap.kind == "text":
        return "txt"
    guessed = mimetypes.guess_extension(snap.content_type or "", strict=False)
    return (guessed or ".bin").lstrip(".")


def page_of(snap: Snapshot) -> tuple[bytes, str]:
    """The page as one file and its extension: single-file HTML with every resource
    inlined, or a non-HTML document as captured. BlobNotFound when the bytes are gone."""
    data = single_file_html(snap)
    return data, "html" if snap.root_blob_id else _extension(snap)


def markdown_of(snap: Snapshot) -> str:
    """The reader text as Markdown with a title line and the source URL ("" without
    text). The title is HTML-escaped: Markdown renderers pass raw HTML through."""
    body = snap.markdown or snap.text
    if not body.strip():
        return ""
    title = escape(snap.link.title or snap.title or snap.link.url, quote=False)
    url = snap.final_url or snap.link.url
    return f"# {title}\n\n<{escape(url)}>\n\n{body.strip()}\n{highlights_markdown(snap)}"


def highlights_markdown(snap: Snapshot) -> str:
    """The link's highlights found in this version, as a Markdown section ("" without
    any): each passage quoted, its note below. Escaped like the title."""
    marked = for_link(snap.link)
    if not marked:
        return ""
    text = reader_text(snap.readable_html or "")
    found = [(a.start, h) for h in marked if (a := locate(text, quote_of(h))) is not None]
    if not found:
        return ""
    parts = [f"\n## {_('Highlights')}"]
    for _start, h in sorted(found, key=lambda pair: pair[0]):
        quote = "\n".join(f"> {escape(line, quote=False)}" for line in h.exact.splitlines())
        parts.append(quote)
        if h.note.strip():
            parts.append(escape(h.note.strip(), quote=False))
    return "\n\n".join(parts) + "\n"


def snapshot_artefact(snap: Snapshot, fmt: str) -> Artefact:
    """The artefact `fmt` (one of SNAPSHOT_FORMATS) of a finished snapshot.

    Raises Unavailable when the snapshot has none (not done, a static capture asked for
    a screenshot, no reader text) or its stored bytes are missing; ValueError for an
    unknown format."""
    if fmt not in SNAPSHOT_FORMATS:
        raise ValueError(f"unknown format {fmt!r}")
    if snap.status != Snapshot.Status.DONE:
        raise Unavailable(f"snapshot {snap.pk} is {snap.status}, not done")
    stem = f"snapshot-{snap.pk}-v{snap.version}"
    try:
        if fmt == "singlefile":
            data, extension = page_of(snap)
            return Artefact(f"{stem}.{extension}", "application/octet-stream", data)
        if fmt == "warc":
            out = io.BytesIO()
            stats = snapshot_warc(snap, out)
            if stats.missing:
                raise BlobNotFound(f"snapshot {snap.pk}: {len(stats.missing)} stored files gone")
            return Artefact(f"{stem}.warc.gz", "application/warc", out.getvalue())
        if fmt in BROWSER_ARTEFACTS:
            data = browser_artefact(snap, fmt)
            kind = ("png", "image/png") if fmt == "screenshot" else ("pdf", "application/pdf")
            return Artefact(f"{stem}.{kind[0]}", kind[1], data)
        if fmt == "original":
            if not snap.original_blob_id:
                raise Unavailable(f"snapshot {snap.pk} stored no document")
            data = get_blob_store().get(snap.original_blob_id)
            return Artefact(f"{stem}.orig.{_extension(snap)}", "application/octet-stream", data)
        if fmt == "epub":
            try:
                data = article_epub(snap)
            except EpubError as exc:
                raise Unavailable(str(exc)) from None
            return Artefact(f"{stem}.epub", "application/epub+zip", data)
        text = markdown_of(snap)
        if not text:
            raise Unavailable(f"snapshot {snap.pk} has no reader text")
        return Artefact(f"{stem}.md", "text/markdown; charset=utf-8", text.encode("utf-8"))
    except BlobNotFound as exc:
        raise Unavailable(str(exc).strip("'\"")) from None

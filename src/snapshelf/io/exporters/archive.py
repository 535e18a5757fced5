"""The captured pages themselves, per tag or whole library: one WARC, or a ZIP of
single-file pages and reader Markdown. Each link contributes its newest finished version.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator

from django.db.models import Prefetch
from django.utils.text import slugify

from snapshelf.io.exporters.base import Exporter, Selection
from snapshelf.io.exporters.snapshot import markdown_of, page_of
from snapshelf.io.warc import ChunkSink, count_synthesised, warc_chunks
from snapshelf.library.models import Resource, Snapshot
from snapshelf.storage import BlobNotFound

#: Snapshots read per round trip (each with its resource rows).
SNAPSHOT_CHUNK = 50


def _with_resources(selection: Selection):
    resources = Resource.objects.exclude(blob=None).filter(error_code="").order_by("id")
    return selection.newest_done().prefetch_related(Prefetch("resources", queryset=resources))


class WarcExporter(Exporter):
    name = "warc"
    extension = "warc.gz"
    content_type = "application/warc"

    def chunks(self, selection: Selection) -> Iterator[bytes]:
        snapshots = _with_resources(selection)
        synthesised = count_synthesised(selection.newest_done().values_list("pk", flat=True))
        tag = f" tagged {selection.tag.name}" if selection.tag else ""
        description = f"Snapshelf library of {selection.owner.get_username()}{tag}"

        def counted() -> Iterator[Snapshot]:
            for n, snap in enumerate(snapshots.iterator(chunk_size=SNAPSHOT_CHUNK), 1):
                yield snap
                selection.tick(n)

        yield from warc_chunks(
            counted(),
            filename=self.filename(selection),
            description=description,
            synthesised=synthesised,
        )


def entry_name(snap: Snapshot) -> str:
    """`00042-page-title`: the link id keeps names unique and in library order."""
    title = snap.link.title or snap.title or snap.link.url
    slug = slugify(title, allow_unicode=True)[:60].strip("-_") or "page"
    return f"{snap.link_id:05d}-{slug}"


class ZipExporter(Exporter):
    """Per link `NNNNN-title.html` (the single-file page; a non-HTML document as it was
    captured, with its extension) and `NNNNN-title.md` (the reader text, when there is
    one). Deflated, streamed: the ZIP's directory is written at the end."""

    name = "zip"
    extension = "zip"
    content_type = "application/zip"

    def chunks(self, selection: Selection) -> Iterator[bytes]:
        sink = ChunkSink()
        snapshots = selection.newest_done().defer(None)  # Markdown needs the text columns
        with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for n, snap in enumerate(snapshots.iterator(chunk_size=SNAPSHOT_CHUNK), 1):
                name = entry_name(snap)
                try:
                    data, extension = page_of(snap)
                    zf.writestr(f"{name}.{extension}", data)
                except BlobNotFound:
                    pass  # a page whose bytes are gone: its Markdown still goes in
                text = markdown_of(snap)
                if text:
                    zf.writestr(f"{name}.md", text.encode("utf-8"))
                selection.tick(n)
                yield sink.take()
        yield sink.take()

"""Exports: a user's library (or one tag of it) in every format we write, behind one
interface (`base.Exporter`), and one snapshot's artefacts (`snapshot`).

| format | module | holds |
|---|---|---|
| `netscape` | `netscape` | bookmark HTML for browsers and bookmark services |
| `json` | `json_export` | everything the user owns, versioned shape (docs/export.md) |
| `csv` | `csv_export` | one row per link, formula injection defused |
| `warc` | `archive` | the newest finished version of each link, with its resources |
| `zip` | `archive` | single-file pages and reader Markdown |

E-books (`epub.selection_epub`, `epub.article_epub`) are not streamed: a zip is built
whole in memory, so they are made before a response starts and can fail cleanly.

`export_chunks(owner, fmt, tag=…)` streams the bytes; `write_export` writes a file
atomically (a `.part` file renamed at the end). Only the owner's links are read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

from snapshelf.io.exporters.archive import WarcExporter, ZipExporter
from snapshelf.io.exporters.base import Exporter, Selection, find_tag
from snapshelf.io.exporters.csv_export import CsvExporter
from snapshelf.io.exporters.epub import EpubError, selection_epub
from snapshelf.io.exporters.json_export import JsonExporter
from snapshelf.io.exporters.netscape import NetscapeExporter
from snapshelf.io.exporters.snapshot import (
    SNAPSHOT_FORMATS,
    Artefact,
    Unavailable,
    snapshot_artefact,
)

__all__ = [
    "EXPORTERS",
    "SNAPSHOT_FORMATS",
    "Artefact",
    "EpubError",
    "Exporter",
    "Selection",
    "Unavailable",
    "export_chunks",
    "find_tag",
    "selection_epub",
    "snapshot_artefact",
    "write_export",
]

EXPORTERS: dict[str, Exporter] = {
    e.name: e
    for e in (NetscapeExporter(), JsonExporter(), CsvExporter(), WarcExporter(), ZipExporter())
}


def export_chunks(selection: Selection, fmt: str) -> Iterator[bytes]:
    """The export's bytes, a chunk at a time; KeyError for an unknown format."""
    return EXPORTERS[fmt].chunks(selection)


def write_export(
    selection: Selection, fmt: str, path: Path, *, on_chunk: Callable[[int], None] | None = None
) -> int:
    """Write the export to `path` (whole or not at all); returns the bytes written."""
    exporter = EXPORTERS[fmt]
    part = path.with_name(path.name + ".part")
    written = 0
    try:
        with part.open("wb") as f:
            for chunk in exporter.chunks(selection):
                f.write(chunk)
                written += len(chunk)
                if on_chunk is not None:
                    on_chunk(written)
        part.replace(path)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    return written

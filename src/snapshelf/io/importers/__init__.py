"""Importers: every bookmark and read-later format we know, behind one function.

`open_import(path)` looks at the file's content (never its name), picks the reader and
returns the format's name with a stream of rows (`ImportedLink` or `Rejected`); the
service door (`snapshelf.services.imports.import_links`) saves them.

- `netscape`: Netscape bookmark HTML (Chrome, Edge, Firefox, Safari, IE, Delicious,
  Shaarli, linkding, Pinboard, ours) and Pocket's HTML export;
- `json_formats`: Chrome `Bookmarks`, Firefox's JSON backup, Pinboard, Delicious,
  Omnivore, Readability, elCurator, wallabag v1 and v2;
- `csv_formats`: Pocket, Instapaper, and any CSV with a `url` column (ours);
- `text`: plain text, one URL a line.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from snapshelf.io.importers import csv_formats, json_formats, netscape, text
from snapshelf.services.imports import ImportedLink, Rejected

HEAD = 1 << 16
_NETSCAPE = re.compile(rb"<!doctype\s+netscape-bookmark-file|<dl[\s>]|<dt[\s>]", re.IGNORECASE)
_HTML = re.compile(rb"<(!doctype\s+html|html|body|ul|a)[\s>]", re.IGNORECASE)


class UnknownFormat(ValueError):
    """The file is none of the formats we read; the message says what it looked like."""


@dataclass
class OpenedImport:
    format: str
    rows: Iterator[ImportedLink | Rejected]
    size: int = 0
    stream: BinaryIO | None = None

    def position(self) -> int:
        """Bytes read so far: the import's progress."""
        return self.stream.tell() if self.stream and not self.stream.closed else self.size


def _sniff(head: bytes) -> str:
    body = head.lstrip(b"\xef\xbb\xbf").lstrip()
    if not body:
        return "empty"
    if body.startswith(b"WARC/") or body.startswith(b"\x1f\x8b"):
        return "warc"
    if body[:1] in (b"{", b"["):
        return "json"
    if _NETSCAPE.search(body):
        return "netscape"
    if _HTML.search(body[:4096]):
        return "pocket-html" if b"time_added" in body.lower() else "netscape"
    first = body.split(b"\n", 1)[0].decode("utf-8", "replace")
    if "," in first and (flavour := csv_formats.kind(first.split(","))):
        return flavour
    return "text"


def detect(path: Path) -> str:
    with open(path, "rb") as f:
        return _sniff(f.read(HEAD))


def open_import(path: Path, stack: ExitStack) -> OpenedImport:
    """The rows of the file at `path`; the file stays open until `stack` closes.
    Raises UnknownFormat (a JSON file of an unknown shape, a WARC: see io.warc_import)."""
    fmt = detect(path)
    if fmt == "empty":
        return OpenedImport("empty", iter(()))
    if fmt == "warc":
        raise UnknownFormat("a WARC file: import it with snapshelf.io.warc_import")
    stream = stack.enter_context(open(path, "rb"))  # noqa: SIM115 (the stack closes it)
    size = path.stat().st_size
    if fmt == "json":
        try:
            fmt, rows = json_formats.read(stream)
        except json_formats.NotThisFormat as exc:
            raise UnknownFormat(str(exc)) from None
    elif fmt in ("netscape", "pocket-html"):
        rows = netscape.read(stream)
    elif fmt.endswith("csv"):
        rows = csv_formats.read(stream, fmt)
    else:
        rows = text.read(stream)
    return OpenedImport(fmt, rows, size, stream)

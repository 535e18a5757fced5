"""Netscape bookmark HTML: what every browser and most services export (Chrome, Edge,
Firefox, Safari, IE, Delicious, Shaarli, linkding, Pinboard, our own export), and
Pocket's HTML export, which is the same idea in a `<ul>`.

The file is read in chunks by a streaming parser, so a 100,000-bookmark export never
sits in memory as a tree. Folders become tags (the browsers' own root folders, which
every bookmark sits in, do not).
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import BinaryIO

from snapshelf.io.importers import fields
from snapshelf.services.imports import ImportedLink, Rejected

CHUNK = 1 << 16
#: Attributes browsers put on the folders that hold everything (toolbar, menu, other)
_ROOT_FOLDER_ATTRS = ("personal_toolbar_folder", "unfiled_bookmarks_folder")
#: Pocket's HTML export files links under these two headings
_POCKET_ARCHIVE = "read archive"
_POCKET_UNREAD = "unread"


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[ImportedLink | Rejected] = []
        self.folders: list[str | None] = []
        self.heading: list[str] | None = None  # text of the <h3> being read
        self.heading_is_root = False
        self.next_folder: str | None = None  # the folder the next <dl> opens
        self.section = ""  # Pocket's <h1> section
        self.h1: list[str] | None = None
        self.entry: dict | None = None
        self.title: list[str] | None = None  # text of the <a> being read
        self.note: list[str] | None = None  # text of the <dd> after it

    # -- entries ---------------------------------------------------------------------
    def _flush(self) -> None:
        entry, self.entry, self.title = self.entry, None, None
        note, self.note = self.note, None
        if entry is None:
            return
        attrs, line = entry["attrs"], entry["line"]
        href = (attrs.get("href") or "").strip()
        title = "".join(entry["title"]).strip()
        try:
            added = fields.epoch(attrs.get("add_date") or attrs.get("time_added"))
        except fields.BadDate as exc:
            self.out.append(Rejected(line, href or title, str(exc)))
            return
        tags = (*fields.tag_list(attrs.get("tags")), *(f for f in entry["folders"] if f))
        archived = True if self.section == _POCKET_ARCHIVE else fields.flag(attrs.get("archived"))
        if (toread := fields.flag(attrs.get("toread"))) is not None:
            unread = toread
        elif archived:
            unread = False
        else:  # a browser's bookmarks are not a reading list; Pocket's "Unread" is
            unread = self.section == _POCKET_UNREAD
        self.out.append(
            ImportedLink(
                url=href,
                title=title,
                tags=tags,
                note="".join(note or ()).strip(),
                added=added,
                unread=unread,
                archived=archived,
                favorite=fields.flag(attrs.get("favorite")),
                private=fields.flag(attrs.get("private")),
                line=line,
            )
        )

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.note is not None and tag not in ("dt", "dl", "dd", "a", "h3"):
            self.note.append(self.get_starttag_text() or "")  # a note's own markup
            return
        if tag == "a":
            self._flush()
            self.entry = {
                "attrs": {k: v or "" for k, v in attrs},
                "line": self.getpos()[0],
                "folders": tuple(self.folders),
                "title": [],
            }
            self.title = self.entry["title"]
        elif tag == "dd":
            if self.entry is not None and self.note is None:
                self.note = []
        elif tag in ("dt", "li"):
            self._flush()
        elif tag == "h3":
            self._flush()
            self.heading = []
            names = {k for k, _ in attrs}
            self.heading_is_root = any(a in names for a in _ROOT_FOLDER_ATTRS)
        elif tag == "h1":
            self._flush()
            self.h1 = []
        elif tag == "dl":
            self._flush()
            self.folders.append(self.next_folder)
            self.next_folder = None

    def handle_endtag(self, tag: str) -> None:
        if tag == "a":
            self.title = None
        elif tag == "h3" and self.heading is not None:
            name = " ".join("".join(self.heading).split())
            self.next_folder = None if self.heading_is_root else name
            self.heading = None
        elif tag == "h1" and self.h1 is not None:
            self.section = " ".join("".join(self.h1).split()).lower()
            self.h1 = None
        elif tag == "dl":
            self._flush()
            if self.folders:
                self.folders.pop()
        elif self.note is not None and tag not in ("dt", "dd", "p"):
            self.note.append(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        for sink in (self.title, self.heading, self.h1):
            if sink is not None:
                sink.append(data)
                return
        if self.note is not None:
            self.note.append(data)


def read(stream: BinaryIO) -> Iterator[ImportedLink | Rejected]:
    parser = _Parser()
    decode = codecs.getincrementaldecoder("utf-8")(errors="replace")
    while chunk := stream.read(CHUNK):
        parser.feed(decode.decode(chunk))
        yield from _drain(parser)
    parser.feed(decode.decode(b"", final=True))
    parser.close()
    parser._flush()
    yield from _drain(parser)


def _drain(parser: _Parser) -> list[ImportedLink | Rejected]:
    out, parser.out = parser.out, []
    return out

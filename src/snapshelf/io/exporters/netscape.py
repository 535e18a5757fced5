"""Netscape bookmark HTML: what Chrome, Firefox, Safari, linkding and Snapshelf import.

One flat `<DL>` (tags are attributes, not folders, so a link with three tags is not
copied into three folders): `ADD_DATE` and `LAST_MODIFIED` (seconds), `TAGS` (comma
separated, as Firefox and linkding write them), `PRIVATE="1"` for private links,
`TOREAD="1"` for unread ones (Pinboard, linkding); notes in the `<DD>` after the link.
Snapshelf's own flags ride along as `FAVORITE`, `ARCHIVED` and `VISIBILITY`, which
browsers ignore. Every text and attribute is HTML-escaped: a hostile title stays text.
"""

from __future__ import annotations

from collections.abc import Iterator
from html import escape

from snapshelf.io.exporters.base import CHUNK, Exporter, Selection, epoch
from snapshelf.library.models import Link

HEADER = """<!DOCTYPE NETSCAPE-Bookmark-file-1>
<!-- This is an automatically generated file.
     It will be read and overwritten.
     DO NOT EDIT! -->
<META HTTP-EQUIV="Content-Type" CONTENT="text/html; charset=UTF-8">
<TITLE>Bookmarks</TITLE>
<H1>Bookmarks</H1>
<DL><p>
"""
FOOTER = "</DL><p>\n"


def _attr(value: str) -> str:
    return escape(value, quote=True)


def entry(link: Link, title: str, tags: list[str]) -> str:
    """One `<DT>` (and its `<DD>` when the link has a note)."""
    attrs = [f'HREF="{_attr(link.url)}"', f'ADD_DATE="{epoch(link.created)}"']
    attrs.append(f'LAST_MODIFIED="{epoch(link.updated)}"')
    private = link.visibility == Link.Visibility.PRIVATE
    attrs.append(f'PRIVATE="{int(private)}"')
    if link.unread:
        attrs.append('TOREAD="1"')
    if link.favorite:
        attrs.append('FAVORITE="1"')
    if link.archived:
        attrs.append('ARCHIVED="1"')
    if link.visibility != Link.Visibility.PRIVATE:
        attrs.append(f'VISIBILITY="{_attr(link.visibility)}"')
    if tags:
        attrs.append(f'TAGS="{_attr(",".join(tags))}"')
    line = f"    <DT><A {' '.join(attrs)}>{escape(title, quote=False)}</A>\n"
    if link.note:
        line += f"    <DD>{escape(link.note, quote=False)}\n"
    return line


class NetscapeExporter(Exporter):
    name = "netscape"
    extension = "html"
    content_type = "text/html; charset=utf-8"

    def chunks(self, selection: Selection) -> Iterator[bytes]:
        yield HEADER.encode()
        links = (
            selection.links()
            .select_related("latest_snapshot")
            .only(*LINK_FIELDS, "latest_snapshot__title")
            .prefetch_related("tags")
        )
        parts: list[str] = []
        done = 0
        for link in links.iterator(chunk_size=CHUNK):
            tags = sorted((t.name for t in link.tags.all()), key=str.casefold)
            parts.append(entry(link, link.display_title, tags))
            done += 1
            if len(parts) >= CHUNK:
                yield "".join(parts).encode()
                parts.clear()
                selection.tick(done)
        parts.append(FOOTER)
        yield "".join(parts).encode()
        selection.tick(done)


LINK_FIELDS = (
    "id",
    "url",
    "title",
    "note",
    "unread",
    "favorite",
    "archived",
    "visibility",
    "created",
    "updated",
    "latest_snapshot",
)

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

from snapshelf.io.exporters.base import Exporter, Selection, display_title, epoch, link_batches
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


def entry(link: dict) -> str:
    """One `<DT>` (and its `<DD>` when the link has a note) from a `link_batches` row."""
    attrs = [f'HREF="{_attr(link["url"])}"', f'ADD_DATE="{epoch(link["created"])}"']
    attrs.append(f'LAST_MODIFIED="{epoch(link["updated"])}"')
    visibility = link["visibility"]
    attrs.append(f'PRIVATE="{int(visibility == Link.Visibility.PRIVATE)}"')
    if link["unread"]:
        attrs.append('TOREAD="1"')
    if link["favorite"]:
        attrs.append('FAVORITE="1"')
    if link["archived"]:
        attrs.append('ARCHIVED="1"')
    if visibility != Link.Visibility.PRIVATE:
        attrs.append(f'VISIBILITY="{_attr(visibility)}"')
    if link["tags"]:
        attrs.append(f'TAGS="{_attr(",".join(link["tags"]))}"')
    title = escape(display_title(link), quote=False)
    line = f"    <DT><A {' '.join(attrs)}>{title}</A>\n"
    if link["note"]:
        line += f"    <DD>{escape(link['note'], quote=False)}\n"
    return line


class NetscapeExporter(Exporter):
    name = "netscape"
    extension = "html"
    content_type = "text/html; charset=utf-8"

    def chunks(self, selection: Selection) -> Iterator[bytes]:
        yield HEADER.encode()
        done = 0
        for batch in link_batches(selection, LINK_FIELDS):
            done += len(batch)
            yield "".join(entry(link) for link in batch).encode()
            selection.tick(done)
        yield FOOTER.encode()
        selection.tick(done)


#: The link columns the bookmark and CSV exports read (`latest_title`: the captured one).
LINK_FIELDS = {
    "id": "id",
    "url": "url",
    "title": "title",
    "note": "note",
    "unread": "unread",
    "favorite": "favorite",
    "archived": "archived",
    "visibility": "visibility",
    "created": "created",
    "updated": "updated",
    "latest_id": "latest_snapshot_id",
    "latest_title": "latest_snapshot__title",
    "latest_status": "latest_snapshot__status",
}

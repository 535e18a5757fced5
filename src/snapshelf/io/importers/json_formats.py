"""JSON exports: browsers' bookmark files (Chrome `Bookmarks`, Firefox backup) and the
services' (Pinboard, Delicious, Omnivore, Readability, elCurator, wallabag v1 and v2).

Each is recognised by its shape, not its file name. A row's position in the file (1 for
the first entry) stands in for its line in the report.
"""

from __future__ import annotations

import ast
import contextlib
import json
from collections.abc import Callable, Iterator
from typing import Any, BinaryIO

from snapshelf.io.importers import fields
from snapshelf.services.imports import ImportedLink, Rejected

Rows = Iterator[ImportedLink | Rejected]


class NotThisFormat(ValueError):
    pass


def _rows(items: list[Any], make: Callable[[dict, int], ImportedLink]) -> Rows:
    for n, item in enumerate(items, 1):
        if not isinstance(item, dict):
            yield Rejected(n, str(item)[:200], "not a bookmark entry")
            continue
        try:
            yield make(item, n)
        except fields.BadDate as exc:
            yield Rejected(n, str(item.get("url") or item.get("href") or "")[:2000], str(exc))


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _labels(value: Any) -> tuple[str, ...]:
    """A list, or a list written out as Python/JSON text ("['RSS', 'news']")."""
    if isinstance(value, str) and value.strip().startswith("["):
        with contextlib.suppress(ValueError, SyntaxError):
            value = ast.literal_eval(value)
    return fields.tag_list(value)


# -- browsers --------------------------------------------------------------------------
def chrome(data: dict) -> Rows:
    """Chrome's `Bookmarks` file: roots (bar, other, synced) hold folders and urls."""
    n = 0

    def walk(node: dict, folders: tuple[str, ...]) -> Rows:
        nonlocal n
        for child in node.get("children") or ():
            if child.get("type") == "folder":
                yield from walk(child, (*folders, _text(child.get("name"))))
            elif child.get("type") == "url":
                n += 1
                try:
                    added = fields.webkit(child.get("date_added"))
                except fields.BadDate as exc:
                    yield Rejected(n, _text(child.get("url")), str(exc))
                    continue
                yield ImportedLink(
                    url=_text(child.get("url")),
                    title=_text(child.get("name")),
                    tags=folders,
                    added=added,
                    line=n,
                )

    for root in (data.get("roots") or {}).values():
        if isinstance(root, dict):
            yield from walk(root, ())


def firefox(data: dict) -> Rows:
    """Firefox's JSON backup: containers (the roots unnamed as tags) and places."""
    n = 0

    def walk(node: dict, folders: tuple[str, ...]) -> Rows:
        nonlocal n
        for child in node.get("children") or ():
            kind = child.get("type")
            if kind == "text/x-moz-place-container":
                name = () if child.get("root") else (_text(child.get("title")),)
                yield from walk(child, (*folders, *name))
            elif kind == "text/x-moz-place":
                n += 1
                try:
                    added = fields.epoch(child.get("dateAdded"))
                except fields.BadDate as exc:
                    yield Rejected(n, _text(child.get("uri")), str(exc))
                    continue
                yield ImportedLink(
                    url=_text(child.get("uri")),
                    title=_text(child.get("title")),
                    tags=(*fields.tag_list(child.get("tags")), *folders),
                    added=added,
                    line=n,
                )

    yield from walk(data, ())


# -- services --------------------------------------------------------------------------
def pinboard(items: list) -> Rows:
    return _rows(
        items,
        lambda e, n: ImportedLink(
            url=_text(e.get("href")),
            title=_text(e.get("description")),
            note=_text(e.get("extended")),
            tags=fields.tag_list(e.get("tags"), sep=" "),
            added=fields.iso(e.get("time")),
            unread=fields.flag(e.get("toread")),
            private=not fields.flag(e.get("shared")) if e.get("shared") else None,
            line=n,
        ),
    )


def delicious(items: list) -> Rows:
    return _rows(
        items,
        lambda e, n: ImportedLink(
            url=_text(e.get("url")),
            title=_text(e.get("title")),
            note=_text(e.get("description")),
            tags=fields.tag_list(e.get("tags"), sep=" "),
            added=fields.epoch(e.get("created")),
            private=fields.flag(e.get("private")),
            line=n,
        ),
    )


def omnivore(items: list) -> Rows:
    return _rows(
        items,
        lambda e, n: ImportedLink(
            url=_text(e.get("url")),
            title=_text(e.get("title")),
            note=_text(e.get("description")),
            tags=_labels(e.get("labels")),
            added=fields.iso(e.get("savedAt")),
            archived=_text(e.get("state")).lower() == "archived",
            unread=_text(e.get("state")).lower() != "archived",
            line=n,
        ),
    )


def readability(data: dict) -> Rows:
    return _rows(
        data.get("bookmarks") or [],
        lambda e, n: ImportedLink(
            url=_text(e.get("article__url")),
            title=_text(e.get("article__title")),
            note=_text(e.get("article__excerpt")),
            added=fields.iso(e.get("date_added")),
            favorite=fields.flag(e.get("favorite")),
            archived=fields.flag(e.get("archive")),
            unread=not fields.flag(e.get("archive")),
            line=n,
        ),
    )


def elcurator(items: list) -> Rows:
    return _rows(
        items,
        lambda e, n: ImportedLink(
            url=_text(e.get("url")),
            title=_text(e.get("title")),
            note=_text(e.get("description")),
            tags=fields.tag_list(e.get("tags")),
            added=fields.iso(e.get("created_at")),
            line=n,
        ),
    )


def wallabag_v1(items: list) -> Rows:
    return _rows(
        items,
        lambda e, n: ImportedLink(
            url=_text(e.get("url")),
            title=_text(e.get("title")),
            tags=fields.tag_list(e.get("tags")),
            favorite=fields.flag(e.get("is_fav")),
            archived=fields.flag(e.get("is_read")),
            unread=not fields.flag(e.get("is_read")),
            content_html=_text(e.get("content")),
            line=n,
        ),
    )


def wallabag_v2(items: list) -> Rows:
    return _rows(
        items,
        lambda e, n: ImportedLink(
            url=_text(e.get("url")),
            title=_text(e.get("title")),
            tags=_labels(e.get("tags")),
            added=fields.iso(e.get("created_at")),
            favorite=fields.flag(e.get("is_starred")),
            archived=fields.flag(e.get("is_archived")),
            unread=not fields.flag(e.get("is_archived")),
            content_html=_text(e.get("content")),
            line=n,
        ),
    )


def snapshelf(data: dict) -> Rows:
    """Our own export (docs/export.md, version 1): the links with their tags, notes,
    flags and dates; the captures themselves travel in a WARC."""
    return _rows(
        data.get("links") or [],
        lambda e, n: ImportedLink(
            url=_text(e.get("url")),
            title=_text(e.get("title")),
            note=_text(e.get("note")),
            tags=fields.tag_list(e.get("tags")),
            added=fields.iso(e.get("created")),
            unread=fields.flag(e.get("unread")),
            favorite=fields.flag(e.get("favorite")),
            archived=fields.flag(e.get("archived")),
            line=n,
        ),
    )


# -- recognising the shape -------------------------------------------------------------
def _first(items: list) -> dict:
    return next((i for i in items if isinstance(i, dict)), {})


def _kind(data: Any) -> tuple[str, Callable[[Any], Rows]]:
    if isinstance(data, dict):
        if data.get("format") == "snapshelf-export":
            return "snapshelf-json", snapshelf
        if isinstance(data.get("roots"), dict):
            return "chrome-json", chrome
        if str(data.get("type", "")).startswith("text/x-moz-place"):
            return "firefox-json", firefox
        if isinstance(data.get("bookmarks"), list):
            return "readability-json", readability
        raise NotThisFormat("a JSON object that is neither a Chrome nor a Firefox bookmark file")
    if not isinstance(data, list):
        raise NotThisFormat("JSON that is not a list of bookmarks")
    keys = set(_first(data))
    shapes = [
        ("pinboard-json", pinboard, {"href", "description"}),
        ("wallabag-v2-json", wallabag_v2, {"is_archived", "is_starred", "url"}),
        ("wallabag-v1-json", wallabag_v1, {"is_read", "is_fav", "url"}),
        ("omnivore-json", omnivore, {"url", "savedAt"}),
        ("elcurator-json", elcurator, {"url", "created_at", "is_saved"}),
        ("delicious-json", delicious, {"url", "created"}),
    ]
    for name, reader, needed in shapes:
        if needed <= keys:
            return name, reader
    if not data:
        return "json", lambda items: iter(())
    raise NotThisFormat(f"a JSON list of entries with fields {sorted(keys)[:8]} is no known format")


def read(stream: BinaryIO) -> tuple[str, Rows]:
    """The format's name and its rows. JSON exports are read whole: none of the
    services writes one bigger than a few megabytes per thousand entries."""
    try:
        data = json.loads(stream.read().decode("utf-8-sig", errors="replace"))
    except json.JSONDecodeError as exc:
        raise NotThisFormat(f"broken JSON: {exc}") from None
    name, reader = _kind(data)
    return name, reader(data)

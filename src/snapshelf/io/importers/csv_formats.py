"""CSV exports: Pocket (title,url,time_added,tags,status), Instapaper
(URL,Title,Selection,Folder), and any CSV with a `url` column (our own export)."""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterator
from typing import BinaryIO

from snapshelf.io.importers import fields
from snapshelf.services.imports import ImportedLink, Rejected

Rows = Iterator[ImportedLink | Rejected]
#: Instapaper files links in folders; these three are its states, not tags.
_INSTAPAPER_STATES = {"unread", "archive", "starred"}
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
csv.field_size_limit(1 << 24)  # a note may be long; the default (128 KiB) rejects it


def _date(value: str):
    value = (value or "").strip()
    return fields.epoch(value) if value.replace(".", "", 1).isdigit() else fields.iso(value)


def _cell(value: str) -> str:
    """A cell as written, less the apostrophe an export put before what a spreadsheet
    would run as a formula (ours does, and so do others)."""
    if value[:1] == "'" and value[1:2] in _FORMULA_STARTS:
        return value[1:]
    return value


def _row(fmt: str, row: dict[str, str]) -> ImportedLink:
    get = lambda *names: next((_cell(row[n]) for n in names if row.get(n)), "")  # noqa: E731
    if fmt == "pocket-csv":
        archived = get("status").strip().lower() == "archive"
        return ImportedLink(
            url=get("url"),
            title=get("title"),
            tags=fields.tag_list(get("tags"), sep="|"),
            added=_date(get("time_added")),
            archived=archived,
            unread=not archived,
        )
    if fmt == "instapaper-csv":
        folder = get("folder").strip()
        state = folder.lower()
        return ImportedLink(
            url=get("url"),
            title=get("title"),
            note=get("selection"),
            tags=() if state in _INSTAPAPER_STATES else fields.tag_list(folder),
            added=_date(get("timestamp")),
            archived=state == "archive",
            unread=state not in ("archive",),
            favorite=state == "starred",
        )
    return ImportedLink(
        url=get("url", "href", "link"),
        title=get("title", "name"),
        note=get("note", "notes", "description", "extended"),
        tags=fields.tag_list(get("tags")),
        added=_date(get("created", "added", "time_added", "date")),
        unread=fields.flag(get("unread")),
        favorite=fields.flag(get("favorite", "starred")),
        archived=fields.flag(get("archived")),
    )


def kind(header: list[str]) -> str | None:
    """The CSV flavour by its header row, None when it has no URL column."""
    names = {h.strip().lower() for h in header}
    if {"title", "url", "time_added"} <= names:
        return "pocket-csv"
    if {"url", "title", "folder"} <= names:
        return "instapaper-csv"
    if names & {"url", "href", "link"}:
        return "csv"
    return None


def read(stream: BinaryIO, fmt: str) -> Rows:
    text = codecs.getreader("utf-8-sig")(stream, errors="replace")
    reader = csv.reader(text)
    header = [h.strip().lower() for h in next(reader, [])]
    while True:
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield Rejected(reader.line_num, "", f"broken CSV: {exc}")
            continue
        if not any(v.strip() for v in values):
            continue
        row = dict(zip(header, values, strict=False))
        try:
            item = _row(fmt, row)
        except fields.BadDate as exc:
            yield Rejected(reader.line_num, row.get("url", ""), str(exc))
            continue
        item.line = reader.line_num
        yield item

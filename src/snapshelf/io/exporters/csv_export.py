"""CSV: one row per link, for spreadsheets; our CSV importer reads it back.

A spreadsheet runs a cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return
as a formula (CSV injection): such cells get a leading apostrophe, which spreadsheets
hide and show the text as it was. The file starts with a UTF-8 byte order mark so
spreadsheet programs read non-Latin titles right.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from snapshelf.io.exporters.base import Exporter, Selection, display_title, iso, link_batches
from snapshelf.io.exporters.netscape import LINK_FIELDS

COLUMNS = (
    "id",
    "url",
    "title",
    "note",
    "tags",
    "unread",
    "favorite",
    "archived",
    "visibility",
    "created",
    "updated",
    "snapshot_id",
    "snapshot_status",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def defuse(value: object) -> str:
    """The cell's text, with a leading apostrophe when a spreadsheet would run it."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _flag(value: bool) -> str:
    return "true" if value else "false"


class CsvExporter(Exporter):
    name = "csv"
    extension = "csv"
    content_type = "text/csv; charset=utf-8"

    def chunks(self, selection: Selection) -> Iterator[bytes]:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        buffer.write("\ufeff")
        writer.writerow(COLUMNS)
        done = 0
        for batch in link_batches(selection, LINK_FIELDS):
            for link in batch:
                row = (
                    link["id"],
                    link["url"],
                    display_title(link),
                    link["note"],
                    ",".join(link["tags"]),
                    _flag(link["unread"]),
                    _flag(link["favorite"]),
                    _flag(link["archived"]),
                    link["visibility"],
                    iso(link["created"]),
                    iso(link["updated"]),
                    link["latest_id"] or "",
                    link["latest_status"] or "",
                )
                writer.writerow([defuse(v) for v in row])
            done += len(batch)
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
            selection.tick(done)
        yield buffer.getvalue().encode()
        selection.tick(done)

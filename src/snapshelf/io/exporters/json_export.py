"""JSON: everything a user owns in their library, in a documented, versioned shape.

Shape `snapshelf-export` version 1 (docs/export.md)::

    {"format": "snapshelf-export", "version": 1, "exported_at": ISO, "owner": NAME,
     "tag": NAME or null, "tags": [{"name", "created"}],
     "links": [{"id", "url", "title", "display_title", "note", "tags": [NAME],
                "unread", "favorite", "archived", "visibility", "capture_mode",
                "watch_hours", "created", "updated",
                "versions": [{"snapshot_id", "version", "status", "mode", "created",
                              "finished", "http_status", "final_url", "content_type",
                              "charset", "kind", "title", "author", "published",
                              "site_name", "language", "description", "image_url",
                              "word_count", "total_bytes", "resource_count",
                              "error_code", "error", "fingerprint", "checks"}],
                "highlights": [{"exact", "prefix", "suffix", "start", "end", "color",
                                "note", "orphaned", "snapshot_id", "anchored_id",
                                "created", "updated"}]}]}

Links come oldest first, versions by number, highlights in reading order (orphaned ones
last). The captured bytes are not in it (the WARC
and ZIP exports hold those). `<`, `>` and `&` are written as \\u escapes, so the file is
inert even if something shows it as HTML.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from django.utils import timezone

from snapshelf.io.exporters.base import Exporter, Selection, iso, link_batches
from snapshelf.library.models import Snapshot, Tag
from snapshelf.reading.models import Highlight

FORMAT = "snapshelf-export"
VERSION = 1

VERSION_FIELDS = (
    "id",
    "link_id",
    "version",
    "status",
    "mode",
    "created",
    "finished",
    "http_status",
    "final_url",
    "content_type",
    "charset",
    "kind",
    "title",
    "author",
    "published",
    "site_name",
    "language",
    "description",
    "image_url",
    "word_count",
    "total_bytes",
    "resource_count",
    "error_code",
    "error",
    "fingerprint",
    "checks",
)


def dumps(value: object) -> str:
    """JSON with HTML-significant characters escaped (still the same JSON values)."""
    text = json.dumps(value, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def version_record(snap: dict) -> dict:
    """A version's entry from a `Snapshot.values(*VERSION_FIELDS)` row."""
    record = {"snapshot_id": snap["id"]}
    for name in VERSION_FIELDS[2:]:
        value = snap[name]
        record[name] = iso(value) if name in ("created", "finished") else value
    return record


#: A highlight's fields in the export, as W3C Web Annotation selectors name them:
#: exact/prefix/suffix (TextQuoteSelector), start/end (TextPositionSelector).
HIGHLIGHT_FIELDS = (
    *("link_id", "exact", "prefix", "suffix", "start", "end", "color", "note", "orphaned"),
    *("snapshot_id", "anchored_id", "created", "updated"),
)


def highlight_record(row: dict) -> dict:
    """A highlight's entry from a `Highlight.values(*HIGHLIGHT_FIELDS)` row."""
    return {
        name: iso(row[name]) if name in ("created", "updated") else row[name]
        for name in HIGHLIGHT_FIELDS[1:]
    }


def link_record(link: dict, versions: list[dict], highlights: list[dict] | None = None) -> dict:
    """A link's entry from a `link_batches` row, its versions' rows (by number) and its
    highlights' rows."""
    captured = next((v["title"] for v in reversed(versions) if v["title"]), "")
    return {
        "id": link["id"],
        "url": link["url"],
        "title": link["title"],
        "display_title": link["title"] or captured or link["url"],
        "note": link["note"],
        "tags": link["tags"],
        "unread": link["unread"],
        "favorite": link["favorite"],
        "archived": link["archived"],
        "visibility": link["visibility"],
        "capture_mode": link["capture_mode"],
        "watch_hours": link["watch_hours"],
        "created": iso(link["created"]),
        "updated": iso(link["updated"]),
        "versions": [version_record(v) for v in versions],
        "highlights": [highlight_record(h) for h in highlights or ()],
    }


LINK_FIELDS = {
    name: name
    for name in (
        *("id", "url", "title", "note", "unread", "favorite", "archived", "visibility"),
        *("capture_mode", "watch_hours", "created", "updated"),
    )
}


def _versions(batch: list[dict]) -> dict[int, list[dict]]:
    by_link: dict[int, list[dict]] = {row["id"]: [] for row in batch}
    rows = Snapshot.objects.filter(link_id__in=list(by_link)).order_by("link_id", "version")
    for snap in rows.values(*VERSION_FIELDS):
        by_link[snap["link_id"]].append(snap)
    return by_link


def _highlights(batch: list[dict], owner_id: int) -> dict[int, list[dict]]:
    by_link: dict[int, list[dict]] = {row["id"]: [] for row in batch}
    rows = Highlight.objects.filter(link_id__in=list(by_link), owner_id=owner_id)
    for row in rows.order_by("link_id", "orphaned", "start", "id").values(*HIGHLIGHT_FIELDS):
        by_link[row["link_id"]].append(row)
    return by_link


class JsonExporter(Exporter):
    name = "json"
    extension = "json"
    content_type = "application/json"

    def chunks(self, selection: Selection) -> Iterator[bytes]:
        tags = Tag.objects.filter(owner=selection.owner)
        if selection.tag is not None:
            tags = tags.filter(links__in=selection.links()).distinct()
        head = {
            "format": FORMAT,
            "version": VERSION,
            "exported_at": iso(timezone.now()),
            "owner": selection.owner.get_username(),
            "tag": selection.tag.name if selection.tag else None,
            "tags": [{"name": t.name, "created": iso(t.created)} for t in tags.order_by("name")],
        }
        opening = dumps(head)[:-1] + ', "links": ['
        yield (opening + "\n").encode()
        done = 0
        for batch in link_batches(selection, LINK_FIELDS):
            versions = _versions(batch)
            marked = _highlights(batch, selection.owner.pk)
            records = [
                link_record(link, versions[link["id"]], marked[link["id"]]) for link in batch
            ]
            text = ",\n".join(dumps(r) for r in records)
            yield (("," if done else "") + text + "\n").encode()
            done += len(batch)
            selection.tick(done)
        yield b"]}\n"
        selection.tick(done)

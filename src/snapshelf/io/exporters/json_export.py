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
                              "error_code", "error", "fingerprint", "checks"}]}]}

Links come oldest first, versions by number. The captured bytes are not in it (the WARC
and ZIP exports hold those). `<`, `>` and `&` are written as \\u escapes, so the file is
inert even if something shows it as HTML.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from django.db.models import Prefetch
from django.utils import timezone

from snapshelf.io.exporters.base import CHUNK, Exporter, Selection, iso
from snapshelf.library.models import Link, Snapshot, Tag

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
_INERT = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"})


def dumps(value: object) -> str:
    """JSON with HTML-significant characters escaped (still the same JSON values)."""
    return json.dumps(value, ensure_ascii=False).translate(_INERT)


def version_record(snap: Snapshot) -> dict:
    return {
        "snapshot_id": snap.pk,
        "version": snap.version,
        "status": snap.status,
        "mode": snap.mode,
        "created": iso(snap.created),
        "finished": iso(snap.finished),
        "http_status": snap.http_status,
        "final_url": snap.final_url,
        "content_type": snap.content_type,
        "charset": snap.charset,
        "kind": snap.kind,
        "title": snap.title,
        "author": snap.author,
        "published": snap.published,
        "site_name": snap.site_name,
        "language": snap.language,
        "description": snap.description,
        "image_url": snap.image_url,
        "word_count": snap.word_count,
        "total_bytes": snap.total_bytes,
        "resource_count": snap.resource_count,
        "error_code": snap.error_code,
        "error": snap.error,
        "fingerprint": snap.fingerprint,
        "checks": snap.checks,
    }


def link_record(link: Link) -> dict:
    versions = list(link.snapshots.all())
    captured = next((v.title for v in reversed(versions) if v.title), "")
    return {
        "id": link.pk,
        "url": link.url,
        "title": link.title,
        "display_title": link.title or captured or link.url,
        "note": link.note,
        "tags": sorted((t.name for t in link.tags.all()), key=str.casefold),
        "unread": link.unread,
        "favorite": link.favorite,
        "archived": link.archived,
        "visibility": link.visibility,
        "capture_mode": link.capture_mode,
        "watch_hours": link.watch_hours,
        "created": iso(link.created),
        "updated": iso(link.updated),
        "versions": [version_record(v) for v in versions],
    }


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
        versions = Snapshot.objects.only(*VERSION_FIELDS).order_by("version")
        links = (
            selection.links()
            .defer("sort_title", "url_hash", "url_normalized")
            .prefetch_related("tags", Prefetch("snapshots", queryset=versions))
        )
        parts: list[str] = []
        done = 0
        for link in links.iterator(chunk_size=CHUNK):
            parts.append(("," if done else "") + dumps(link_record(link)) + "\n")
            done += 1
            if len(parts) >= CHUNK:
                yield "".join(parts).encode()
                parts.clear()
                selection.tick(done)
        parts.append("]}\n")
        yield "".join(parts).encode()
        selection.tick(done)

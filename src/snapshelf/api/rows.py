"""Link rows for list answers, read as plain values (no model instances): at 100 rows
building Link, Snapshot and Tag objects cost most of a list request."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from snapshelf.library.models import Link

_LINK = (
    "id", "url", "title", "note", "unread", "favorite", "archived", "visibility",
    "capture_mode", "watch_hours", "created", "updated", "latest_snapshot_id",
)  # fmt: skip
_SNAP = ("version", "status", "error_code", "error", "mode", "title", "created", "finished")


def link_dicts(ids: list[int]) -> list[dict[str, Any]]:
    """LinkOut's fields for the links with these ids, in this order. Callers pass ids
    already scoped to the acting user."""
    snap_fields = [f"latest_snapshot__{name}" for name in _SNAP]
    rows = {
        row["id"]: row
        for row in Link.objects.filter(pk__in=ids).order_by().values(*_LINK, *snap_fields)
    }
    tags: dict[int, list[str]] = defaultdict(list)
    through = Link.tags.through.objects.filter(link_id__in=ids)
    for link_id, name in through.values_list("link_id", "tag__name"):
        tags[link_id].append(name)
    out = []
    for pk in ids:
        row = rows.get(pk)
        if row is None:
            continue
        snap = None
        if row["latest_snapshot_id"] is not None:
            snap = {name: row[f"latest_snapshot__{name}"] for name in _SNAP}
            snap["id"] = row["latest_snapshot_id"]
        out.append(
            {
                **{name: row[name] for name in _LINK if name != "latest_snapshot_id"},
                "title": row["title"] or (snap["title"] if snap else "") or row["url"],
                "title_override": row["title"],
                "tags": sorted(tags[pk], key=str.casefold),
                "snapshot": snap,
            }
        )
    return out

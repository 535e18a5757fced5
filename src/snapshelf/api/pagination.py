"""Cursor pagination: an opaque, signed cursor says where the next page starts.

The library list walks keys (created, id) or (sort title, id), so a page costs the
same however deep it is and a link added meanwhile neither repeats nor skips a row.
Search results have no stable key (ranks move as the library changes); their cursor
holds an offset.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core import signing
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from snapshelf.api.errors import ApiError

_SALT = "snapshelf.api.cursor"
#: How far into search results a cursor may go.
MAX_OFFSET = 100_000


def encode(data: dict[str, Any]) -> str:
    return signing.dumps(data, salt=_SALT, compress=True)


def decode(cursor: str | None, kind: str) -> dict[str, Any] | None:
    """The cursor's content, or None for the first page; 400 invalid_cursor when it was
    not made by this server for this kind of list."""
    if not cursor:
        return None
    try:
        data = signing.loads(cursor, salt=_SALT)
    except (signing.BadSignature, ValueError, UnicodeError):
        data = None
    if not isinstance(data, dict) or data.get("kind") != kind:
        raise ApiError(400, "invalid_cursor", _("This cursor is not valid for this list."))
    return data


def keyset(qs: QuerySet, sort: str, cursor: dict[str, Any] | None) -> QuerySet:
    """`qs` ordered for `sort`, starting after the cursor's row."""
    if sort == "title":
        qs = qs.order_by("sort_title", "id")
    elif sort == "oldest":
        qs = qs.order_by("created", "id")
    else:
        qs = qs.order_by("-created", "-id")
    if cursor is None:
        return qs
    if cursor.get("sort") != sort:
        raise ApiError(400, "invalid_cursor", _("This cursor belongs to another sort order."))
    value, pk = cursor["key"]
    if sort == "title":
        return qs.filter(Q(sort_title__gt=value) | Q(sort_title=value, id__gt=pk))
    when = datetime.fromisoformat(value)
    if sort == "oldest":
        return qs.filter(Q(created__gt=when) | Q(created=when, id__gt=pk))
    return qs.filter(Q(created__lt=when) | Q(created=when, id__lt=pk))


def key_of(row: dict[str, Any], sort: str) -> list[Any]:
    """The cursor key of the last row shown."""
    if sort == "title":
        return [row["sort_title"], row["id"]]
    return [row["created"].isoformat(), row["id"]]


def offset_of(cursor: dict[str, Any] | None) -> int:
    offset = (cursor or {}).get("offset", 0)
    if not isinstance(offset, int) or not 0 <= offset <= MAX_OFFSET:
        raise ApiError(400, "invalid_cursor", _("This cursor is not valid for this list."))
    return offset

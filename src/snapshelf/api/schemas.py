"""The API's request and response shapes (they are the OpenAPI document's schemas)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from ninja import Schema
from pydantic import AfterValidator, Field

from snapshelf.services.bulk import ACTIONS
from snapshelf.services.listing import FLAGS

#: Largest id accepted anywhere (both databases' bigint).
MAX_ID = 2**63 - 1


def _storable(value: str) -> str:
    """Text both databases can store: no NUL character, no lone surrogate."""
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text") from None
    return value


Text = Annotated[str, AfterValidator(_storable)]
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
TagName = Annotated[Text, Field(max_length=100)]
Visibility = Literal["private", "unlisted", "public"]
CaptureMode = Literal["auto", "static", "browser"]
Flag = Literal[FLAGS]  # type: ignore[valid-type]
BulkAction = Literal[ACTIONS]  # type: ignore[valid-type]
Sort = Literal["newest", "oldest", "title"]
Artefact = Literal["reader_html", "markdown", "text", "singlefile", "screenshot", "pdf", "original"]


class SnapshotBrief(Schema):
    id: int
    version: int
    status: str = Field(description="queued, running, done or failed")
    error_code: str
    error: str
    mode: str
    title: str
    created: datetime
    finished: datetime | None


class SnapshotOut(SnapshotBrief):
    link_id: int
    attempts: int
    started: datetime | None
    http_status: int | None
    final_url: str
    content_type: str
    kind: str
    author: str
    published: str
    site_name: str
    language: str
    description: str
    image_url: str
    word_count: int
    total_bytes: int
    resource_count: int
    artefacts: list[str] = Field(description="names for /snapshots/{id}/artefacts/{name}")


class LinkOut(Schema):
    id: int
    url: str
    title: str = Field(description="what the library shows: your title, else the captured one")
    title_override: str = Field(description="the title you gave (empty: none)")
    note: str
    tags: list[str]
    unread: bool
    favorite: bool
    archived: bool
    visibility: str
    capture_mode: str
    watch_hours: int
    created: datetime
    updated: datetime
    snapshot: SnapshotBrief | None = Field(description="the latest snapshot")


class LinkPage(Schema):
    items: list[LinkOut]
    next_cursor: str | None = Field(description="pass as ?cursor= for the next page")


class LinkCreate(Schema):
    url: Annotated[Text, Field(min_length=1, max_length=4000)]
    tags: Annotated[list[TagName], Field(max_length=100)] = []
    title: Annotated[Text, Field(max_length=500)] = ""
    note: Annotated[Text, Field(max_length=100_000)] | None = None
    visibility: Visibility | None = None
    capture_mode: CaptureMode | None = Field(
        None, description="how to capture (also kept as the link's preference)"
    )


class LinkPatch(Schema):
    """Only the fields sent change; `tags` replaces the link's tags."""

    title: Annotated[Text, Field(max_length=500)] | None = None
    note: Annotated[Text, Field(max_length=100_000)] | None = None
    tags: Annotated[list[TagName], Field(max_length=100)] | None = None
    unread: bool | None = None
    favorite: bool | None = None
    archived: bool | None = None
    visibility: Visibility | None = None
    capture_mode: CaptureMode | None = None


class SavedOut(Schema):
    link: LinkOut
    snapshot: SnapshotBrief


class BulkIn(Schema):
    ids: Annotated[list[Id], Field(min_length=1, max_length=1000)]
    action: BulkAction
    tags: Annotated[list[TagName], Field(max_length=100)] = []


class CountOut(Schema):
    count: int


class TagOut(Schema):
    id: int
    name: str
    count: int


class TagRename(Schema):
    name: Annotated[Text, Field(min_length=1, max_length=100)]


class TagMerge(Schema):
    ids: Annotated[list[Id], Field(min_length=1, max_length=1000)]
    into: Annotated[Text, Field(min_length=1, max_length=100)]


class RenameOut(Schema):
    tag: TagOut
    old_name: str
    merged: bool = Field(description="the new name was another tag's: this one merged into it")


class NamesOut(Schema):
    tags: list[str]


class HitOut(Schema):
    link_id: int
    snapshot_id: int | None
    title: str
    url: str
    score: float
    snippet: str = Field(description="plain text around the matches")
    version: int | None = Field(description="with in:versions, the older version that matched")


class SearchOut(Schema):
    items: list[HitOut]
    next_cursor: str | None
    hints: list[str]


class RelatedOut(Schema):
    link_id: int
    title: str
    url: str
    score: float
    reason: str


class CaptureRow(Schema):
    snapshot_id: int
    link_id: int
    url: str
    title: str
    status: str
    attempts: int
    created: datetime
    started: datetime | None
    finished: datetime | None
    error_code: str
    error: str


class StatusOut(Schema):
    queued: int
    running: int
    retrying: int
    oldest_queued: datetime | None
    done_24h: int
    failed_24h: int
    in_progress: list[CaptureRow]
    recent_failures: list[CaptureRow]


class TokenInfo(Schema):
    name: str
    scope: str


class MeOut(Schema):
    username: str
    nickname: str
    token: TokenInfo | None = Field(description="the token used (null: the web session)")


def link_out(link: Any) -> dict[str, Any]:
    """A Link (its tags prefetched, its latest snapshot selected) as LinkOut's fields."""
    snap = link.latest_snapshot
    return {
        "id": link.pk,
        "url": link.url,
        "title": link.display_title,
        "title_override": link.title,
        "note": link.note,
        "tags": sorted((t.name for t in link.tags.all()), key=str.casefold),
        "unread": link.unread,
        "favorite": link.favorite,
        "archived": link.archived,
        "visibility": link.visibility,
        "capture_mode": link.capture_mode,
        "watch_hours": link.watch_hours,
        "created": link.created,
        "updated": link.updated,
        "snapshot": snapshot_brief(snap) if snap is not None else None,
    }


def snapshot_brief(snap: Any) -> dict[str, Any]:
    return {
        name: getattr(snap, name)
        for name in ("version", "status", "error_code", "error", "mode", "title", "created")
    } | {"id": snap.pk, "finished": snap.finished}

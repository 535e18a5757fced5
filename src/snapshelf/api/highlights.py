"""/links/{id}/highlights: the passages the owner highlighted in the reader, read-only
(they are made in the reader view)."""

from __future__ import annotations

from typing import Annotated

from django.http import HttpRequest
from ninja import Path, Router, Schema

from snapshelf.api.auth import user_of
from snapshelf.api.errors import responses
from snapshelf.api.schemas import MAX_ID
from snapshelf.services import highlights as door

router = Router(tags=["links"])

LinkId = Annotated[int, Path(ge=1, le=MAX_ID)]


class HighlightOut(Schema):
    """A highlight, anchored as the W3C Web Annotation selectors are (docs/export.md)."""

    id: int
    exact: str
    prefix: str
    suffix: str
    start: int
    end: int
    color: str
    note: str
    orphaned: bool
    snapshot_id: int | None
    anchored_id: int | None


@router.get(
    "/links/{int:link_id}/highlights",
    response=responses({200: list[HighlightOut]}),
    summary="Highlights",
)
def list_highlights(request: HttpRequest, link_id: LinkId):
    """Your highlights of this link, in reading order (orphaned ones last)."""
    return door.list_highlights(user_of(request), link_id)

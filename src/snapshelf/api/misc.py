"""/search, /status (captures) and /me."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Query, Router

from snapshelf.api import pagination
from snapshelf.api.auth import caller
from snapshelf.api.errors import responses
from snapshelf.api.schemas import MeOut, SearchOut, StatusOut, Text
from snapshelf.services import api as reads

router = Router()


@router.get("/search", response=responses({200: SearchOut}), tags=["search"], summary="Search")
def search(
    request: HttpRequest,
    q: Text = Query(..., min_length=1, max_length=200, description="query language"),
    cursor: str | None = Query(None, max_length=2000),
    limit: int = Query(20, ge=1, le=100),
    all_versions: bool = False,
):
    """Full-text search with snippets, best first (the query language of
    docs/query-language.md: words, "phrases", -exclude, OR, tag:, site:, is:, ...)."""
    offset = pagination.offset_of(pagination.decode(cursor, "search"))
    page = reads.search_hits(
        caller(request).user, q, limit=limit, offset=offset, all_versions=all_versions
    )
    return {
        "items": [
            {
                "link_id": h.link_id,
                "snapshot_id": h.snapshot_id,
                "title": h.title,
                "url": h.url,
                "score": h.score,
                "snippet": h.snippet_text,
                "version": h.version,
            }
            for h in page.hits
        ],
        "next_cursor": (
            pagination.encode({"kind": "search", "offset": offset + limit})
            if page.has_next
            else None
        ),
        "hints": [str(h) for h in page.hints],
    }


@router.get("/status", response=responses({200: StatusOut}), tags=["captures"], summary="Captures")
def status(request: HttpRequest):
    """Your captures: queued, running, retrying, done and failed in the last 24 hours."""
    return reads.capture_status(caller(request).user)


@router.get("/me", response=responses({200: MeOut}), tags=["account"], summary="Who am I")
def me(request: HttpRequest):
    """The account (and token) the request is made as: a quick check of a token."""
    who = caller(request)
    profile = getattr(who.user, "profile", None)
    return {
        "username": who.user.get_username(),
        "nickname": profile.nickname if profile else "",
        "token": {"name": who.token.name, "scope": who.token.scope} if who.token else None,
    }

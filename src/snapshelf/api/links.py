"""/links: save, list (the library's filters and search language), read, edit, delete,
bulk actions, re-snapshot, related articles and tag suggestions."""

from __future__ import annotations

from typing import Annotated

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Path, Query, Router, Schema, Status
from pydantic import Field

from snapshelf.api import pagination
from snapshelf.api.auth import user_of
from snapshelf.api.errors import ApiError, responses
from snapshelf.api.rows import link_dicts
from snapshelf.api.schemas import (
    MAX_ID,
    BulkIn,
    CountOut,
    Flag,
    LinkCreate,
    LinkOut,
    LinkPage,
    LinkPatch,
    NamesOut,
    RelatedOut,
    SavedOut,
    Sort,
    TagName,
    Text,
    link_out,
    snapshot_brief,
)
from snapshelf.services import api as reads
from snapshelf.services import bulk, listing
from snapshelf.services import links as door

router = Router(tags=["links"])

LinkId = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.post("/links", response=responses({201: SavedOut}), summary="Save a link")
def create_link(request: HttpRequest, body: LinkCreate):
    """Save the URL (or find it already saved) and queue a new snapshot of it.

    Takes one capture from your hourly quota (429 quota_exceeded when it is spent)."""
    saved = reads.save_link_with(
        user_of(request),
        body.url,
        tags=body.tags,
        title=" ".join(body.title.split()),
        note=body.note,
        visibility=body.visibility,
        mode=body.capture_mode,
    )
    link = door.get_link(user_of(request), saved.link.pk)
    return Status(201, {"link": link_out(link), "snapshot": snapshot_brief(saved.snapshot)})


class PageCreate(Schema):
    """A page as the user's browser shows it (behind a log-in, say)."""

    url: Annotated[Text, Field(min_length=1, max_length=4000)]
    html: Annotated[Text, Field(min_length=1, description="the document's HTML (outerHTML)")]
    tags: Annotated[list[TagName], Field(max_length=100)] = []
    title: Annotated[Text, Field(max_length=500)] = ""
    note: Annotated[Text, Field(max_length=100_000)] | None = None


@router.post("/links/page", response=responses({201: SavedOut}, 413), summary="Save a page's HTML")
def create_from_page(request: HttpRequest, body: PageCreate):
    """Save the page as your browser sent it: the HTML is the document (nothing is
    fetched for it); its images and stylesheets are fetched through the egress guard.

    For pages behind a log-in (what the browser extension's "Send the page as shown" and
    the second bookmarklet do). 413 too_large over the capture's document size limit.
    Takes one capture from your hourly quota."""
    html = body.html.encode("utf-8")
    limit = settings.SNAPSHELF_CAPTURE["max_document_bytes"]
    if len(html) > limit:
        message = _("The page is larger than %(mb)s MB.") % {"mb": limit >> 20}
        raise ApiError(413, "too_large", message)
    owner = user_of(request)
    title = " ".join(body.title.split())
    with transaction.atomic():  # the note is written with the link, before the capture
        saved = door.save_page(owner, body.url, html, tags=body.tags, title=title)
        if body.note is not None:
            door.edit_link(owner, saved.link, door.LinkChanges(note=body.note))
    link = door.get_link(owner, saved.link.pk)
    return Status(201, {"link": link_out(link), "snapshot": snapshot_brief(saved.snapshot)})


@router.get("/links", response=responses({200: LinkPage}), summary="List links")
def list_links(
    request: HttpRequest,
    q: Text = Query("", max_length=200, description="search query language"),
    tag: list[TagName] = Query([], max_length=20, description="every tag (AND)"),
    is_: list[Flag] = Query([], alias="is", max_length=5, description="flags (AND)"),
    sort: Sort = "newest",
    url: Text | None = Query(None, max_length=4000, description="only this URL"),
    cursor: str | None = Query(None, max_length=2000),
    limit: int = Query(50, ge=1, le=100),
):
    """Your links, filtered like the library page (archived links only with is=archived).

    With `q`, results come best first (the `sort` is ignored); `url` finds the link saved
    for that address (compared the way saving normalises it)."""
    owner = user_of(request)
    filters = listing.Filters(
        tags=list(dict.fromkeys(t.strip() for t in tag if t.strip())),
        flags=list(dict.fromkeys(is_)),
        sort=sort,
        q=q.strip(),
    )
    if url is not None:
        try:
            return {"items": [link_out(reads.find_by_url(owner, url))], "next_cursor": None}
        except door.Link.DoesNotExist:
            return {"items": [], "next_cursor": None}
    if filters.q:
        state = pagination.decode(cursor, "search-links")
        offset = pagination.offset_of(state)
        ids, more = reads.search_link_ids(owner, filters, limit=limit, offset=offset)
        following = {"kind": "search-links", "offset": offset + limit} if more else None
    else:
        state = pagination.decode(cursor, "links")
        qs = pagination.keyset(listing.filtered(owner, filters), sort, state)
        keys = list(qs.values("id", "created", "sort_title")[: limit + 1])
        ids = [k["id"] for k in keys[:limit]]
        more = len(keys) > limit
        following = (
            {"kind": "links", "sort": sort, "key": pagination.key_of(keys[limit - 1], sort)}
            if more
            else None
        )
    return {
        "items": link_dicts(ids),
        "next_cursor": pagination.encode(following) if following else None,
    }


@router.get("/links/{int:link_id}", response=responses({200: LinkOut}), summary="Get a link")
def get_link(request: HttpRequest, link_id: LinkId):
    return link_out(door.get_link(user_of(request), link_id))


@router.patch("/links/{int:link_id}", response=responses({200: LinkOut}), summary="Edit a link")
def edit_link(request: HttpRequest, link_id: LinkId, body: LinkPatch):
    """Change only the fields sent; `tags` replaces the link's tags."""
    owner = user_of(request)
    link = door.get_link(owner, link_id)
    title = None if body.title is None else " ".join(body.title.split())
    changes = door.LinkChanges(
        title=title,
        note=body.note,
        tags=body.tags,
        unread=body.unread,
        favorite=body.favorite,
        archived=body.archived,
        visibility=body.visibility,
        capture_mode=body.capture_mode,
    )
    door.edit_link(owner, link, changes)
    return link_out(door.get_link(owner, link_id))


@router.delete("/links/{int:link_id}", response=responses({204: None}), summary="Delete a link")
def delete_link(request: HttpRequest, link_id: LinkId):
    """Delete the link with every snapshot."""
    owner = user_of(request)
    door.delete_link(owner, door.get_link(owner, link_id))
    return Status(204, None)


@router.post("/links/bulk", response=responses({200: CountOut}), summary="Bulk action")
def bulk_action(request: HttpRequest, body: BulkIn):
    """Apply one action to many links; ids that are not yours are ignored (the count
    says how many links it touched)."""
    count = bulk.apply(user_of(request), body.ids, body.action, body.tags)
    return {"count": count}


@router.get(
    "/links/{int:link_id}/related",
    response=responses({200: list[RelatedOut]}),
    summary="Related articles",
)
def related(request: HttpRequest, link_id: LinkId, limit: int = Query(5, ge=1, le=20)):
    """Your links most related to this one, best first, with the reason."""
    return [
        {
            "link_id": r.link.pk,
            "title": r.link.display_title,
            "url": r.link.url,
            "score": r.score,
            "reason": r.reason,
        }
        for r in reads.related_of(user_of(request), link_id, limit=limit)
    ]


@router.get(
    "/links/{int:link_id}/tag-suggestions",
    response=responses({200: NamesOut}),
    summary="Tag suggestions",
)
def tag_suggestions(request: HttpRequest, link_id: LinkId, limit: int = Query(5, ge=1, le=20)):
    """Tags you already use that fit this link, best first."""
    return {"tags": reads.tag_suggestions_of(user_of(request), link_id, limit=limit)}

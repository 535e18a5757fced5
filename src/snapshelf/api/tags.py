"""/tags: list with counts, completions, rename, merge, delete."""

from __future__ import annotations

from typing import Annotated, Literal

from django.http import HttpRequest
from ninja import Path, Query, Router, Status

from snapshelf.api.auth import user_of
from snapshelf.api.errors import ApiError, responses
from snapshelf.api.schemas import MAX_ID, NamesOut, RenameOut, TagMerge, TagOut, TagRename, Text
from snapshelf.library.models import Tag
from snapshelf.services import tags as tag_service

router = Router(tags=["tags"])

TagId = Annotated[int, Path(ge=1, le=MAX_ID)]
#: At most this many tags in one list answer.
MAX_TAGS = 5000


def _owned(request: HttpRequest, tag_id: int) -> Tag:
    return Tag.objects.get(pk=tag_id, owner=user_of(request))


def tag_out(tag: Tag, count: int) -> dict:
    return {"id": tag.pk, "name": tag.name, "count": count}


@router.get("/tags", response=responses({200: list[TagOut]}), summary="List tags")
def list_tags(
    request: HttpRequest,
    q: Text = Query("", max_length=100, description="part of the name"),
    sort: Literal["name", "count"] = "name",
):
    """All your tags (unused ones too) with how many links carry each."""
    tags = tag_service.tags_with_counts(user_of(request), q.strip(), sort)[:MAX_TAGS]
    return [tag_out(t, t.n) for t in tags]


@router.get("/tags/complete", response=responses({200: NamesOut}), summary="Complete a tag")
def complete(
    request: HttpRequest,
    q: Text = Query("", max_length=1000, description="what was typed; commas ok"),
):
    """Completions for a tags field, as the web UI's autocomplete gets them."""
    return {"tags": tag_service.suggest(user_of(request), q)}


@router.patch("/tags/{int:tag_id}", response=responses({200: RenameOut}), summary="Rename a tag")
def rename(request: HttpRequest, tag_id: TagId, body: TagRename):
    """Rename; if you already have a tag with that name, this one merges into it."""
    owner = user_of(request)
    result = tag_service.rename_tag(owner, _owned(request, tag_id), body.name)
    tag = result.tag
    return {
        "tag": tag_out(tag, tag_service.link_count(tag)),
        "old_name": result.old_name,
        "merged": result.merged,
    }


@router.post("/tags/merge", response=responses({200: TagOut}), summary="Merge tags")
def merge(request: HttpRequest, body: TagMerge):
    """Merge the tags `ids` into the tag named `into` (yours, or created)."""
    owner = user_of(request)
    sources = tag_service.owned_tags(owner, body.ids)
    if sources is None:
        raise ApiError(404, "not_found", "Not found.")
    target = tag_service.merge_tags(owner, sources, body.into)
    return tag_out(target, tag_service.link_count(target))


@router.delete("/tags/{int:tag_id}", response=responses({204: None}), summary="Delete a tag")
def delete(request: HttpRequest, tag_id: TagId):
    """Delete the tag; its links stay, without it."""
    tag_service.delete_tag(user_of(request), _owned(request, tag_id))
    return Status(204, None)

"""What the REST API (and the share target) needs from the door that the other ways in
did not: saving a link with its note and visibility in one go, and owner-scoped reads
(snapshots, related articles, tag suggestions, capture status, search hits).

Kept apart from services/links.py, which another change is editing; the save verb can
move there once both have landed. Every read takes the acting user and answers
DoesNotExist for anyone else's object, like get_link.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from snapshelf.capture.normalize import normalize_url
from snapshelf.jobs.status import queue_status
from snapshelf.library.models import Link, Snapshot
from snapshelf.library.records import links_for, snapshot_for, url_hash
from snapshelf.related.links import RelatedLink, related_links
from snapshelf.related.suggest import suggest_tags
from snapshelf.search import index
from snapshelf.search.hits import SearchPage
from snapshelf.services import links as door
from snapshelf.services import listing

#: At most this many versions are listed per link.
MAX_VERSIONS = 1000


def save_link_with(
    owner: AbstractBaseUser,
    url: str,
    *,
    tags: Iterable[str] = (),
    title: str = "",
    note: str | None = None,
    visibility: str | None = None,
    mode: str | None = None,
    limited: bool = True,
) -> door.Saved:
    """save_link plus the note and visibility, committed together: the capture is queued
    once both are written (a failure leaves neither)."""
    with transaction.atomic():
        saved = door.save_link(owner, url, tags=tags, title=title, mode=mode, limited=limited)
        if note is not None or visibility is not None:
            changes = door.LinkChanges(note=note, visibility=visibility)
            door.edit_link(owner, saved.link, changes)
    return saved


def find_by_url(owner: AbstractBaseUser, url: str) -> Link:
    """The owner's link for `url` (compared normalised, as saving does); InvalidURL for a
    URL that could not be saved, Link.DoesNotExist when it is not saved."""
    key = url_hash(normalize_url(url))
    return links_for(owner).select_related("latest_snapshot").get(url_hash=key)


def snapshot_of(owner: AbstractBaseUser, snapshot_id: int) -> Snapshot:
    """The owner's snapshot; Snapshot.DoesNotExist for anyone else's."""
    return snapshot_for(owner, snapshot_id)


def snapshots_of(owner: AbstractBaseUser, link_id: int) -> list[Snapshot]:
    """The versions of the owner's link, newest first; Link.DoesNotExist for others'."""
    link = door.get_link(owner, link_id)
    heavy = ("text", "readable_html", "markdown", "timings")
    return list(link.snapshots.defer(*heavy).order_by("-version")[:MAX_VERSIONS])


def related_of(owner: AbstractBaseUser, link_id: int, limit: int = 5) -> list[RelatedLink]:
    """Related articles of the owner's link, best first (cached until the library changes)."""
    return related_links(door.get_link(owner, link_id), limit=limit)


def tag_suggestions_of(owner: AbstractBaseUser, link_id: int, limit: int = 5) -> list[str]:
    """Existing tags of the owner's that fit the link, best first."""
    return suggest_tags(door.get_link(owner, link_id), limit=limit)


def capture_status(owner: AbstractBaseUser) -> dict[str, Any]:
    """The owner's captures: queued, running, finished and failed lately."""
    return queue_status(owner)


def search_hits(
    owner: AbstractBaseUser, q: str, *, limit: int, offset: int, all_versions: bool = False
) -> SearchPage:
    """One page of the owner's search hits with snippets (the query language of the
    library's search box)."""
    return index.search(owner, q, limit=limit, offset=offset, all_versions=all_versions)


def search_link_ids(
    owner: AbstractBaseUser, filters: listing.Filters, *, limit: int, offset: int
) -> tuple[list[int], bool]:
    """Like the library's search box: the query language plus the list's tags and flags,
    archived links left out unless asked for; one page of link ids in rank order and
    whether more follow."""
    query = index.parse_query(filters.q)
    query = dataclasses.replace(
        query,
        tags=[*query.tags, *filters.tags],
        flags=list(dict.fromkeys([*query.flags, *filters.flags])),
    )
    ranked = index.ranked_ids(owner.pk, query, limit=limit, offset=offset, include_archived=False)
    return [pk for pk, _ in ranked[:limit]], len(ranked) > limit

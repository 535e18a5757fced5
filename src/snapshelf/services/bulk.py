"""Bulk actions on a user's links, part of the service door; foreign or unknown ids are
silently ignored."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from snapshelf.library import stamp
from snapshelf.library.models import Link
from snapshelf.library.records import get_or_create_tags
from snapshelf.search.index import reindex_links
from snapshelf.services.links import snapshot_many_again

ACTIONS = (
    "add_tags",
    "remove_tags",
    "mark_read",
    "mark_unread",
    "favorite",
    "unfavorite",
    "archive",
    "unarchive",
    "make_public",
    "make_unlisted",
    "make_private",
    "resnapshot",
    "delete",
)

_UPDATES = {
    "mark_read": {"unread": False},
    "mark_unread": {"unread": True},
    "favorite": {"favorite": True},
    "unfavorite": {"favorite": False},
    "archive": {"archived": True},
    "unarchive": {"archived": False},
    "make_public": {"visibility": Link.Visibility.PUBLIC},
    "make_unlisted": {"visibility": Link.Visibility.UNLISTED},
    "make_private": {"visibility": Link.Visibility.PRIVATE},
}


def owned(owner: AbstractBaseUser, ids: Iterable[int]):
    """Only the owner's links among `ids`: the one gate every action goes through."""
    return Link.objects.filter(owner=owner, pk__in=list(ids))


@transaction.atomic
def apply(
    owner: AbstractBaseUser,
    ids: Iterable[int],
    action: str,
    tags: Iterable[str] = (),
    *,
    limited: bool = True,
) -> int:
    """Run `action` on the owner's links among `ids`; returns how many links it touched.

    A re-snapshot takes one capture per link from the quota when `limited` (all or none:
    QuotaExceeded leaves every link as it was)."""
    links = owned(owner, ids)
    if action in _UPDATES:
        if "visibility" in _UPDATES[action]:  # public pages' cached answers change
            stamp.touch_owners([owner.pk])
        return links.update(**_UPDATES[action])
    if action == "delete":
        count = links.count()
        links.delete()
        return count
    if action == "resnapshot":
        return snapshot_many_again(owner, links, limited=limited)
    if action in ("add_tags", "remove_tags"):
        chosen = list(links.values_list("pk", flat=True))
        tag_objs = get_or_create_tags(owner, tags) if action == "add_tags" else []
        through = Link.tags.through
        if action == "add_tags":
            through.objects.bulk_create(
                [through(link_id=pk, tag_id=t.pk) for pk in chosen for t in tag_objs],
                ignore_conflicts=True,
            )
        else:
            names = [t.lower() for t in tags]
            through.objects.filter(link_id__in=chosen, tag__owner=owner).filter(
                tag__name__in=[t.name for t in owner.tags.all() if t.name.lower() in names]
            ).delete()
        reindex_links(chosen)  # the link-tag rows were written directly: no m2m signal
        return len(chosen)
    raise ValueError(f"unknown bulk action {action!r}")

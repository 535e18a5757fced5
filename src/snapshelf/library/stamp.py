"""A version number per library, bumped by every change to it, for cache keys.

Caches of answers computed over a whole library (related articles) key on it: one
indexed read tells whether anything changed, where recomputing a stamp from the
library's tables cost ~200 ms at 100,000 links. Bumped inside the transaction of the
change, so a reader never sees new data under an old version.

What bumps it: every write to the search index (snapshelf.search.index.reindex_links:
link edits, tags, captures, tag renames and deletions), deleted links, and changes of
visibility (which decide what public pages may show).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import F
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from snapshelf.accounts.models import Profile
from snapshelf.library.models import Link


def touch_owners(owner_ids: Iterable[int]) -> None:
    ids = sorted(set(owner_ids))
    if ids:
        Profile.objects.filter(user_id__in=ids).update(library_version=F("library_version") + 1)


def touch_links(link_ids: Iterable[int]) -> None:
    ids = list(link_ids)
    if ids:
        touch_owners(Link.objects.filter(pk__in=ids).values_list("owner_id", flat=True))


def library_version(owner_id: int) -> int:
    found = Profile.objects.filter(user_id=owner_id).values_list("library_version", flat=True)
    return next(iter(found), 0)


@receiver(post_delete, sender=Link, dispatch_uid="stamp-link-deleted")
def _link_deleted(sender, instance: Link, **kwargs) -> None:
    touch_owners([instance.owner_id])


@receiver(post_save, sender=Link, dispatch_uid="stamp-link-saved")
def _link_saved(sender, instance: Link, raw: bool = False, **kwargs) -> None:
    fields = kwargs.get("update_fields")
    if not raw and fields is not None and "visibility" in fields:
        touch_owners([instance.owner_id])  # other saves reach the index, which bumps

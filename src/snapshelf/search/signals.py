"""Index upkeep on model changes, inside the transaction that makes the change.

Paths that bypass model signals (QuerySet.update of text fields, bulk writes to the
link-tag table, a capture marking its snapshot done) call index.reindex_links themselves.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete
from django.dispatch import receiver

from snapshelf.library.models import Link, Snapshot, Tag


def _index():
    """The index module, loaded by the first change: every process registers these
    hooks, and most commands (list, show, status) change nothing (~30 ms of start-up)."""
    from snapshelf.search import index

    return index


#: Link fields whose change alters the link's search document.
_INDEXED_FIELDS = {"title", "note", "url", "latest_snapshot"}


@receiver(post_save, sender=Link, dispatch_uid="search-link-saved")
def link_saved(sender, instance: Link, created: bool, raw: bool = False, **kwargs) -> None:
    fields = kwargs.get("update_fields")
    if raw or (fields is not None and not (set(fields) & _INDEXED_FIELDS)):
        return
    _index().reindex_links([instance.pk])


@receiver(post_delete, sender=Link, dispatch_uid="search-link-deleted")
def link_deleted(sender, instance: Link, **kwargs) -> None:
    _index().delete_links([instance.pk])


@receiver(m2m_changed, sender=Link.tags.through, dispatch_uid="search-link-tags")
def link_tags_changed(sender, instance, action: str, reverse: bool, pk_set, **kwargs) -> None:
    if action == "pre_clear" and reverse:  # tag.links.clear(): remember whose tags change
        instance._search_clear_ids = list(instance.links.values_list("pk", flat=True))
        return
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    if not reverse:
        _index().reindex_links([instance.pk])
    elif action == "post_clear":
        _index().reindex_links(getattr(instance, "_search_clear_ids", []))
    else:
        _index().reindex_links(pk_set or [])


@receiver(post_save, sender=Tag, dispatch_uid="search-tag-saved")
def tag_saved(sender, instance: Tag, created: bool, raw: bool = False, **kwargs) -> None:
    if created or raw:
        return
    _index().reindex_links(instance.links.values_list("pk", flat=True))


@receiver(pre_delete, sender=Tag, dispatch_uid="search-tag-deleting")
def tag_deleting(sender, instance: Tag, **kwargs) -> None:
    instance._search_link_ids = list(instance.links.values_list("pk", flat=True))


@receiver(post_delete, sender=Tag, dispatch_uid="search-tag-deleted")
def tag_deleted(sender, instance: Tag, **kwargs) -> None:
    _index().reindex_links(getattr(instance, "_search_link_ids", []))


@receiver(post_delete, sender=Snapshot, dispatch_uid="search-snapshot-deleted")
def snapshot_deleted(sender, instance: Snapshot, **kwargs) -> None:
    """A finished capture going away can change its link's latest text, and takes its
    older-version row with it."""
    _index().delete_versions([instance.pk])
    if instance.status == Snapshot.Status.DONE and not _deleting_links(kwargs.get("origin")):
        _index().reindex_links([instance.link_id])


def _deleting_links(origin) -> bool:
    """Whether the deletion started from links (or their owner): then the links' own
    post_delete drops their documents, and re-indexing each one first is wasted work
    (~15 ms a link)."""
    model = getattr(origin, "model", None) or type(origin)
    return isinstance(model, type) and issubclass(model, (Link, get_user_model()))

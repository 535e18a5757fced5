"""Keeping the search index current: one document per link, written in the same
transaction as the change that calls for it (see snapshelf.search.index for who calls).

Others keep data derived from the documents (related articles' term vectors and topic
model): they register hooks (snapshelf.search.hooks), called here in the same
transaction as the write, so derived rows never outlive the document they came from.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.db import connection, transaction
from django.db.models import Exists, OuterRef

from snapshelf.library import stamp
from snapshelf.library.imports import NewLink
from snapshelf.library.models import Link, Snapshot
from snapshelf.search import hooks
from snapshelf.search.backends import get_backend
from snapshelf.search.backends.base import CHUNK, chunks
from snapshelf.search.documents import build, documents, older_versions, version_documents

VERSION_CHUNK = 100  # older versions' texts loaded at a time (each up to BODY_CHARS)

#: Bumped on every index write in this process, so in-process caches of index statistics
#: (related articles' document frequencies) know they are stale.
_generation = 0


def generation() -> int:
    """How many times this process has written to the index (see _generation)."""
    return _generation


def _changed() -> None:
    global _generation
    _generation += 1


def _add_versions(cursor, snapshot_ids: Iterable[int]) -> None:
    backend = get_backend()
    for chunk in chunks(sorted(snapshot_ids), VERSION_CHUNK):
        backend.insert_versions(cursor, list(version_documents(chunk)))


def _sync_versions(cursor, link_ids: list[int]) -> None:
    """Make these links' older-version rows match their finished captures: only rows that
    appear or go are written, so a tag edit does not re-analyze old texts."""
    older, every = older_versions(link_ids)
    have = get_backend().indexed_versions(cursor, link_ids, every)
    get_backend().delete_versions(cursor, sorted(have - older.keys()))
    _add_versions(cursor, older.keys() - have)


def reindex_links(link_ids: Iterable[int]) -> None:
    """Rewrite the documents of these links; ids of deleted links lose their document."""
    _changed()
    backend = get_backend()
    ids = sorted({int(pk) for pk in link_ids})
    stamp.touch_links(ids)  # what was computed over these libraries is stale now
    with connection.cursor() as cursor:
        for chunk in chunks(ids):
            backend.replace_documents(cursor, chunk, list(documents(chunk)))
            _sync_versions(cursor, chunk)
            for hook in hooks.reindexed:
                hook(chunk)


def index_new(links: Iterable[NewLink]) -> None:
    """Write the documents of links an import just created, from what it wrote: no
    capture of theirs is done, no document, older version or derived row (related
    articles' vectors) exists to replace, so nothing is read back or deleted, and the
    reindex hooks have nothing to drop."""
    links = list(links)
    if not links:
        return
    _changed()
    stamp.touch_owners({link.owner_id for link in links})
    backend = get_backend()
    with connection.cursor() as cursor:
        for start in range(0, len(links), CHUNK):
            chunk = links[start : start + CHUNK]
            backend.insert_documents(cursor, [build(link, None, link.tags) for link in chunk])


def delete_links(link_ids: Iterable[int]) -> None:
    """Drop the documents of these links."""
    _changed()
    backend = get_backend()
    with connection.cursor() as cursor:
        for chunk in chunks(sorted({int(pk) for pk in link_ids})):
            backend.delete_documents(cursor, chunk)


def delete_versions(snapshot_ids: Iterable[int]) -> None:
    """Drop the older-version rows of these snapshots (deleted captures). Related
    articles' statistics read only current documents: no _changed() here."""
    with connection.cursor() as cursor:
        get_backend().delete_versions(cursor, sorted({int(pk) for pk in snapshot_ids}))


def clear() -> None:
    """Empty the index."""
    _changed()
    get_backend().clear()


def rebuild(progress: Callable[[int, int], None] | None = None, chunk: int = 1000) -> int:
    """Index every link from scratch, in chunks (constant memory); returns the count.

    `progress(done, total)` is called after each chunk; the rebuild hooks run last.
    """
    with transaction.atomic():
        done = _rebuild_documents(progress, chunk)
    for hook in hooks.rebuilt:
        hook()
    return done


def _rebuild_documents(progress: Callable[[int, int], None] | None, chunk: int) -> int:
    backend = get_backend()
    clear()
    total = Link.objects.count()
    done = 0
    last = 0
    with connection.cursor() as cursor:
        backend.begin_rebuild(cursor)
        while True:
            ids = list(
                Link.objects.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:chunk]
            )
            if not ids:
                break
            backend.insert_documents(cursor, list(documents(ids)))
            _add_versions(cursor, older_versions(ids)[0])
            last = ids[-1]
            done += len(ids)
            if progress:
                progress(done, total)
        backend.finish_rebuild(cursor)
    return done


def versions_missing() -> bool:
    """True when no older version is indexed although some link has one (an instance
    upgraded from before the older-versions index): one indexed probe each way."""
    if get_backend().has_versions():
        return False
    done = Snapshot.objects.filter(status=Snapshot.Status.DONE)
    return done.filter(
        Exists(done.filter(link_id=OuterRef("link_id"), pk__lt=OuterRef("pk")))
    ).exists()


def index_versions(chunk: int = 1000) -> int:
    """Bring every link's older-version rows up to date (without touching the main
    documents); returns how many rows the table holds for them afterwards."""
    last = 0
    with connection.cursor() as cursor:
        while True:
            ids = list(
                Link.objects.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:chunk]
            )
            if not ids:
                break
            _sync_versions(cursor, ids)
            last = ids[-1]
    return get_backend().version_count()

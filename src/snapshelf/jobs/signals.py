"""Deleted snapshots free the blobs nothing else references (registered by JobsConfig).

Every process registers this hook at start, so it stays light: the queue (Huey, and
through it Redis' and psycopg's clients) and the capture stack load only when a
deletion commits and hands bytes to a worker.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial

from django.db import transaction
from django.db.models.signals import pre_delete
from django.dispatch import receiver

from snapshelf.library.models import Snapshot


def delete_bytes_later(shas: list[str], put_before: datetime) -> None:
    """Queue the job that deletes the freed blobs' bytes."""
    from snapshelf.jobs.tasks import delete_blob_bytes

    delete_blob_bytes(shas, put_before)


@receiver(pre_delete, sender=Snapshot, dispatch_uid="housekeeping-snapshot-deleting")
def _free_deleted_blobs(sender, instance: Snapshot, using: str, origin=None, **kwargs) -> None:
    """Deleted snapshots' blobs that nothing else references go once the deletion commits;
    their bytes are deleted by a worker."""
    from snapshelf.library import housekeeping  # the blob store: only when deleting

    shas = housekeeping.blobs_of_deletion(instance, origin)
    if shas:
        free = partial(housekeeping.free_blobs, shas, bytes_later=delete_bytes_later)
        transaction.on_commit(free, using=using, robust=True)

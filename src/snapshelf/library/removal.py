"""Deleting one version (snapshot) of a link; its unshared blobs are freed on commit."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from snapshelf.library.models import Link, Snapshot


class VersionInUse(ValueError):
    """The version is still being captured: deleting it would race with its worker."""


@transaction.atomic
def delete_snapshot(owner: AbstractBaseUser, snapshot_id: int) -> Link:
    """Delete one of the owner's snapshots (Snapshot.DoesNotExist for anyone else's).

    When it was the link's latest, the newest remaining finished version takes its
    place (None when there is none). Returns the link."""
    snap = Snapshot.objects.select_for_update().get(pk=snapshot_id, link__owner=owner)
    if snap.status in (Snapshot.Status.QUEUED, Snapshot.Status.RUNNING):
        raise VersionInUse("this version is still being captured")
    link = Link.objects.select_for_update().get(pk=snap.link_id)
    was_latest = link.latest_snapshot_id == snap.pk
    snap.delete()  # resources cascade; housekeeping collects the blobs first
    if was_latest:
        link.latest_snapshot = (
            link.snapshots.filter(status=Snapshot.Status.DONE).order_by("-version").first()
        )
        # through save(): the search index and the title sort follow the new latest
        link.save(update_fields=["latest_snapshot", "sort_title", "updated"])
    return link

"""Versions of a link: whether a re-capture found anything new, what changed, and the
record of re-captures that found nothing new.

A re-capture whose text (and title) equal the previous done version is not kept as a
new version unless it was forced: the fetch is recorded on the version it matched
("checked N times, last …"), so the version list shows real changes only.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from snapshelf.library.diff import describe, diff_texts, paragraphs, same_text
from snapshelf.library.models import Link, Snapshot
from snapshelf.storage import sha256_hex


def previous_done(snap: Snapshot) -> Snapshot | None:
    """The newest done version of the snapshot's link older than it (None for a first one)."""
    return (
        Snapshot.objects.filter(
            link_id=snap.link_id, status=Snapshot.Status.DONE, version__lt=snap.version
        )
        .order_by("-version")
        .only("id", "link_id", "version", "title", "text", "original_blob_id")
        .first()
    )


def is_unchanged(previous: Snapshot, *, title: str, text: str, body: bytes) -> bool:
    """Same title and paragraphs; a capture without text (an image, an empty page) is the
    same only when the document bytes are."""
    if not same_text(previous.text, text, old_title=previous.title, new_title=title):
        return False
    return bool(paragraphs(text)) or previous.original_blob_id == sha256_hex(body)


def keep_previous(snap: Snapshot, previous: Snapshot) -> bool:
    """Drop the running capture `snap` in favour of `previous`, which has the same text.

    In one transaction: the link points back at `previous` (if it pointed at `snap`), the
    `snap` row goes, and the check is recorded on `previous`. False (nothing changed) if
    `snap` is no longer running, e.g. its link was deleted meanwhile.
    """
    with transaction.atomic():
        Link.objects.filter(pk=snap.link_id, latest_snapshot_id=snap.pk).update(
            latest_snapshot_id=previous.pk
        )
        deleted, _ = Snapshot.objects.filter(pk=snap.pk, status=Snapshot.Status.RUNNING).delete()
        if not deleted:
            transaction.set_rollback(True)
            return False
        Snapshot.objects.filter(pk=previous.pk).update(
            checks=F("checks") + 1, last_checked=timezone.now(), last_check_id=snap.pk
        )
    return True


def changes_since(previous: Snapshot, *, title: str, text: str) -> dict:
    """What changed from `previous`, as stored on the new version (see diff.describe)."""
    diff = diff_texts(previous.text, text, old_title=previous.title, new_title=title)
    return {"from_version": previous.version, "from_id": previous.pk, **diff.counts()}


def has_changes(changes: dict) -> bool:
    return bool(
        changes.get("changed")
        or changes.get("added")
        or changes.get("removed")
        or changes.get("title_changed")
    )


def flag_watched_change(link_id: int, changes: dict) -> None:
    """A watched link that got a changed version is highlighted until its owner looks."""
    if has_changes(changes):
        Link.objects.filter(pk=link_id, watch_hours__gt=0).update(changed=timezone.now())


def kept_for(link: Link, snapshot_id: int) -> Snapshot | None:
    """The version a capture that found no change was folded into (None if unknown), so
    a page polling the vanished capture can say where it went."""
    return link.snapshots.filter(last_check_id=snapshot_id).first()


def annotate_versions(rows: list[Snapshot]) -> list[Snapshot]:
    """For the version list (no queries): each row gets `summary`, the stored change counts
    in words, and `diff_from`, the previous done version to compare it with (or None)."""
    previous: dict[int, Snapshot | None] = {}
    last = None
    for row in sorted(rows, key=lambda r: r.version):
        if row.status == Snapshot.Status.DONE:
            previous[row.pk] = last
            last = row
    for row in rows:
        row.summary = describe(row.changes) if row.changes else ""
        row.diff_from = previous.get(row.pk)
    return rows

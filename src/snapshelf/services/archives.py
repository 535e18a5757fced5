"""The door for captures made elsewhere: a page someone else archived (a WARC file)
becomes a snapshot of the owner's link without fetching anything.

The capture itself (document, resources, replay document) is built by the caller from
the archive (`snapshelf.io.warc.capture_archived`); this verb writes it the way a live
capture commits (`jobs.capture.commit_result`: blobs, then one transaction), inside one
outer transaction with the link, its tags and the new version, so a failure leaves
nothing behind and no half-made snapshot is ever visible or left for a worker.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from snapshelf.capture.normalize import normalize_url
from snapshelf.capture.static import CaptureResult
from snapshelf.jobs.capture import commit_result
from snapshelf.library import records
from snapshelf.library.models import Snapshot
from snapshelf.services.links import Saved


def save_archive(
    owner: AbstractBaseUser,
    url: str,
    result: CaptureResult,
    *,
    tags: Iterable[str] = (),
    captured_at: datetime | None = None,
) -> Saved:
    """Save `url` for `owner` with `result` as a new version (mode "imported").

    No capture quota is taken: nothing is fetched or queued. When the link's newest
    version already has the same text, nothing new is kept and that version answers
    (`Saved.snapshot`), as when a live capture finds no change. `captured_at` (when the
    archive was made) becomes the version's capture time. Raises InvalidURL for a URL
    that cannot be saved.
    """
    normalize_url(url)
    started = time.perf_counter()
    with transaction.atomic():
        link, _created = records.get_or_create_link(owner, url)
        tag_objs = records.get_or_create_tags(owner, tags)
        if tag_objs:
            link.tags.add(*tag_objs)
        snap = records.new_snapshot(link, Snapshot.Mode.IMPORTED)
        # running, as a claimed capture is: commit_result and its no-change check expect it
        Snapshot.objects.filter(pk=snap.pk).update(
            status=Snapshot.Status.RUNNING, started=timezone.now(), attempts=1
        )
        snap.status = Snapshot.Status.RUNNING
        result.mode = Snapshot.Mode.IMPORTED
        kept = commit_result(snap, result, started)
        if kept is None and captured_at is not None:
            Snapshot.objects.filter(pk=snap.pk).update(finished=captured_at)
    link.refresh_from_db()
    answer = Snapshot.objects.select_related("link").get(pk=kept if kept is not None else snap.pk)
    return Saved(link, answer)

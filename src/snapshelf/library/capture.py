"""Run a capture for a queued snapshot and commit its result.

Blobs are written first (atomically, by content address); then one
transaction creates the resources and flips the snapshot to `done`. A crash
in between leaves unreferenced blobs (swept later), never a half-visible snapshot.
"""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from snapshelf.capture.static import CaptureResult, Limits, capture_static
from snapshelf.errors import CaptureError
from snapshelf.library.models import Blob, Link, Resource, Snapshot, sort_key
from snapshelf.net import Fetcher, Guard
from snapshelf.search.index import reindex_links
from snapshelf.storage import BlobInfo, get_blob_store

log = logging.getLogger(__name__)


def capture_limits() -> Limits:
    return Limits.from_dict(settings.SNAPSHELF_CAPTURE)


def make_fetcher(limits: Limits) -> Fetcher:
    return Fetcher(Guard.from_env(), connect_timeout=limits.connect_timeout)


def run_capture(snapshot_id: int) -> Snapshot:
    """Capture a snapshot; idempotent (a `done` snapshot is left alone)."""
    claimed = Snapshot.objects.filter(
        pk=snapshot_id, status__in=[Snapshot.Status.QUEUED, Snapshot.Status.RUNNING]
    ).update(status=Snapshot.Status.RUNNING, started=timezone.now(), error_code="", error="")
    snap = Snapshot.objects.select_related("link").get(pk=snapshot_id)
    if not claimed:
        return snap
    limits = capture_limits()
    t0 = time.perf_counter()
    try:
        with make_fetcher(limits) as fetcher:
            result = capture_static(snap.link.url_normalized, fetcher, limits)
        commit_result(snap, result, t0)
    except CaptureError as exc:
        mark_failed(snap, exc.code, str(exc))
    except Exception as exc:  # a bug must not leave the snapshot running forever
        log.exception("capture of snapshot %s crashed", snapshot_id)
        mark_failed(snap, "internal", f"internal error: {type(exc).__name__}: {exc}")
    snap.refresh_from_db()
    return snap


def mark_failed(snap: Snapshot, code: str, message: str) -> None:
    Snapshot.objects.filter(pk=snap.pk).update(
        status=Snapshot.Status.FAILED,
        error_code=code,
        error=message[:2000],
        finished=timezone.now(),
    )


def _blob_row(info: BlobInfo) -> Blob:
    return Blob(sha256=info.sha256, size=info.size, stored_size=info.stored_size)


def commit_result(snap: Snapshot, result: CaptureResult, started: float) -> None:
    store = get_blob_store()
    doc = result.document
    blobs: dict[str, Blob] = {}

    def put(data: bytes) -> str:
        info = store.put(data)
        blobs.setdefault(info.sha256, _blob_row(info))
        return info.sha256

    t0 = time.perf_counter()
    original = put(doc.body)
    root = put(result.replay_html.encode("utf-8")) if result.replay_html is not None else None
    resources = []
    for res in result.resources:
        blob = put(res.original) if not res.error_code else None
        replay = put(res.replay) if res.replay is not None and not res.error_code else None
        resources.append(
            Resource(
                snapshot_id=snap.pk,
                url=res.url,
                kind=res.kind,
                content_type=res.content_type[:200],
                http_status=res.status or None,
                blob_id=blob,
                replay_blob_id=replay,
                error_code=res.error_code or "",
                error=(res.error or "")[:2000],
            )
        )
    stored = [r for r in resources if r.blob_id]
    total = len(doc.body) + sum(len(r.original) for r in result.resources if not r.error_code)
    t1 = time.perf_counter()
    ex = doc.extracted
    timings = dict(result.timings, store_ms=round((t1 - t0) * 1000, 1))
    with transaction.atomic():
        Blob.objects.bulk_create(list(blobs.values()), ignore_conflicts=True)
        Resource.objects.filter(snapshot_id=snap.pk).delete()  # a retried capture starts clean
        Resource.objects.bulk_create(resources)
        timings["total_ms"] = round((time.perf_counter() - started) * 1000, 1)
        Snapshot.objects.filter(pk=snap.pk).update(
            status=Snapshot.Status.DONE,
            error_code="",
            error="",
            finished=timezone.now(),
            http_status=doc.http_status,
            final_url=doc.final_url,
            content_type=doc.content_type[:200],
            charset=doc.charset,
            kind=doc.kind,
            title=ex.title,
            author=ex.author,
            published=ex.date[:40],
            site_name=ex.site_name,
            language=ex.language[:20],
            description=ex.description,
            image_url=ex.image,
            text=ex.text,
            readable_html=ex.html,
            markdown=ex.markdown,
            word_count=ex.word_count,
            fingerprint=result.fingerprint,
            original_blob_id=original,
            root_blob_id=root,
            total_bytes=total,
            resource_count=len(stored),
            timings=timings,
        )
        Link.objects.filter(pk=snap.link_id, title="", latest_snapshot_id=snap.pk).update(
            sort_title=sort_key(ex.title or snap.link.url)
        )
        reindex_links([snap.link_id])  # the new text is searchable as it commits

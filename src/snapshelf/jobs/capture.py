"""Run a capture for a queued snapshot and commit its result.

Blobs are written first (atomically, by content address); then one
transaction creates the resources and flips the snapshot to `done`. A crash
in between leaves unreferenced blobs (swept later), never a half-visible snapshot.
"""

from __future__ import annotations

import atexit
import errno
import logging
import random
import threading
import time
from datetime import timedelta
from typing import Literal

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from snapshelf.capture import browser_host
from snapshelf.capture.browser import RemoteBrowser, capture_browser
from snapshelf.capture.browser_check import browser_available, browser_path
from snapshelf.capture.browser_service import BrowserService
from snapshelf.capture.isolate import Session
from snapshelf.capture.static import CaptureResult, Limits, capture_static, capture_uploaded
from snapshelf.errors import (
    CaptureError,
    DiskFull,
    ExtractFailed,
    TooComplex,
    Unsupported,
    WorkerLost,
    is_transient,
)
from snapshelf.jobs.outcome import Captured
from snapshelf.library import usage, versions
from snapshelf.library.diff import diff_texts
from snapshelf.library.models import Blob, Link, Resource, Snapshot, sort_key
from snapshelf.net import Fetcher, Guard
from snapshelf.reading import highlights
from snapshelf.search.index import reindex_links
from snapshelf.storage import BlobInfo, get_blob_store

log = logging.getLogger(__name__)


def capture_limits() -> Limits:
    return Limits.from_dict(settings.SNAPSHELF_CAPTURE)


def make_fetcher(limits: Limits) -> Fetcher:
    return Fetcher(Guard.from_env(), connect_timeout=limits.connect_timeout)


_service: BrowserService | None = None
_hosted: browser_host.HostedBrowser | Literal[False] | None = None  # None: not looked up
_service_lock = threading.Lock()


def browser_service() -> BrowserService | RemoteBrowser | None:
    """The browser this process captures with: its worker's browser host when it has one
    (capture/browser_host.py), else its own, started on first use; None without a usable
    browser."""
    global _service, _hosted
    if not browser_available()[0]:
        return None
    with _service_lock:
        if _hosted is None:
            _hosted = browser_host.hosted(Guard.from_env()) or False
        if _hosted and not _hosted.gone:
            return _hosted
        if _service is None:
            _service = BrowserService(browser_path()).start()
            atexit.register(_service.stop)
        return _service


def capture_document(snap: Snapshot, fetcher: Fetcher, limits: Limits) -> CaptureResult:
    """Static, browser, or auto: static first, the browser when the page is script-rendered
    (and the static capture when the browser fails)."""
    url = snap.link.url_normalized
    if snap.mode == Snapshot.Mode.UPLOAD and snap.original_blob_id:
        body = get_blob_store().get(snap.original_blob_id)
        result = capture_uploaded(url, body, fetcher, limits)
        result.mode = Snapshot.Mode.UPLOAD
        return result
    if snap.mode == Snapshot.Mode.BROWSER:
        service = browser_service()
        if service is None:
            raise Unsupported(f"browser capture was asked for, but {browser_available()[1]}")
        return _capture_browser(url, limits, fetcher, service)
    # Auto mode's verdict is a fifth of a static capture's parsing CPU: without a browser
    # to send the page to, nobody would act on it.
    judge = snap.mode == Snapshot.Mode.AUTO and browser_available()[0]
    result = capture_static(url, fetcher, limits, auto=judge)
    decision = result.auto
    if decision is not None and result.document.kind == "html":
        service = browser_service() if decision.use_browser else None
        if service is not None:
            try:
                result = _capture_browser(url, limits, fetcher, service)
            except CaptureError as exc:
                # The static capture is a whole snapshot already: keep it rather than fail
                # (or retry) the link because the browser could not add to it.
                log.warning("auto capture of %s stays static: %s", url, exc)
                result.timings["browser_error"] = str(exc)[:300]
            result.timings["auto_reason"] = decision.reason
    return result


def _capture_browser(
    url: str, limits: Limits, fetcher: Fetcher, service: BrowserService | RemoteBrowser
) -> CaptureResult:
    try:
        return capture_browser(url, limits, fetcher=fetcher, service=service)
    except browser_host.HostGone as exc:  # the worker's browser host died: go it alone
        log.warning("browser host gone (%s): this process starts its own browser", exc)
        own = browser_service()
        if own is None or own is service:
            raise
        return capture_browser(url, limits, fetcher=fetcher, service=own)


def retry_delay(attempt: int, exc: CaptureError) -> float:
    """Seconds before try number `attempt + 1`: exponential with full jitter, or what the
    server asked for with Retry-After (bounded)."""
    policy = settings.SNAPSHELF_RETRY
    retry_after = getattr(exc, "retry_after", None)
    if retry_after is not None:
        return min(float(retry_after), policy["max_delay"])
    ceiling = min(policy["base_delay"] * 2 ** (attempt - 1), policy["max_delay"])
    return ceiling / 2 + random.uniform(0, ceiling / 2)


def run_capture(snapshot_id: int, *, retry: bool = True) -> Captured:
    """Capture a snapshot; idempotent (a `done` snapshot is left alone).

    A transient failure (connection, timeout, 5xx, 429) with tries left puts the
    snapshot back to `queued` and gives `retry_in` (seconds) for the caller to
    schedule; permanent failures (blocked, 4xx, too large, unsupported) fail at once.
    """
    # Only a queued snapshot is claimed: a duplicate delivery of the job finds it running
    # (or done) and leaves it; a dead worker's capture comes back through recover_stale.
    claimed = Snapshot.objects.filter(pk=snapshot_id, status=Snapshot.Status.QUEUED).update(
        status=Snapshot.Status.RUNNING,
        started=timezone.now(),
        error_code="",
        error="",
        attempts=F("attempts") + 1,
    )
    snap = Snapshot.objects.select_related("link").get(pk=snapshot_id)
    if not claimed:
        return Captured(snap)
    limits = capture_limits()
    t0 = time.perf_counter()
    try:
        with make_fetcher(limits) as fetcher:
            result = capture_document(snap, fetcher, limits)
        kept = commit_result(snap, result, t0)
    except CaptureError as exc:
        retry_in = _fail_or_requeue(snap, exc, retry)
    except Exception as exc:  # a bug must not leave the snapshot running forever
        crash = disk_full(exc)
        if crash is None:
            log.exception("capture of snapshot %s crashed", snapshot_id)
            crash = CaptureError(f"internal error: {type(exc).__name__}: {exc}", code="internal")
        retry_in = _fail_or_requeue(snap, crash, retry)
    else:
        retry_in = None
        if kept is not None:  # nothing changed: the snapshot row is gone, the kept one answers
            kept_snap = Snapshot.objects.select_related("link").get(pk=kept)
            return Captured(kept_snap, unchanged=True, discarded_id=snapshot_id)
    snap.refresh_from_db()
    return Captured(snap, retry_in=retry_in)


def disk_full(exc: BaseException) -> DiskFull | None:
    """A full disk (blob store or database), told apart from a bug: the operator has to
    make room, and the user should read that rather than "internal error"."""
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return DiskFull(
            f"the disk is full: {exc.strerror or exc}; nothing of this capture was kept"
        )
    if "database or disk is full" in str(exc):  # SQLite's SQLITE_FULL
        return DiskFull(f"the disk is full: {exc}; nothing of this capture was kept")
    return None


def _fail_or_requeue(snap: Snapshot, exc: CaptureError, retry: bool) -> float | None:
    if retry and is_transient(exc) and snap.attempts < settings.SNAPSHELF_RETRY["attempts"]:
        delay = retry_delay(snap.attempts, exc)
        Snapshot.objects.filter(pk=snap.pk).update(
            status=Snapshot.Status.QUEUED,
            error_code=exc.code,
            error=f"try {snap.attempts} failed, retrying in {delay:.0f} s: {exc}"[:2000],
        )
        return delay
    mark_failed(snap, exc.code, str(exc))
    return None


def recover_stale(lease: float | None = None) -> list[int]:
    """Snapshots left `running` past the lease (their worker died) go back to the queue,
    unless they have had every try (SNAPSHELF_CAPTURE_ATTEMPTS): then they fail as
    `worker_lost`, so a page that kills its worker is not handed to the next one forever.
    Returns the ids queued again.

    The lease is longer than a capture's deadline, so a live capture is never taken."""
    lease = lease if lease is not None else settings.SNAPSHELF_RETRY["lease"]
    cutoff = timezone.now() - timedelta(seconds=lease)
    tries = settings.SNAPSHELF_RETRY["attempts"]
    candidates = Snapshot.objects.filter(
        status=Snapshot.Status.RUNNING, started__lt=cutoff
    ).values_list("pk", "attempts")
    recovered = []
    for pk, attempts in list(candidates):
        # one row at a time: with several workers recovering, each snapshot goes to one
        running = Snapshot.objects.filter(pk=pk, status=Snapshot.Status.RUNNING)
        if attempts >= tries:
            lost = WorkerLost(
                f"the worker running this capture stopped on each of its {attempts} tries "
                "(killed, crashed or out of memory); it is not tried again"
            )
            running.update(
                status=Snapshot.Status.FAILED,
                error_code=lost.code,
                error=str(lost),
                finished=timezone.now(),
            )
            continue
        moved = running.update(
            status=Snapshot.Status.QUEUED,
            error_code="lease_expired",
            error="the worker running this capture stopped; it was queued again",
        )
        if moved:
            recovered.append(pk)
    return recovered


def mark_failed(snap: Snapshot, code: str, message: str) -> None:
    Snapshot.objects.filter(pk=snap.pk).update(
        status=Snapshot.Status.FAILED,
        error_code=code,
        error=message[:2000],
        finished=timezone.now(),
    )


def _changes_since(previous: Snapshot, title: str, text: str) -> dict:
    """What changed from `previous` (versions.changes_since), worked out in a parse helper
    within the capture's limits: the paragraph diff is quadratic on hostile texts (20,000
    repeated paragraphs take minutes). Past the limits the version is kept without counts."""
    try:
        with Session(capture_limits().budget()) as session:
            counts = session.call_plain(
                diff_texts,
                previous.text,
                text,
                old_title=previous.title,
                new_title=title,
                then="counts",
            )
    except TooComplex:
        log.warning("the text diff against v%s was too complex; not counted", previous.version)
        counts = {"too_complex": True}
    return {"from_version": previous.version, "from_id": previous.pk, **counts}


def _blob_row(info: BlobInfo) -> Blob:
    return Blob(sha256=info.sha256, size=info.size, stored_size=info.stored_size)


def commit_result(snap: Snapshot, result: CaptureResult, started: float) -> int | None:
    """Store and mark done (None); or, when the text equals the previous version and the
    snapshot was not forced, drop it, record the check on that version and return its id
    (nothing is stored)."""
    doc = result.document
    previous = versions.previous_done(snap)
    ex = doc.extracted
    if (
        previous is not None
        and not snap.force
        and versions.is_unchanged(previous, title=ex.title, text=ex.text, body=doc.body)
        and versions.keep_previous(snap, previous)
    ):
        return previous.pk
    changes = _changes_since(previous, ex.title, ex.text) if previous else {}
    total = len(doc.body) + sum(len(r.original) for r in result.resources if not r.error_code)
    artefacts = getattr(result, "artefacts", {})
    # the full-page image when there is one (it shows the whole page), else the viewport
    shot = artefacts.get("screenshot_full") or artefacts.get("screenshot")
    images = len(shot or b"") + len(artefacts.get("pdf") or b"")
    # past the owner's quota (screenshot and PDF included): nothing is stored
    usage.check_commit(snap.link.owner_id, total + images)
    store = get_blob_store()
    blobs: dict[str, Blob] = {}

    def put(data: bytes) -> str:
        info = store.put(data)
        blobs.setdefault(info.sha256, _blob_row(info))
        return info.sha256

    t0 = time.perf_counter()
    original = put(doc.body)
    root = put(result.replay_html.encode("utf-8")) if result.replay_html is not None else None
    screenshot = put(shot) if shot else None
    pdf = put(artefacts["pdf"]) if artefacts.get("pdf") else None
    resources = []
    resource_headers = getattr(result, "resource_headers", {})
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
                headers=[list(pair) for pair in resource_headers.get(res.url, ())],
                blob_id=blob,
                replay_blob_id=replay,
                error_code=res.error_code or "",
                error=(res.error or "")[:2000],
            )
        )
    stored = [r for r in resources if r.blob_id]
    t1 = time.perf_counter()
    timings = dict(result.timings, store_ms=round((t1 - t0) * 1000, 1))
    with transaction.atomic():
        Blob.objects.bulk_create(list(blobs.values()), ignore_conflicts=True)
        Resource.objects.filter(snapshot_id=snap.pk).delete()  # a retried capture starts clean
        Resource.objects.bulk_create(resources)
        timings["total_ms"] = round((time.perf_counter() - started) * 1000, 1)
        Snapshot.objects.filter(pk=snap.pk).update(
            status=Snapshot.Status.DONE,
            # done, with the document kept, but its text could not be read
            error_code=ExtractFailed.code if doc.extract_error else "",
            error=doc.extract_error[:2000],
            finished=timezone.now(),
            http_status=doc.http_status,
            final_url=doc.final_url,
            content_type=doc.content_type[:200],
            charset=doc.charset,
            kind=doc.kind,
            headers=[list(pair) for pair in doc.headers],
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
            mode=getattr(result, "mode", Snapshot.Mode.STATIC),
            screenshot_blob_id=screenshot,
            pdf_blob_id=pdf,
            changes=changes,
        )
        versions.flag_watched_change(snap.link_id, changes)
        Link.objects.filter(pk=snap.link_id, title="", latest_snapshot_id=snap.pk).update(
            sort_title=sort_key(ex.title or snap.link.url)
        )
        highlights.reattach(snap.link_id, snap.pk, ex.html)  # followed, or marked orphaned
        reindex_links([snap.link_id])  # the new text is searchable as it commits
    return None

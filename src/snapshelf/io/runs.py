"""Imports started from the web: the upload is kept in the data directory, a worker
imports it through the service door and writes its progress and report on the run.

A worker that dies mid-import (killed, out of memory, the machine restarted) leaves its
run `running`; its progress writes are a lease, and a run silent for LEASE is queued
again (recover_stale, every minute). The next worker reads the file from the start:
rows already written merge with themselves (an import is idempotent), so nothing is
saved twice; after ATTEMPTS claims the run fails with a reason instead."""

from __future__ import annotations

from contextlib import ExitStack
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from snapshelf.io.importers import UnknownFormat, detect, open_import
from snapshelf.io.models import REPORT_ROWS, ImportRun
from snapshelf.io.warc import WarcError
from snapshelf.io.warc_import import import_warc
from snapshelf.services.imports import ImportReport, import_links

#: a run whose worker wrote no progress for this long has lost its worker (a batch of
#: BATCH rows takes seconds; the longest, a wallabag batch with its articles, < 1 min)
LEASE = timedelta(minutes=10)
#: workers that may claim one run before it fails (a file that kills its worker)
ATTEMPTS = 3


def upload_path(run: ImportRun) -> Path:
    return Path(settings.DATA_DIR) / "imports" / f"{run.pk}.upload"


def start_import(
    owner: AbstractBaseUser, upload: UploadedFile, *, tags: list[str], capture: bool
) -> ImportRun:
    """Keep the uploaded file and queue its import; the run reports on its progress."""
    from snapshelf.io.tasks import run_import

    run = ImportRun.objects.create(
        owner=owner,
        filename=(upload.name or "upload")[:255],
        size=upload.size or 0,
        tags=tags,
        capture=capture,
    )
    path = upload_path(run)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        for chunk in upload.chunks():
            f.write(chunk)
    transaction.on_commit(lambda: run_import(run.pk))
    return run


def run_import_now(run_id: int) -> ImportRun:
    """Import a queued run's file (a worker calls this); a claimed run is never run twice."""
    claimed = ImportRun.objects.filter(pk=run_id, state=ImportRun.State.QUEUED).update(
        state=ImportRun.State.RUNNING, heartbeat=timezone.now(), attempts=F("attempts") + 1
    )
    run = ImportRun.objects.get(pk=run_id)
    if not claimed:
        return run
    path = upload_path(run)
    try:
        if detect(path) == "warc":
            _run_warc(run, path)
            return run
        with ExitStack() as stack:
            opened = open_import(path, stack)
            run.format = opened.format
            run.save(update_fields=["format"])

            def progress(report: ImportReport) -> None:
                _write(run, report, opened.position())

            report = import_links(
                run.owner, opened.rows, tags=run.tags, capture=run.capture, progress=progress
            )
        _write(run, report, run.size)
        run.state = ImportRun.State.DONE
    except (UnknownFormat, WarcError, OSError) as exc:
        run.state, run.error = ImportRun.State.FAILED, str(exc)
    except Exception:
        run.state, run.error = ImportRun.State.FAILED, "the import stopped on an internal error"
        raise
    finally:
        run.finished = timezone.now()
        run.save()
        path.unlink(missing_ok=True)
    return run


def _run_warc(run: ImportRun, path: Path) -> None:
    run.format = "warc"

    def progress(done: int, total: int, url: str) -> None:
        run.position, run.added = round(run.size * done / max(total, 1)), done
        run.heartbeat = timezone.now()
        run.save(update_fields=["position", "added", "heartbeat"])

    run.added = len(import_warc(run.owner, path, tags=run.tags, progress=progress))
    run.position, run.state = run.size, ImportRun.State.DONE


def _write(run: ImportRun, report: ImportReport, position: int) -> None:
    run.position = position
    run.added, run.merged, run.queued = report.added, report.merged, report.queued
    run.rejected_count = len(report.rejected)
    run.rejected = [[r.line, r.text[:300], r.reason] for r in report.rejected[:REPORT_ROWS]]
    run.heartbeat = timezone.now()
    run.save()


def recover_stale(lease: timedelta = LEASE) -> list[int]:
    """Runs left `running` past the lease go back to the queue, or fail after ATTEMPTS
    claims (or when their file is gone); returns the ids to queue again."""
    cutoff = timezone.now() - lease
    # a run left running by a version without leases has no heartbeat: its age counts
    silent = Q(heartbeat__lt=cutoff) | Q(heartbeat__isnull=True, created__lt=cutoff)
    stale = ImportRun.objects.filter(silent, state=ImportRun.State.RUNNING)
    recovered = []
    for run in list(stale.only("pk", "attempts")):
        # one row at a time, still stale: with several workers recovering, one wins each
        still = stale.filter(pk=run.pk)
        if run.attempts >= ATTEMPTS or not upload_path(run).exists():
            still.update(
                state=ImportRun.State.FAILED,
                error=(
                    f"the worker importing this file stopped on each of its {run.attempts} "
                    "tries (killed, crashed or out of memory); links written before stay"
                    if run.attempts >= ATTEMPTS
                    else "the worker importing this file stopped and the file is gone"
                ),
                finished=timezone.now(),
            )
            upload_path(run).unlink(missing_ok=True)
        elif still.update(state=ImportRun.State.QUEUED, error=""):
            recovered.append(run.pk)
    return recovered

"""What the capture queue is doing: depth, running captures, retries, recent failures.

One function serves `snapshelf status` (the operator's view of every user) and the web
Jobs page (a user's own captures): both read the snapshots themselves, which are the
truth about every capture whichever queue backend carries the tasks.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, Min, Q
from django.utils import timezone

from snapshelf.jobs import hosts
from snapshelf.jobs.peek import queue_numbers
from snapshelf.library.models import Snapshot

RECENT = timedelta(hours=24)


def _row(snap: Snapshot) -> dict[str, Any]:
    return {
        "snapshot_id": snap.pk,
        "link_id": snap.link_id,
        "url": snap.link.url,
        "title": snap.link.display_title,
        "status": snap.status,
        "attempts": snap.attempts,
        "created": snap.created,
        "started": snap.started,
        "finished": snap.finished,
        "error_code": snap.error_code,
        "error": snap.error,
    }


def queue_status(owner: AbstractBaseUser | None = None, limit: int = 20) -> dict[str, Any]:
    """The state of captures, of `owner`'s links only when given."""
    snaps = Snapshot.objects.select_related("link", "link__latest_snapshot")
    if owner is not None:
        snaps = snaps.filter(link__owner=owner)
    since = timezone.now() - RECENT
    active = Q(status__in=[Snapshot.Status.QUEUED, Snapshot.Status.RUNNING])
    counts = snaps.filter(active).aggregate(
        queued=Count("pk", filter=Q(status=Snapshot.Status.QUEUED)),
        running=Count("pk", filter=Q(status=Snapshot.Status.RUNNING)),
        retrying=Count("pk", filter=Q(status=Snapshot.Status.QUEUED, attempts__gt=0)),
        oldest=Min("created", filter=Q(status=Snapshot.Status.QUEUED)),
    )
    finished = snaps.filter(
        status__in=[Snapshot.Status.DONE, Snapshot.Status.FAILED], finished__gte=since
    ).aggregate(
        done=Count("pk", filter=Q(status=Snapshot.Status.DONE)),
        failed=Count("pk", filter=Q(status=Snapshot.Status.FAILED)),
    )
    in_progress = snaps.filter(active).order_by("status", "created", "pk")[:limit]
    failures = snaps.filter(status=Snapshot.Status.FAILED).order_by("-finished", "-pk")[:limit]
    status: dict[str, Any] = {
        "queued": counts["queued"],
        "running": counts["running"],
        "retrying": counts["retrying"],
        "oldest_queued": counts["oldest"],
        "done_24h": finished["done"],
        "failed_24h": finished["failed"],
        "in_progress": [_row(s) for s in in_progress],
        "recent_failures": [_row(s) for s in failures],
    }
    if owner is None:  # the operator also sees the queue and the hosts being captured
        status["queue"] = _queue_backend()
        status["busy_hosts"] = hosts.busy_hosts()
        status["host_limit"] = hosts.limit()
    return status


def _queue_backend() -> dict[str, Any]:
    backend = "redis" if settings.SNAPSHELF_REDIS_URL else "sqlite"
    try:
        return {"backend": backend, **queue_numbers()}
    except Exception as exc:  # noqa: BLE001  (an unreachable queue is itself the news)
        return {"backend": backend, "error": f"{type(exc).__name__}: {exc}"}

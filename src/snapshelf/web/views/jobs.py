"""The user's own captures: what is queued, running, retrying and what failed lately."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import Max
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from snapshelf.jobs.status import queue_status
from snapshelf.library.models import Snapshot
from snapshelf.services import quota
from snapshelf.web.archive import app_page


def _still_failing(rows: list[dict]) -> list[dict]:
    """Failures a later version of the same link has not made good: once a capture
    succeeds, the link's earlier failures are history, not something to retry."""
    ids = {row["link_id"] for row in rows}
    succeeded = dict(
        Snapshot.objects.filter(link_id__in=ids, status=Snapshot.Status.DONE)
        .values("link_id")
        .annotate(last=Max("finished"))
        .values_list("link_id", "last")
    )
    return [
        row
        for row in rows
        if not (
            succeeded.get(row["link_id"])
            and row["finished"]
            and succeeded[row["link_id"]] > row["finished"]
        )
    ]


@app_page
@login_required
@require_GET
def jobs(request: HttpRequest) -> HttpResponse:
    status = queue_status(request.user, limit=50)
    status["recent_failures"] = _still_failing(status["recent_failures"])
    context = {
        "nav": "jobs",
        "status": status,
        "live": bool(status["queued"] or status["running"]),
        "remaining": quota.remaining(request.user.pk),
    }
    if request.headers.get("HX-Request") == "true":  # the live refresh of the panel
        return render(request, "snapshelf/jobs/_panel.html", context)
    return render(request, "snapshelf/jobs/list.html", context)

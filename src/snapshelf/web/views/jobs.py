"""The user's own captures: what is queued, running, retrying and what failed lately."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from snapshelf.jobs.status import queue_status
from snapshelf.services import quota
from snapshelf.web.archive import app_page


@app_page
@login_required
@require_GET
def jobs(request: HttpRequest) -> HttpResponse:
    status = queue_status(request.user, limit=50)
    context = {
        "nav": "jobs",
        "status": status,
        "live": bool(status["queued"] or status["running"]),
        "remaining": quota.remaining(request.user.pk),
    }
    if request.headers.get("HX-Request") == "true":  # the live refresh of the panel
        return render(request, "snapshelf/jobs/_panel.html", context)
    return render(request, "snapshelf/jobs/list.html", context)

"""The link page: reader, archived page, info, versions, editing."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.safestring import mark_safe

from snapshelf.capture.extract import sanitize_html
from snapshelf.library.models import Snapshot
from snapshelf.library.services import snapshot_for
from snapshelf.web.archive import archive_url


@login_required
def snapshot_detail(request: HttpRequest, snapshot_id: int) -> HttpResponse:
    try:
        snap = snapshot_for(request.user, snapshot_id)
    except Snapshot.DoesNotExist:
        raise Http404("no such snapshot") from None
    view = request.GET.get("view", "reader")
    if view not in {"reader", "archive", "info"}:
        view = "reader"
    context = {
        "snap": snap,
        "link": snap.link,
        "view": view,
        "versions": snap.link.snapshots.only("id", "version", "status", "created"),
        "tags": snap.link.tags.all(),
        # Stored HTML was sanitised at capture; sanitising again at display costs little.
        "reader_html": mark_safe(sanitize_html(snap.readable_html)),  # noqa: S308
        "archive_src": archive_url(snap.pk) if snap.status == Snapshot.Status.DONE else "",
    }
    if view == "info":
        context["resources"] = snap.resources.select_related("blob")
    return render(request, "snapshelf/snapshot.html", context)

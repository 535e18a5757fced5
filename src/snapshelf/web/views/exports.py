"""Exports on the web: the export page (whole library or one tag) and one snapshot's
artefacts from the link page's Download menu.

Every file is an attachment and carries the archive headers (`web.archive.protect`:
sandbox CSP, nosniff), so no export or archived page ever renders on the app origin.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from snapshelf.io.exporters import (
    EXPORTERS,
    SNAPSHOT_FORMATS,
    EpubError,
    Selection,
    Unavailable,
    export_chunks,
    selection_epub,
    snapshot_artefact,
)
from snapshelf.library.models import Snapshot
from snapshelf.library.records import snapshot_for
from snapshelf.web.archive import app_page, protect
from snapshelf.web.forms.exports import ExportForm


@app_page
@login_required
@require_GET
def export_page(request: HttpRequest) -> HttpResponse:
    """The page; with `format` (and `tag`) in the query, the export itself, streamed."""
    if "format" not in request.GET:
        form = ExportForm(owner=request.user)
        return render(request, "snapshelf/exports/export.html", {"form": form, "nav": "export"})
    form = ExportForm(request.GET, owner=request.user)
    if not form.is_valid():
        context = {"form": form, "nav": "export"}
        return render(request, "snapshelf/exports/export.html", context, status=400)
    fmt = form.cleaned_data["format"]
    selection = Selection(request.user, form.cleaned_data["tag"])
    if fmt == "epub":
        return _ebook(request, form, selection)
    exporter = EXPORTERS[fmt]
    response = StreamingHttpResponse(
        export_chunks(selection, fmt), content_type=exporter.content_type
    )
    return protect(response, attachment=exporter.filename(selection))


def _ebook(request: HttpRequest, form: ExportForm, selection: Selection) -> HttpResponse:
    """An e-book is built whole before answering (a zip), so a selection with nothing to
    read is the form's error, not a broken download."""
    try:
        data = selection_epub(selection)
    except EpubError as exc:
        form.add_error(None, str(exc))
        context = {"form": form, "nav": "export"}
        return render(request, "snapshelf/exports/export.html", context, status=400)
    name = f"snapshelf-{selection.label}-{timezone.now():%Y%m%d}.epub"
    return protect(HttpResponse(data, content_type="application/epub+zip"), attachment=name)


@login_required
@require_GET
def snapshot_download(request: HttpRequest, snapshot_id: int) -> HttpResponse:
    """One artefact of the requester's own snapshot (`?format=`); anyone else's, an
    unknown format or a missing artefact is "not found"."""
    fmt = request.GET.get("format", "")
    if fmt not in SNAPSHOT_FORMATS:
        raise Http404("no such format")
    try:
        snap = snapshot_for(request.user, snapshot_id)
        artefact = snapshot_artefact(snap, fmt)
    except (Snapshot.DoesNotExist, Unavailable):
        raise Http404("not available") from None
    response = HttpResponse(artefact.data, content_type=artefact.content_type)
    return protect(response, attachment=artefact.filename)

"""Serving captured bytes: archived replay, artefact downloads; plus the health check."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_GET

from snapshelf.library.artefacts import (
    find_resource,
    root_content,
    served_content_type,
    single_file_html,
)
from snapshelf.library.models import Snapshot
from snapshelf.library.records import snapshot_for
from snapshelf.storage import BlobNotFound, get_blob_store
from snapshelf.web.archive import protect, read_token


@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


def _owned_snapshot(request: HttpRequest, snapshot_id: int) -> Snapshot:
    try:
        return snapshot_for(request.user, snapshot_id)
    except Snapshot.DoesNotExist:
        raise Http404("no such snapshot") from None


def _blob_bytes(sha: str | None) -> bytes:
    if not sha:
        raise Http404("not captured")
    try:
        return get_blob_store().get(sha)
    except BlobNotFound:
        raise Http404("missing blob") from None


def _archived_snapshot(token: str) -> Snapshot:
    snapshot_id = read_token(token)
    if snapshot_id is None:
        raise Http404("expired or invalid link")
    try:
        return Snapshot.objects.get(pk=snapshot_id, status=Snapshot.Status.DONE)
    except Snapshot.DoesNotExist:
        raise Http404("no such snapshot") from None


@require_GET
@xframe_options_exempt
def archive_root(request: HttpRequest, token: str) -> HttpResponse:
    snap = _archived_snapshot(token)
    try:
        body, content_type = root_content(snap)
    except BlobNotFound:
        raise Http404("missing blob") from None
    return protect(HttpResponse(body, content_type=content_type))


@require_GET
@xframe_options_exempt
def archive_resource(request: HttpRequest, token: str, key: str) -> HttpResponse:
    snap = _archived_snapshot(token)
    res = find_resource(snap, key)
    if res is None:
        raise Http404("no such resource")
    response = HttpResponse(_blob_bytes(res.key), content_type=served_content_type(res))
    response["Cache-Control"] = "private, max-age=31536000, immutable"
    return protect(response)


def download_name(snap: Snapshot, ext: str) -> str:
    return f"snapshot-{snap.pk}-v{snap.version}.{ext}"


@login_required
@require_GET
def download_singlefile(request: HttpRequest, snapshot_id: int) -> HttpResponse:
    snap = _owned_snapshot(request, snapshot_id)
    if snap.status != Snapshot.Status.DONE:
        raise Http404("snapshot not ready")
    ext = "html" if snap.root_blob_id else "bin"
    try:
        body = single_file_html(snap)
    except BlobNotFound:
        raise Http404("missing blob") from None
    response = HttpResponse(body, content_type="application/octet-stream")
    return protect(response, attachment=download_name(snap, ext))


@login_required
@require_GET
def download_original(request: HttpRequest, snapshot_id: int) -> HttpResponse:
    snap = _owned_snapshot(request, snapshot_id)
    response = HttpResponse(
        _blob_bytes(snap.original_blob_id), content_type="application/octet-stream"
    )
    return protect(response, attachment=download_name(snap, "orig"))

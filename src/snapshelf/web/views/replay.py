"""Serving captured bytes: archived replay, artefact downloads; plus the health check."""

from __future__ import annotations

import mimetypes
import re
from pathlib import PurePosixPath
from urllib.parse import unquote, urlsplit

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_GET

from snapshelf.library.artefacts import (
    OCTET_STREAM,
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
    # bytes of no kind a browser should show are saved, not rendered
    attachment = download_name(snap, "bin") if content_type == OCTET_STREAM else None
    return protect(HttpResponse(body, content_type=content_type), attachment=attachment)


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


def original_name(snap: Snapshot) -> str:
    """A file name a person recognises: the page's own name when its address has one
    (report.pdf), else the site's name; the extension its content type calls for."""
    media = (snap.content_type or "").split(";")[0].strip().lower()
    ext = _EXTENSIONS.get(media) or (mimetypes.guess_extension(media) or ".bin").lstrip(".")
    path = urlsplit(snap.final_url or snap.link.url).path
    stem = PurePosixPath(unquote(path)).stem if not path.endswith("/") else ""
    # ASCII only: a header value outside Latin-1 would reach the browser MIME-encoded
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip("-.")[:80]
    stem = stem or urlsplit(snap.final_url or snap.link.url).hostname or "snapshot"
    return f"{stem}-v{snap.version}.{ext}"


#: What mimetypes gets wrong or leaves out for the types captures keep.
_EXTENSIONS = {"text/html": "html", "text/plain": "txt", "image/jpeg": "jpg", "": "bin"}


@login_required
@require_GET
def download_original(request: HttpRequest, snapshot_id: int) -> HttpResponse:
    """The bytes as fetched, under their real type and a real name (still an attachment,
    under the sandbox policy: the browser saves them, never renders them here)."""
    snap = _owned_snapshot(request, snapshot_id)
    content_type = snap.content_type or "application/octet-stream"
    if snap.charset and content_type.startswith("text/") and "charset" not in content_type:
        content_type += f"; charset={snap.charset}"
    response = HttpResponse(_blob_bytes(snap.original_blob_id), content_type=content_type)
    return protect(response, attachment=original_name(snap))

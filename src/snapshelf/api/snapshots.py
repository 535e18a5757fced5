"""/snapshots: a link's versions, one snapshot's status and metadata, its artefacts.

Captured bytes are hostile: every artefact is sent as an attachment with the same
sandbox headers the web UI's archive routes carry (web/archive.py), so nothing
archived can run script on the application's origin even if opened directly.
"""

from __future__ import annotations

import hashlib
from typing import Annotated

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.cache import get_conditional_response
from ninja import Path, Router, Status

from snapshelf.api.auth import user_of
from snapshelf.api.errors import responses
from snapshelf.api.schemas import MAX_ID, Artefact, SnapshotBrief, SnapshotOut, snapshot_brief
from snapshelf.library.artefacts import browser_artefact, single_file_html
from snapshelf.library.models import Snapshot
from snapshelf.services import api as reads
from snapshelf.services import links as door
from snapshelf.storage import BlobNotFound, get_blob_store

router = Router(tags=["snapshots"])

SnapshotId = Annotated[int, Path(ge=1, le=MAX_ID)]
LinkId = Annotated[int, Path(ge=1, le=MAX_ID)]

#: The same policy as web.archive.ARCHIVE_CSP (a test keeps them equal; the API may not
#: import the web package, its sibling).
ARCHIVE_CSP = "; ".join(
    [
        "sandbox",
        "default-src 'none'",
        "img-src 'self' data:",
        "style-src 'self' 'unsafe-inline' data:",
        "font-src 'self' data:",
        "media-src 'self' data:",
        "form-action 'none'",
        "base-uri 'none'",
    ]
)

#: Each artefact: file extension and content type.
ARTEFACTS = {
    "reader_html": ("html", "text/html; charset=utf-8"),
    "markdown": ("md", "text/markdown; charset=utf-8"),
    "text": ("txt", "text/plain; charset=utf-8"),
    "singlefile": ("html", "application/octet-stream"),
    "screenshot": ("png", "image/png"),
    "pdf": ("pdf", "application/pdf"),
    "original": ("orig", "application/octet-stream"),
}
_BINARY = {"schema": {"type": "string", "format": "binary"}}
_ARTEFACT_RESPONSES = {
    "200": {
        "description": "the artefact, as an attachment",
        "content": {ctype.split(";")[0]: _BINARY for _ext, ctype in ARTEFACTS.values()},
    }
}


def available(snap: Snapshot) -> list[str]:
    """Names of the artefacts this snapshot has."""
    if snap.status != Snapshot.Status.DONE:
        return ["original"] if snap.original_blob_id else []
    names = []
    if snap.readable_html:
        names.append("reader_html")
    if snap.markdown:
        names.append("markdown")
    if snap.text:
        names.append("text")
    if snap.original_blob_id:
        names += ["singlefile", "original"]
    if snap.screenshot_blob_id:
        names.append("screenshot")
    if snap.pdf_blob_id:
        names.append("pdf")
    return names


def snapshot_out(snap: Snapshot) -> dict:
    fields = (
        "link_id", "attempts", "started", "http_status", "final_url", "content_type", "kind",
        "author", "published", "site_name", "language", "description", "image_url",
        "word_count", "total_bytes", "resource_count",
    )  # fmt: skip
    return (
        snapshot_brief(snap)
        | {f: getattr(snap, f) for f in fields}
        | {"artefacts": available(snap)}
    )


@router.get(
    "/links/{int:link_id}/snapshots",
    response=responses({200: list[SnapshotBrief]}),
    summary="A link's snapshots",
)
def list_snapshots(request: HttpRequest, link_id: LinkId):
    """Every version of the link, newest first."""
    return [snapshot_brief(s) for s in reads.snapshots_of(user_of(request), link_id)]


@router.post(
    "/links/{int:link_id}/snapshots",
    response=responses({202: SnapshotBrief}),
    summary="Snapshot a link again",
)
def snapshot_again(request: HttpRequest, link_id: LinkId, force: bool = False):
    """Queue a new version (kept only if the text changed, unless `force`)."""
    owner = user_of(request)
    snap = door.snapshot_again(owner, door.get_link(owner, link_id), force=force)
    return Status(202, snapshot_brief(snap))


@router.get(
    "/snapshots/{int:snapshot_id}", response=responses({200: SnapshotOut}), summary="A snapshot"
)
def get_snapshot(request: HttpRequest, snapshot_id: SnapshotId):
    """Status (queued, running, done, failed, with the error), metadata and artefacts."""
    return snapshot_out(reads.snapshot_of(user_of(request), snapshot_id))


@router.delete(
    "/snapshots/{int:snapshot_id}",
    response=responses({204: None}, 409),
    summary="Delete a snapshot",
)
def delete_snapshot(request: HttpRequest, snapshot_id: SnapshotId):
    """Delete one version (409 while it is being captured); the link stays."""
    door.delete_version(user_of(request), snapshot_id)
    return Status(204, None)


def _bytes(snap: Snapshot, name: str) -> bytes:
    if name == "original":
        if not snap.original_blob_id:
            raise Http404("not captured")
        return get_blob_store().get(snap.original_blob_id)
    if snap.status != Snapshot.Status.DONE:
        raise Http404("not ready")
    if name == "reader_html":
        return snap.readable_html.encode("utf-8")
    if name in ("markdown", "text"):
        return getattr(snap, name).encode("utf-8")
    if name == "singlefile":
        return single_file_html(snap)
    return browser_artefact(snap, name)


def protect(response: HttpResponse, filename: str) -> HttpResponse:
    """The headers every captured-bytes response carries (see web/archive.py)."""
    response["Content-Security-Policy"] = ARCHIVE_CSP
    response["X-Content-Type-Options"] = "nosniff"
    response["Referrer-Policy"] = "no-referrer"
    response["Cross-Origin-Opener-Policy"] = "same-origin"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@router.get(
    "/snapshots/{int:snapshot_id}/artefacts/{name}",
    response=responses({}),
    openapi_extra={"responses": _ARTEFACT_RESPONSES},
    summary="Download an artefact",
)
def artefact(request: HttpRequest, snapshot_id: SnapshotId, name: Artefact):
    """reader_html, markdown, text (the readable article), singlefile (the archived page
    with every resource inlined), screenshot, pdf (browser captures), original (the bytes
    as fetched). Always an attachment under a sandbox Content-Security-Policy."""
    snap = reads.snapshot_of(user_of(request), snapshot_id)
    if name not in available(snap):
        raise Http404("no such artefact")
    try:
        body = _bytes(snap, name)
    except BlobNotFound:
        raise Http404("missing blob") from None
    ext, content_type = ARTEFACTS[name]
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    response = HttpResponse(body, content_type=content_type)
    response["ETag"] = etag
    response["Cache-Control"] = "private, no-cache"
    response = get_conditional_response(request, etag=etag, response=response)
    return protect(response, f"snapshot-{snap.pk}-v{snap.version}.{ext}")

"""/import and /export: a bookmark file (or WARC) imported by a worker, followed at
/imports/{id}; the library (or one tag of it) streamed in any export format.

Both call snapshelf.io, as the web's import and export pages do: the upload is kept in
the data directory and run by a worker (io.runs), the export is streamed by its exporter
(io.exporters) as an attachment under the archive's headers.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from django.http import HttpRequest, StreamingHttpResponse
from django.utils.translation import gettext as _
from ninja import File, Form, Path, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import Field

from snapshelf.api.auth import user_of
from snapshelf.api.errors import ApiError, responses
from snapshelf.api.schemas import MAX_ID, TagName, Text
from snapshelf.api.snapshots import protect
from snapshelf.io.exporters import EXPORTERS, Selection, export_chunks, find_tag
from snapshelf.io.models import ImportRun
from snapshelf.io.runs import start_import
from snapshelf.library.records import clean_tag_names

router = Router(tags=["import and export"])

#: Largest import file (as on the web's import page).
MAX_UPLOAD_BYTES = 200 * 2**20
#: Runs listed by GET /imports.
RECENT_RUNS = 20

ExportFormat = Literal[tuple(EXPORTERS)]  # type: ignore[valid-type]
RunId = Annotated[int, Path(ge=1, le=MAX_ID)]


class RejectedRow(Schema):
    line: int
    text: str
    reason: str


class ImportRunOut(Schema):
    id: int
    filename: str
    size: int
    format: str = Field(description="recognised from the content (empty until read)")
    state: str = Field(description="queued, running, done or failed")
    percent: int
    tags: list[str]
    capture: bool
    added: int
    merged: int = Field(description="already saved: merged with your link")
    queued: int = Field(description="captures queued")
    rejected_count: int
    rejected: list[RejectedRow] = Field(description="the first 1000 rows not imported")
    error: str
    created: datetime
    finished: datetime | None


def run_out(run: ImportRun) -> dict:
    return {
        **{
            name: getattr(run, name)
            for name in (
                "filename",
                "size",
                "format",
                "state",
                "percent",
                "tags",
                "capture",
                "added",
                "merged",
                "queued",
                "rejected_count",
                "error",
                "created",
                "finished",
            )
        },
        "id": run.pk,
        "rejected": [
            {"line": int(line or 0), "text": str(text), "reason": str(reason)}
            for line, text, reason in run.rejected
        ],
    }


@router.post(
    "/import", response=responses({202: ImportRunOut}, 413), summary="Import a bookmark file"
)
def import_file(
    request: HttpRequest,
    file: File[UploadedFile],
    tags: Text = Form("", max_length=500, description="comma-separated"),
    capture: bool = Form(True),
):
    """Upload bookmarks exported from a browser or a service (HTML, JSON, CSV, text, a
    WARC: the format is recognised from the content). A worker imports it; follow it at
    GET /imports/{id}. `tags` (comma-separated) go on every imported link; `capture`
    takes a snapshot of each new one, after the links you add yourself."""
    if (file.size or 0) > MAX_UPLOAD_BYTES:
        message = _("The file is larger than %(mb)s MB.") % {"mb": MAX_UPLOAD_BYTES >> 20}
        raise ApiError(413, "too_large", message)
    names = clean_tag_names([tags])
    run = start_import(user_of(request), file, tags=names, capture=capture)
    return Status(202, run_out(run))


@router.get("/imports", response=responses({200: list[ImportRunOut]}), summary="Your imports")
def list_imports(request: HttpRequest):
    """Your 20 most recent imports, newest first."""
    runs = ImportRun.objects.filter(owner=user_of(request))[:RECENT_RUNS]
    return [run_out(run) for run in runs]


@router.get("/imports/{int:run_id}", response=responses({200: ImportRunOut}), summary="An import")
def get_import(request: HttpRequest, run_id: RunId):
    """An import's progress and, once done, its report."""
    return run_out(ImportRun.objects.get(pk=run_id, owner=user_of(request)))


def _schema_of(content_type: str) -> dict:
    if content_type.startswith("application/json"):
        return {"type": "object", "description": "docs/export.md"}
    return {"type": "string", "format": "binary"}


_EXPORT_RESPONSES = {
    "200": {
        "description": "the export, as an attachment",
        "content": {
            e.content_type.split(";")[0]: {"schema": _schema_of(e.content_type)}
            for e in EXPORTERS.values()
        },
    }
}


@router.get(
    "/export",
    response=responses({}),
    openapi_extra={"responses": _EXPORT_RESPONSES},
    summary="Export your library",
)
def export(
    request: HttpRequest,
    format: ExportFormat = Query(..., description="netscape, json, csv, warc or zip"),  # noqa: A002
    tag: TagName | None = Query(None, description="only the links with this tag"),
):
    """Your links (all, or one tag's) streamed in one format: `netscape` (bookmark HTML),
    `json` (everything, docs/export.md), `csv`, `warc` (each link's newest capture with
    its resources) or `zip` (single-file pages and Markdown). An unknown tag is 404."""
    owner = user_of(request)
    chosen = find_tag(owner, tag) if tag and tag.strip() else None
    selection = Selection(owner, chosen)
    exporter = EXPORTERS[format]
    response = StreamingHttpResponse(
        export_chunks(selection, format), content_type=exporter.content_type
    )
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in exporter.filename(selection))
    return protect(response, safe[:120] or f"snapshelf.{exporter.extension}")

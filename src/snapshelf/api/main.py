"""The NinjaAPI instance mounted at /api/v1: auth, errors, ETags, the routers."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import get_conditional_response, patch_vary_headers
from ninja import NinjaAPI
from ninja.openapi.docs import Swagger

from snapshelf.api import errors, highlights, links, misc, snapshots, tags, transfer
from snapshelf.api.auth import SessionAuth, TokenAuth

DESCRIPTION = """\
Snapshelf's REST API. Authenticate with a personal token made in Settings →
API tokens: `Authorization: Bearer snap_…` (read tokens may only read). Errors are
`{"error": {"code": "...", "message": "..."}}`; lists page with `next_cursor`; reads
carry an `ETag` (send `If-None-Match` to get 304). See docs/api.md.
"""


class SnapshelfAPI(NinjaAPI):
    """NinjaAPI whose successful reads carry an ETag and answer If-None-Match with 304."""

    def create_response(
        self,
        request: HttpRequest,
        data: Any,
        *,
        status: int | None = None,
        temporal_response: HttpResponse | None = None,
    ) -> HttpResponse:
        response = super().create_response(
            request, data, status=status, temporal_response=temporal_response
        )
        patch_vary_headers(response, ["Authorization", "Cookie"])
        if request.method in ("GET", "HEAD") and response.status_code == 200:
            etag = '"' + hashlib.sha256(response.content).hexdigest()[:32] + '"'
            response["ETag"] = etag
            response["Cache-Control"] = "private, no-cache"
            response = get_conditional_response(request, etag=etag, response=response)
        return response


class LocalSwagger(Swagger):
    """Swagger UI from django-ninja's own static files: ninja is not an installed app (it
    would load pydantic in every process, see settings), and ninja then falls back to a
    CDN, which the app's CSP refuses and which would reach outside the server."""

    def render_page(self, request: HttpRequest, api: NinjaAPI, **kwargs: object) -> HttpResponse:
        self.settings["url"] = self.get_openapi_url(api, kwargs)
        context = {
            "swagger_settings": json.dumps(self.settings, indent=1),
            "api": api,
            "add_csrf": True,  # the session auth checks CSRF
        }
        return render(request, self.template, context)


api = SnapshelfAPI(
    title="Snapshelf API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api-v1",
    auth=[TokenAuth(), SessionAuth()],
    docs=LocalSwagger(),
)
errors.install(api)
api.add_router("", links.router)
api.add_router("", highlights.router)
api.add_router("", snapshots.router)
api.add_router("", tags.router)
api.add_router("", misc.router)
api.add_router("", transfer.router)

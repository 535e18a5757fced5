"""Errors the API answers with: one JSON shape and a stable code for each.

    {"error": {"code": "not_found", "message": "..."}}

Codes: unauthorized (401), insufficient_scope and csrf_failed (403), not_found (404),
method_not_allowed (405, from snapshelf.api.middleware),
conflict (409), invalid_request (422, with `details`), invalid_url, invalid_cursor,
invalid_tag and bad_request (400), rate_limited and quota_exceeded (429, with
Retry-After), internal (500).
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError

from snapshelf.errors import InvalidURL
from snapshelf.library.removal import VersionInUse
from snapshelf.services.accounts import AccountInputError
from snapshelf.services.quota import QuotaExceeded
from snapshelf.services.tags import TagNameError

log = logging.getLogger(__name__)


class ErrorBody(Schema):
    code: str
    message: str
    details: list[dict[str, Any]] | None = None


class ErrorOut(Schema):
    error: ErrorBody


class ApiError(Exception):
    """Raised by the API's own code for an answer other than success."""

    def __init__(
        self, status: int, code: str, message: str, *, retry_after: int | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.retry_after = status, code, message, retry_after


#: Error statuses every operation may answer with (documented in the OpenAPI document).
COMMON = (400, 401, 403, 404, 422, 429)


def responses(ok: dict[int, Any], *extra: int) -> dict[int, Any]:
    """An operation's documented responses: its successes plus every error status."""
    return {**ok, **{status: ErrorOut for status in (*COMMON, *extra)}}


def error_response(
    api: NinjaAPI,
    request: HttpRequest,
    status: int,
    code: str,
    message: str,
    *,
    details: list[dict[str, Any]] | None = None,
    retry_after: int | None = None,
) -> HttpResponse:
    body: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        body["details"] = details
    response = api.create_response(request, {"error": body}, status=status)
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="snapshelf"'
    return response


def _jsonable(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "loc": [str(p) for p in e.get("loc", ())],
            "msg": str(e.get("msg", "")),
            "type": str(e.get("type", "")),
        }
        for e in errors
    ]


_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    429: "rate_limited",
}


def install(api: NinjaAPI) -> None:
    """Register the handlers that turn exceptions into the error shape above."""

    def on(exc_class, status: int, code: str, message=None):  # noqa: ANN001
        def handler(request: HttpRequest, exc: Exception) -> HttpResponse:
            text = message if message is not None else str(exc)
            return error_response(api, request, status, code, text)

        api.add_exception_handler(exc_class, handler)

    @api.exception_handler(ApiError)
    def _api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
        return error_response(
            api, request, exc.status, exc.code, exc.message, retry_after=exc.retry_after
        )

    @api.exception_handler(ValidationError)
    def _invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        return error_response(
            api,
            request,
            422,
            "invalid_request",
            "The request is not valid.",
            details=_jsonable(exc.errors),
        )

    @api.exception_handler(QuotaExceeded)
    def _quota(request: HttpRequest, exc: QuotaExceeded) -> HttpResponse:
        return error_response(
            api, request, 429, "quota_exceeded", exc.message, retry_after=exc.wait_seconds
        )

    @api.exception_handler(HttpError)
    def _http(request: HttpRequest, exc: HttpError) -> HttpResponse:
        code = _HTTP_CODES.get(exc.status_code, "error")
        return error_response(api, request, exc.status_code, code, str(exc))

    @api.exception_handler(Exception)
    def _internal(request: HttpRequest, exc: Exception) -> HttpResponse:
        log.exception("API error on %s %s", request.method, request.path)
        return error_response(api, request, 500, "internal", "Something went wrong on the server.")

    on(
        AuthenticationError,
        401,
        "unauthorized",
        "Send a valid token: Authorization: Bearer <token>.",
    )
    on(ObjectDoesNotExist, 404, "not_found", "Not found.")
    on(Http404, 404, "not_found", "Not found.")
    on(InvalidURL, 400, "invalid_url")
    on(TagNameError, 400, "invalid_tag", "Give exactly one tag name.")
    on(AccountInputError, 400, "bad_request")
    on(VersionInUse, 409, "conflict", "This version is still being captured; delete it later.")

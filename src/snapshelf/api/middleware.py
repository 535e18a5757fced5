"""API answers are JSON even where Django or Ninja answer before our handlers run.

An unknown path under /api/ (Django's 404 page) and a method an operation does not take
(Ninja's plain-text 405) would otherwise reach a script as HTML or text, breaking the one
error shape the API promises (snapshelf.api.errors).
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse

PREFIX = "/api/"
_REWRITTEN = {
    404: ("not_found", "No such API endpoint: see /api/v1/docs."),
    405: ("method_not_allowed", "This endpoint does not take {method}; it takes {allow}."),
}


def json_errors(get_response: Callable[[HttpRequest], HttpResponse]):  # noqa: ANN201
    """Django middleware: rewrite non-JSON 404 and 405 answers under /api/."""

    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        if (
            request.path.startswith(PREFIX)
            and response.status_code in _REWRITTEN
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            return _as_json(request, response)
        return response

    return middleware


def _as_json(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    code, template = _REWRITTEN[response.status_code]
    allow = response.get("Allow", "")
    message = template.format(method=request.method, allow=allow or "no method")
    answer = JsonResponse(
        {"error": {"code": code, "message": message}},
        status=response.status_code,
        json_dumps_params={"ensure_ascii": False},
    )
    if allow:
        answer["Allow"] = allow
    return answer

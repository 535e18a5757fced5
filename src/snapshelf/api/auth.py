"""Who is calling: a personal token (`Authorization: Bearer`) or the web session.

A token answers for its scope (a read token may only read) and its per-minute rate
limit. A Bearer header that names no live token is refused outright (401), never
retried as the session, so a revoked token cannot ride along on a browser's cookie.
The session works too, so the web UI could call the API; its unsafe requests need the
CSRF token like any form.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from snapshelf.accounts.models import ApiToken
from snapshelf.api.errors import ApiError
from snapshelf.services import accounts

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


@dataclass(frozen=True)
class Caller:
    """The authenticated user and the token used (None: the web session)."""

    user: AbstractBaseUser
    token: ApiToken | None

    @property
    def can_write(self) -> bool:
        return self.token is None or self.token.can_write


def caller(request: HttpRequest) -> Caller:
    return request.auth  # type: ignore[attr-defined]


def user_of(request: HttpRequest) -> AbstractBaseUser:
    return caller(request).user


def _unauthorized() -> ApiError:
    return ApiError(401, "unauthorized", _("This token is not valid (unknown or revoked)."))


class TokenAuth(HttpBearer):
    """`Authorization: Bearer snap_…`"""

    def authenticate(self, request: HttpRequest, token: str) -> Caller:
        found = accounts.authenticate_token(token.strip())
        if found is None:
            raise _unauthorized()
        wait = accounts.throttle(found)
        if wait is not None:
            raise ApiError(
                429,
                "rate_limited",
                _("Too many requests with this token; try again in %(s)d s.") % {"s": wait},
                retry_after=wait,
            )
        who = Caller(found.user, found)
        if request.method not in SAFE_METHODS and not who.can_write:
            raise ApiError(403, "insufficient_scope", _("This token may only read."))
        return who


class SessionAuth(APIKeyCookie):
    """The signed-in browser session; unsafe methods need the CSRF token."""

    param_name = settings.SESSION_COOKIE_NAME

    def __init__(self) -> None:
        super().__init__(csrf=False)  # checked below, only for a signed-in session

    def authenticate(self, request: HttpRequest, key: str | None) -> Caller | None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if request.method not in SAFE_METHODS and check_csrf(request) is not None:
            raise ApiError(403, "csrf_failed", _("CSRF check failed: send the X-CSRFToken header."))
        return Caller(user, None)

"""Serving captured bytes so they can never run script on the application's origin.

Archived-content URLs carry a signed, expiring capability instead of relying on
the session cookie: a sandboxed frame has an opaque origin, so its subresource
requests carry no cookies, and with SNAPSHELF_ARCHIVE_ORIGIN the content lives
on another site where our cookies do not exist at all.
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.http import HttpResponse
from django.urls import reverse

_SALT = "snapshelf.archive"

#: Applied to every response that carries captured bytes (README, Security).
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


def make_token(snapshot_id: int) -> str:
    return signing.TimestampSigner(salt=_SALT).sign(str(snapshot_id))


def read_token(token: str) -> int | None:
    """The snapshot id if the capability is genuine and fresh, else None."""
    try:
        value = signing.TimestampSigner(salt=_SALT).unsign(
            token, max_age=settings.SNAPSHELF_ARCHIVE_TOKEN_AGE
        )
        return int(value)
    except (signing.BadSignature, ValueError):
        return None


def archive_url(snapshot_id: int) -> str:
    path = reverse("archive-root", args=[make_token(snapshot_id)])
    return settings.SNAPSHELF_ARCHIVE_ORIGIN + path


def protect(response: HttpResponse, *, attachment: str | None = None) -> HttpResponse:
    """Headers every captured-bytes response must carry."""
    response["Content-Security-Policy"] = ARCHIVE_CSP
    response["X-Content-Type-Options"] = "nosniff"
    response["Referrer-Policy"] = "no-referrer"
    response["Cross-Origin-Opener-Policy"] = "same-origin"
    # Fonts requested from the sandboxed (opaque-origin) frame are CORS requests.
    response["Access-Control-Allow-Origin"] = "*"
    if not settings.SNAPSHELF_ARCHIVE_ORIGIN:
        response["X-Frame-Options"] = "SAMEORIGIN"
    if attachment is not None:
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in attachment)[:120]
        response["Content-Disposition"] = f'attachment; filename="{safe or "snapshot"}"'
    return response

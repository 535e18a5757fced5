"""Serving captured bytes so they can never run script on the application's origin.

Archived-content URLs carry a signed, expiring capability instead of relying on
the session cookie: a sandboxed frame has an opaque origin, so its subresource
requests carry no cookies, and with SNAPSHELF_ARCHIVE_ORIGIN the content lives
on another site where our cookies do not exist at all.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.core import signing
from django.http import HttpResponse
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from snapshelf.capture.extract import sanitize_html
from snapshelf.library.artefacts import localize_images, stored_images
from snapshelf.library.models import Snapshot

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


def resource_url(token: str, key: str) -> str:
    """A stored resource of the snapshot `token` grants (see `make_token`), as the reader
    view's images load it: through the archive, never from the original site."""
    path = reverse("archive-resource", args=[token, key])
    return settings.SNAPSHELF_ARCHIVE_ORIGIN + path


def reader_html(snap: Snapshot, base_url: str | None) -> SafeString:
    """The snapshot's article as the reader shows it: sanitised again (cheap, and the
    stored HTML may predate today's policy), its images served from the snapshot's own
    stored copies, a placeholder for each image the capture did not keep."""
    html = sanitize_html(snap.readable_html, base_url=base_url)
    if "<img" in html:
        token = make_token(snap.pk)
        html = localize_images(
            html,
            stored_images(snap),
            lambda key: resource_url(token, key),
            _("Image not captured"),
        )
    return mark_safe(html)  # noqa: S308 - nh3-sanitised; only src values were replaced


def page_policy() -> str:
    """The Content-Security-Policy of the application's own pages: everything from this
    origin (and the archive origin, for frames and the reader's stored images), nothing
    from anywhere else, so a page can never leak what is read to a third party."""
    archive = settings.SNAPSHELF_ARCHIVE_ORIGIN
    extra = f" {archive}" if archive else ""
    return "; ".join(
        [
            "default-src 'self'",
            f"img-src 'self' data:{extra}",
            f"frame-src 'self'{extra}",
            "script-src 'self'",
            "style-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'self'",
        ]
    )


def app_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Give an application page `page_policy` (unless the view set its own policy)."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):  # noqa: ANN001, ANN202
        response = view(request, *args, **kwargs)
        if "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = page_policy()
        return response

    return wrapped


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

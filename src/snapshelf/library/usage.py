"""What each user's captures weigh, against the per-user storage quota
(SNAPSHELF_USER_STORAGE_MB).

A user's usage is the captured bytes of their finished snapshots (each document and its
resources as fetched, and a browser capture's screenshot and PDF: before compression, and
before identical bytes are shared with other snapshots), so what one user may keep does
not depend on what others happened to capture too. Superusers, the operator's own
accounts, are never limited.

Checked twice: by the service door before a capture is queued (a user already at the
quota is refused at once), and when a capture commits (many captures queued together
pass the door before any of them is counted), where the capture fails as
`storage_quota`, nothing of it stored.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Sum

from snapshelf.errors import CaptureError
from snapshelf.library.models import Snapshot


class OverStorageQuota(CaptureError):
    """Keeping this capture would take its owner past their storage quota; not retried
    (the same bytes would not fit later either, until the user deletes something)."""

    code = "storage_quota"


def used_bytes(user_id: int) -> int:
    """The captured bytes of the user's finished snapshots, with their screenshots and PDFs
    (a browser capture's full-page image can outweigh the page itself)."""
    sums = Snapshot.objects.filter(link__owner_id=user_id, status=Snapshot.Status.DONE).aggregate(
        pages=Sum("total_bytes"),
        screenshots=Sum("screenshot_blob__size"),
        pdfs=Sum("pdf_blob__size"),
    )
    return sum(int(value or 0) for value in sums.values())


def limit_bytes(user_id: int) -> int | None:
    """The user's quota in bytes; None when unlimited (0 configured, or a superuser)."""
    limit = settings.SNAPSHELF_USER_STORAGE_BYTES
    if limit <= 0:
        return None
    if get_user_model().objects.filter(pk=user_id, is_superuser=True).exists():
        return None
    return limit


def over_quota(user_id: int, adding: int = 0) -> tuple[int, int] | None:
    """(used, limit) when the user is at their quota already (`adding` 0) or `adding`
    more bytes would take them past it; None when there is room or no limit."""
    limit = limit_bytes(user_id)
    if limit is None:
        return None
    used = used_bytes(user_id)
    full = used + adding > limit if adding else used >= limit
    return (used, limit) if full else None


def check_commit(user_id: int, adding: int) -> None:
    """Raise OverStorageQuota when keeping `adding` more bytes would pass the quota."""
    over = over_quota(user_id, adding)
    if over is not None:
        used, limit = over
        raise OverStorageQuota(
            f"storage quota reached: this capture ({_mb(adding)}) would take the account "
            f"past its {_mb(limit)} ({_mb(used)} used); nothing of it was kept"
        )


def _mb(size: int) -> str:
    return f"{size / 2**20:.1f} MB"

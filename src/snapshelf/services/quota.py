"""Per-user limits taken at the service door: the hourly capture quota (one user cannot
flood a shared server's capture queue) and the storage quota (one user cannot fill its
disk; counted in snapshelf.library.usage).

Counted in Django's cache per user in a fixed one-hour window that starts with the
user's first capture in it. The service door (snapshelf.services.links) takes from it
before queuing for every door but the CLI, which is the operator's. With Redis
configured the cache is Redis, so the limit holds across web processes.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _

from snapshelf.library import usage

WINDOW_SECONDS = 3600
_PREFIX = "snapshelf:captures"


def _keys(user_id: int) -> tuple[str, str]:
    key = f"{_PREFIX}:{user_id}"
    return key, key + ":start"


def take(user_id: int, count: int = 1) -> int | None:
    """Count `count` new captures for the user; None when allowed, else the seconds until
    the window ends (and nothing is counted)."""
    limit = settings.SNAPSHELF_USER_CAPTURES_PER_HOUR
    if limit <= 0 or count <= 0:
        return None
    key, start_key = _keys(user_id)
    now = time.time()
    cache.add(start_key, now, WINDOW_SECONDS)
    cache.add(key, 0, WINDOW_SECONDS)
    try:
        used = cache.incr(key, count)
    except ValueError:  # the window ended between add() and incr()
        cache.set(key, count, WINDOW_SECONDS)
        used = count
    if used <= limit:
        return None
    cache.decr(key, count)  # refused captures are not counted
    started = cache.get(start_key, now)
    return max(1, int(started + WINDOW_SECONDS - now))


def remaining(user_id: int) -> int | None:
    """Captures the user may still queue in this window (None: unlimited)."""
    limit = settings.SNAPSHELF_USER_CAPTURES_PER_HOUR
    if limit <= 0:
        return None
    return max(0, limit - int(cache.get(_keys(user_id)[0], 0)))


class QuotaExceeded(Exception):
    """The user queued the most captures allowed in this window; nothing was saved."""

    def __init__(self, wait_seconds: int) -> None:
        super().__init__(f"capture quota exceeded; try again in {wait_seconds} s")
        self.wait_seconds = wait_seconds

    @property
    def message(self) -> str:
        """What the user is told, in their language."""
        return refusal(self.wait_seconds)


def refusal(wait_seconds: int) -> str:
    """What the user is told when the limit refuses their captures."""
    minutes = max(1, -(-wait_seconds // 60))
    return _(
        "You have queued the most captures allowed in an hour (%(limit)d). "
        "Try again in %(minutes)d min."
    ) % {"limit": settings.SNAPSHELF_USER_CAPTURES_PER_HOUR, "minutes": minutes}


class StorageQuotaExceeded(QuotaExceeded):
    """The user's captures already fill their storage quota; nothing was saved. Waiting
    does not help (no Retry-After): deleting links or versions does."""

    def __init__(self, used: int, limit: int) -> None:
        Exception.__init__(self, f"storage quota reached: {used} of {limit} bytes used")
        self.wait_seconds = None
        self.used, self.limit = used, limit

    @property
    def message(self) -> str:
        return _(
            "Your snapshots fill your storage quota (%(used)s MB of %(limit)s MB). "
            "Delete links or old versions to make room."
        ) % {"used": round(self.used / 2**20), "limit": round(self.limit / 2**20)}


def check_storage(user_id: int) -> None:
    """Raise StorageQuotaExceeded when the user is already at their storage quota."""
    over = usage.over_quota(user_id)
    if over is not None:
        raise StorageQuotaExceeded(*over)

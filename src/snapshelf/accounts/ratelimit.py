"""Login rate limiting: slow down password guessing through the log-in form.

Failures are counted in Django's cache per username and per client address in a
fixed window that starts with the first failure. Once either count reaches its
limit, further attempts are refused without checking the password until the
window ends. A successful log-in clears the username's count (not the address's,
or one valid account would let an attacker reset the address limit).

The default cache is per process; deployments with several web processes should
configure a shared cache (database or Redis) so the limits hold across them.
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass

from django.core.cache import cache
from django.http import HttpRequest

WINDOW_SECONDS = 15 * 60
MAX_PER_USERNAME = 5
MAX_PER_ADDRESS = 20

_PREFIX = "snapshelf:login-fail"


@dataclass(frozen=True)
class Block:
    """Why attempts are refused and for how long."""

    retry_after: int  # seconds

    @property
    def minutes(self) -> int:
        return max(1, math.ceil(self.retry_after / 60))


def _username_key(username: str) -> str:
    digest = hashlib.sha256(username.strip().casefold().encode()).hexdigest()
    return f"{_PREFIX}:user:{digest}"


def _address_key(address: str) -> str:
    return f"{_PREFIX}:ip:{address}"


def client_address(request: HttpRequest | None) -> str:
    """REMOTE_ADDR only: forwarded headers are client-controlled unless a proxy is configured."""
    if request is None:
        return ""
    return request.META.get("REMOTE_ADDR", "") or ""


def _keys(username: str, address: str) -> list[tuple[str, int]]:
    keys = []
    if username:
        keys.append((_username_key(username), MAX_PER_USERNAME))
    if address:
        keys.append((_address_key(address), MAX_PER_ADDRESS))
    return keys


def blocked(username: str, address: str) -> Block | None:
    """A Block if the username or the address has used up its failures, else None."""
    now = time.time()
    waits = []
    for key, limit in _keys(username, address):
        count = cache.get(key, 0)
        if count >= limit:
            started = cache.get(key + ":start", now)
            waits.append(int(started + WINDOW_SECONDS - now))
    if not waits:
        return None
    return Block(retry_after=max(1, max(waits)))


def record_failure(username: str, address: str) -> None:
    """Count one failed attempt for the username and for the address."""
    now = time.time()
    for key, _limit in _keys(username, address):
        # add() only sets when missing, so the window starts at the first failure.
        cache.add(key + ":start", now, WINDOW_SECONDS)
        cache.add(key, 0, WINDOW_SECONDS)
        try:
            cache.incr(key)
        except ValueError:  # expired between add() and incr()
            cache.set(key, 1, WINDOW_SECONDS)


def clear_username(username: str) -> None:
    """Forget the failures of a username after its owner logged in."""
    key = _username_key(username)
    cache.delete_many([key, key + ":start"])

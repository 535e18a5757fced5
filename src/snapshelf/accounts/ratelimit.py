"""Rate limits on the account doors: failed log-ins and sign-ups.

Log-in failures are counted in Django's cache per (client address, username) and per
client address overall, in a fixed window that starts with the first failure. Once
either count reaches its limit, further attempts from that address are refused without
checking the password until the window ends. There is deliberately no count per username
alone: it would let anyone lock the real user (the admin too) out by failing five times
from anywhere. Guessing one account's password from many addresses is left to the slow
password hash and Django's password validators. A successful log-in clears the
(address, username) count, not the address's, or one valid account would let an attacker
reset the address limit.

Sign-ups are counted per client address in a one-hour window (SNAPSHELF_SIGNUPS_PER_HOUR),
so one client cannot mint accounts (and their quotas) in bulk.

The default cache is per process; deployments with several web processes should
configure a shared cache (Redis) so the limits hold across them.
"""

from __future__ import annotations

import functools
import hashlib
import ipaddress
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

WINDOW_SECONDS = 15 * 60
#: failures for one username from one client address
MAX_PER_USERNAME = 5
#: failures from one client address, whatever the usernames
MAX_PER_ADDRESS = 20
SIGNUP_WINDOW_SECONDS = 3600

_PREFIX = "snapshelf:login-fail"
_SIGNUP_PREFIX = "snapshelf:signups"


@dataclass(frozen=True)
class Block:
    """Why attempts are refused and for how long."""

    retry_after: int  # seconds

    @property
    def minutes(self) -> int:
        return max(1, math.ceil(self.retry_after / 60))


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _pair_key(username: str, address: str) -> str:
    return f"{_PREFIX}:pair:{_digest(address + chr(0) + username.strip().casefold())}"


def _address_key(address: str) -> str:
    return f"{_PREFIX}:ip:{_digest(address)}"


def client_address(request: HttpRequest | None) -> str:
    """The client's address: REMOTE_ADDR, or behind a trusted proxy the nearest untrusted hop.

    X-Forwarded-For is client-controlled, so it is read only when the connection comes
    from a proxy the operator named (SNAPSHELF_TRUSTED_PROXIES), and then from the right:
    each trusted proxy appends the address it saw, so the first address from the right
    that is not a trusted proxy is the client; anything left of it may be forged.
    """
    if request is None:
        return ""
    remote = request.META.get("REMOTE_ADDR", "") or ""
    trusted = _trusted_networks()
    if not trusted or not _is_trusted(remote, trusted):
        return remote
    hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    for hop in reversed([h for h in hops if h]):
        if not _is_trusted(hop, trusted):
            return hop
    return remote


def _trusted_networks() -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return _parse_networks(tuple(getattr(settings, "SNAPSHELF_TRUSTED_PROXIES", ()) or ()))


@functools.lru_cache(maxsize=8)
def _parse_networks(
    items: tuple[str, ...],
) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(item, strict=False) for item in items)


def _is_trusted(
    address: str, networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]
) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in networks)


def _keys(username: str, address: str) -> list[tuple[str, int]]:
    # An empty address (no REMOTE_ADDR: a test client or a unix socket) still counts
    # as one client, so the limits cannot be dodged by having none.
    keys = [(_address_key(address), MAX_PER_ADDRESS)]
    if username:
        keys.append((_pair_key(username, address), MAX_PER_USERNAME))
    return keys


def _wait(key: str, limit: int, window: int, now: float) -> int | None:
    """Seconds until the window of `key` ends when its count reached `limit`, else None."""
    if cache.get(key, 0) < limit:
        return None
    started = cache.get(key + ":start", now)
    return max(1, int(started + window - now))


def _count(key: str, window: int) -> None:
    now = time.time()
    # add() only sets when missing, so the window starts at the first event.
    cache.add(key + ":start", now, window)
    cache.add(key, 0, window)
    try:
        cache.incr(key)
    except ValueError:  # expired between add() and incr()
        cache.set(key, 1, window)


def blocked(username: str, address: str) -> Block | None:
    """A Block if this address has used up its failures, for this username or in all."""
    now = time.time()
    waits = [
        wait
        for key, limit in _keys(username, address)
        if (wait := _wait(key, limit, WINDOW_SECONDS, now)) is not None
    ]
    return Block(retry_after=max(waits)) if waits else None


def record_failure(username: str, address: str) -> None:
    """Count one failed attempt for the (address, username) pair and for the address."""
    for key, _limit in _keys(username, address):
        _count(key, WINDOW_SECONDS)


def clear_username(username: str, address: str) -> None:
    """Forget this address's failures for a username after its owner logged in from it."""
    key = _pair_key(username, address)
    cache.delete_many([key, key + ":start"])


def _signup_key(address: str) -> str:
    return f"{_SIGNUP_PREFIX}:{_digest(address)}"


def signup_blocked(address: str) -> Block | None:
    """A Block when this address created SNAPSHELF_SIGNUPS_PER_HOUR accounts in the hour."""
    limit = settings.SNAPSHELF_SIGNUPS_PER_HOUR
    if limit <= 0:
        return None
    wait = _wait(_signup_key(address), limit, SIGNUP_WINDOW_SECONDS, time.time())
    return Block(retry_after=wait) if wait is not None else None


def record_signup(address: str) -> None:
    """Count one account created from this address."""
    if settings.SNAPSHELF_SIGNUPS_PER_HOUR > 0:
        _count(_signup_key(address), SIGNUP_WINDOW_SECONDS)

"""API token secrets and private-feed secrets: making, hashing and checking them.

Record-level helpers; the verbs users call (create, revoke, rotate) are in
snapshelf.services.accounts.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.utils import timezone
from django.utils.crypto import salted_hmac

from snapshelf.accounts.models import ApiToken, Feed

#: Every token starts with this, so secret scanners and people can tell what it is.
TOKEN_PREFIX = "snap_"  # noqa: S105 - a label, not a secret
#: last_used is written at most this often per token (not on every request).
LAST_USED_EVERY = timedelta(minutes=1)
_FEED_SALT = "snapshelf.feed"


def new_secret() -> str:
    """A token secret: 256 random bits, URL-safe."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    """SHA-256 is enough here: the secret has 256 bits of entropy, nothing to brute-force."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def find_token(secret: str) -> ApiToken | None:
    """The live token with this secret (with its user), or None: unknown, revoked, or its
    user deactivated. Reads only."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=hash_secret(secret), revoked__isnull=True)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    return token


def note_use(token: ApiToken) -> None:
    """Record that the token was used, at most once per LAST_USED_EVERY (one UPDATE)."""
    now = timezone.now()
    if token.last_used is not None and now - token.last_used < LAST_USED_EVERY:
        return
    ApiToken.objects.filter(pk=token.pk, revoked__isnull=True).update(last_used=now)
    token.last_used = now


def new_nonce() -> str:
    return secrets.token_hex(16)


def feed_secret(feed: Feed) -> str:
    """The secret in the feed's URL: derived, never stored (see Feed)."""
    return salted_hmac(_FEED_SALT, f"{feed.pk}:{feed.nonce}", algorithm="sha256").hexdigest()[:40]


def find_feed(pk: int, secret: str) -> Feed | None:
    """The feed if `secret` is its current secret, else None (old secrets stop working)."""
    feed = Feed.objects.select_related("user").filter(pk=pk).first()
    if feed is None or not feed.user.is_active:
        return None
    if not hmac.compare_digest(feed_secret(feed), secret):
        return None
    return feed

"""Account verbs of the service door: personal API tokens and private feeds.

Settings (web) and the API call these, so the rules live once: a token's secret is
shown once and stored hashed; someone else's token or feed is DoesNotExist (callers
show "not found"); a revoked token authenticates nothing and is never written to again.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from snapshelf.accounts import tokens
from snapshelf.accounts.models import ApiToken, Feed
from snapshelf.library.models import Link
from snapshelf.services import listing

#: Tokens one user may hold (revoked ones not counted).
MAX_TOKENS = 50
#: Feeds one user may hold.
MAX_FEEDS = 50
FEED_SIZE = 50
_RATE_PREFIX = "snapshelf:api-rate"
_RATE_WINDOW = 60


class AccountInputError(ValueError):
    """A name, scope or feed definition that cannot be used; `message` says why."""

    @property
    def message(self) -> str:
        return str(self)


@dataclass(frozen=True)
class NewToken:
    """A token just created and its secret, which exists only here and is shown once."""

    token: ApiToken
    secret: str


def list_tokens(owner: AbstractBaseUser) -> list[ApiToken]:
    """The owner's tokens, live ones first, newest first."""
    return sorted(ApiToken.objects.filter(user=owner), key=lambda t: (t.revoked is not None, -t.pk))


def create_token(owner: AbstractBaseUser, name: str, scope: str) -> NewToken:
    """A new named token with `scope` ("read" or "write")."""
    name = " ".join(str(name).split())
    if not name or len(name) > 100:
        raise AccountInputError(_("Give the token a name of 1 to 100 characters."))
    if scope not in ApiToken.Scope.values:
        raise AccountInputError(_("Choose read or write access."))
    with transaction.atomic():
        live = ApiToken.objects.select_for_update().filter(user=owner, revoked__isnull=True)
        if live.count() >= MAX_TOKENS:
            raise AccountInputError(
                _("You have %(n)d tokens; revoke one first.") % {"n": MAX_TOKENS}
            )
        secret = tokens.new_secret()
        token = ApiToken.objects.create(
            user=owner,
            name=name,
            scope=scope,
            prefix=secret[: len(tokens.TOKEN_PREFIX) + 6],
            key_hash=tokens.hash_secret(secret),
        )
    return NewToken(token, secret)


def revoke_token(owner: AbstractBaseUser, token_id: int) -> ApiToken:
    """Revoke the owner's token (at once, for good); ApiToken.DoesNotExist for others."""
    token = ApiToken.objects.get(pk=token_id, user=owner)
    if token.revoked is None:
        token.revoked = timezone.now()
        token.save(update_fields=["revoked"])
    return token


def authenticate_token(secret: str) -> ApiToken | None:
    """The live token a Bearer secret names (its `user` loaded), recording its use at most
    once a minute; None for an unknown or revoked secret, with nothing written."""
    token = tokens.find_token(secret)
    if token is not None:
        tokens.note_use(token)
    return token


def throttle(token: ApiToken) -> int | None:
    """Count one API request for the token; None when allowed, else seconds to wait.

    A fixed one-minute window per token in Django's cache (Redis when configured, so the
    limit holds across web processes)."""
    limit = settings.SNAPSHELF_API_REQUESTS_PER_MINUTE
    if limit <= 0:
        return None
    window = int(time.time() // _RATE_WINDOW)
    key = f"{_RATE_PREFIX}:{token.pk}:{window}"
    cache.add(key, 0, _RATE_WINDOW + 5)
    try:
        used = cache.incr(key)
    except ValueError:  # expired between add() and incr()
        cache.set(key, 1, _RATE_WINDOW + 5)
        used = 1
    if used <= limit:
        return None
    return max(1, int((window + 1) * _RATE_WINDOW - time.time()) + 1)


# Private feeds.


def list_feeds(owner: AbstractBaseUser) -> list[Feed]:
    return list(Feed.objects.filter(user=owner))


def create_feed(owner: AbstractBaseUser, kind: str, value: str = "") -> Feed:
    """A private feed of the owner's unread links, of one tag, or of a search."""
    value = " ".join(str(value).split())[:200]
    if kind not in Feed.Kind.values:
        raise AccountInputError(_("Choose what the feed shows."))
    if kind == Feed.Kind.UNREAD:
        value = ""
    elif not value:
        raise AccountInputError(
            _("Name the tag.") if kind == Feed.Kind.TAG else _("Type the search.")
        )
    if Feed.objects.filter(user=owner).count() >= MAX_FEEDS:
        raise AccountInputError(_("You have %(n)d feeds; delete one first.") % {"n": MAX_FEEDS})
    return Feed.objects.create(user=owner, kind=kind, value=value, nonce=tokens.new_nonce())


def rotate_feed(owner: AbstractBaseUser, feed_id: int) -> Feed:
    """Give the feed a new secret URL; the old one stops working at once."""
    feed = Feed.objects.get(pk=feed_id, user=owner)
    feed.nonce = tokens.new_nonce()
    feed.save(update_fields=["nonce"])
    return feed


def delete_feed(owner: AbstractBaseUser, feed_id: int) -> None:
    Feed.objects.get(pk=feed_id, user=owner).delete()


def feed_secret(feed: Feed) -> str:
    return tokens.feed_secret(feed)


def feed_by_secret(feed_id: int, secret: str) -> Feed | None:
    """The feed whose URL carries this id and current secret; None otherwise."""
    return tokens.find_feed(feed_id, secret)


def feed_links(feed: Feed, limit: int = FEED_SIZE) -> list[Link]:
    """The feed's entries, newest first (a search feed: best matches first)."""
    owner = feed.user
    if feed.kind == Feed.Kind.SEARCH:
        rows, _more, _hints = listing.search_page(owner, listing.Filters(q=feed.value))
        return rows[:limit]
    if feed.kind == Feed.Kind.TAG:
        filters = listing.Filters(tags=[feed.value])
    else:
        filters = listing.Filters(flags=["unread"])
    ids = list(
        listing.filtered(owner, filters)
        .order_by(*listing.SORTS["newest"])
        .values_list("pk", flat=True)[:limit]
    )
    by_id = {link.pk: link for link in listing.with_row_data(Link.objects.filter(pk__in=ids))}
    return [by_id[pk] for pk in ids if pk in by_id]

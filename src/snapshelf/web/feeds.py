"""Atom feeds: a user's public links (for readers that follow someone's shelf) and a
user's private feeds behind secret URLs (snapshelf.services.accounts)."""

from __future__ import annotations

from django.contrib.syndication.views import Feed
from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _

from snapshelf.accounts.models import Feed as PrivateFeed
from snapshelf.accounts.models import Profile
from snapshelf.library.models import Link
from snapshelf.services import accounts as account_door
from snapshelf.web.views.public import profile_for_nickname

FEED_SIZE = 50
HEAVY = ("text", "readable_html", "markdown", "timings")


class PublicLinksFeed(Feed):
    feed_type = Atom1Feed

    def get_object(self, request: HttpRequest, nickname: str) -> Profile:
        return profile_for_nickname(nickname)

    def title(self, obj: Profile) -> str:
        return _("%(nickname)s on Snapshelf") % {"nickname": obj.nickname}

    def link(self, obj: Profile) -> str:
        return reverse("public-profile", args=[obj.nickname])

    def subtitle(self, obj: Profile) -> str:
        return _("Links %(nickname)s shares publicly.") % {"nickname": obj.nickname}

    def items(self, obj: Profile) -> list[Link]:
        # Only public links: unlisted ones are reachable by address, never listed.
        links = list(
            Link.objects.filter(owner=obj.user, visibility=Link.Visibility.PUBLIC)
            .select_related("latest_snapshot")
            .defer("note", *(f"latest_snapshot__{f}" for f in HEAVY))
            .order_by("-created", "-id")[:FEED_SIZE]
        )
        for link in links:
            link.nickname = obj.nickname
        return links

    def item_title(self, item: Link) -> str:
        return item.display_title

    def item_description(self, item: Link) -> str:
        snap = item.latest_snapshot
        return snap.description if snap else ""

    def item_link(self, item: Link) -> str:
        return reverse("public-link", args=[item.nickname, item.pk])

    def item_pubdate(self, item: Link):
        return item.created


class PrivateLinksFeed(Feed):
    """A user's private feed (unread links, a tag, a search) at a secret, rotatable URL.

    Anyone holding the URL may read it, so a wrong or rotated secret is a 404, the same
    as a feed that does not exist."""

    feed_type = Atom1Feed

    def get_object(self, request: HttpRequest, feed_id: int, secret: str) -> PrivateFeed:
        feed = account_door.feed_by_secret(feed_id, secret)
        if feed is None:
            raise Http404("no such feed")
        return feed

    def title(self, obj: PrivateFeed) -> str:
        if obj.kind == PrivateFeed.Kind.TAG:
            return _("Snapshelf: tag %(tag)s") % {"tag": obj.value}
        if obj.kind == PrivateFeed.Kind.SEARCH:
            return _("Snapshelf: search %(query)s") % {"query": obj.value}
        return _("Snapshelf: unread links")

    def link(self, obj: PrivateFeed) -> str:
        return reverse("home")

    def subtitle(self, obj: PrivateFeed) -> str:
        return _("A private feed of %(user)s's library.") % {"user": obj.user.get_username()}

    def author_name(self, obj: PrivateFeed) -> str:
        return obj.user.get_username()  # Atom requires an author

    def items(self, obj: PrivateFeed) -> list[Link]:
        return account_door.feed_links(obj)

    def item_title(self, item: Link) -> str:
        return item.display_title

    def item_description(self, item: Link) -> str:
        return getattr(item, "excerpt", "") or ""

    def item_link(self, item: Link) -> str:
        return reverse("link", args=[item.pk])

    def item_pubdate(self, item: Link):
        return item.created

    def item_updateddate(self, item: Link):
        return item.updated

    def item_categories(self, item: Link) -> list[str]:
        return [t.name for t in item.tags.all()]

"""Atom feed of a user's public links, for readers that follow someone's shelf."""

from __future__ import annotations

from django.contrib.syndication.views import Feed
from django.http import HttpRequest
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _

from snapshelf.accounts.models import Profile
from snapshelf.library.models import Link
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

"""The query's filters (tags, sites, flags, has:, languages, types, dates) as a QuerySet of
the owner's links: plain ORM, the same on every backend; its words are the index's job."""

from __future__ import annotations

import re
from datetime import datetime, time

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from snapshelf.library.models import Link
from snapshelf.reading.models import Highlight
from snapshelf.search.query import Query


def _site_regex(site: str) -> str:
    host = re.escape(site.strip().strip(".").lower())
    return rf"^[a-z][a-z0-9+.-]*://([^/?#@]*@)?([^/?#@]*\.)?{host}(:[0-9]+)?([/?#]|$)"


def _day_start(day) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def filtered_links(
    owner_id: int, query: Query, *, public_only: bool = False, include_archived: bool = True
) -> QuerySet[Link]:
    """The owner's links passing the query's filters (not its words)."""
    qs = Link.objects.filter(owner_id=owner_id)
    through = Link.tags.through
    for name in dict.fromkeys(t.lower() for t in query.tags):
        qs = qs.filter(
            Exists(through.objects.filter(link_id=OuterRef("pk"), tag__name__iexact=name))
        )
    for name in dict.fromkeys(t.lower() for t in query.exclude_tags):
        qs = qs.exclude(
            Exists(through.objects.filter(link_id=OuterRef("pk"), tag__name__iexact=name))
        )
    if query.sites:
        match = Q()
        for site in query.sites:
            if site.strip().strip("."):
                match |= Q(url__iregex=_site_regex(site))
        qs = qs.filter(match)
    flags = set(query.flags)
    if "unread" in flags:
        qs = qs.filter(unread=True)
    if "favorite" in flags:
        qs = qs.filter(favorite=True)
    if "archived" in flags:
        qs = qs.filter(archived=True)
    if "public" in flags or public_only:
        qs = qs.filter(visibility=Link.Visibility.PUBLIC)
    if "changed" in flags:
        qs = qs.filter(changed__isnull=False)
    if "highlights" in query.has and not public_only:  # visitors never learn of them
        qs = qs.filter(Exists(Highlight.objects.filter(link_id=OuterRef("pk"))))
    if not include_archived and "archived" not in flags:
        qs = qs.filter(archived=False)
    if query.langs:
        match = Q()
        for lang in query.langs:
            match |= Q(latest_snapshot__language__istartswith=lang)
        qs = qs.filter(match)
    if query.types:
        qs = qs.filter(latest_snapshot__kind__in=[t.lower() for t in query.types])
    if query.before:
        qs = qs.filter(created__lt=_day_start(query.before))
    if query.after:
        qs = qs.filter(created__gte=_day_start(query.after))
    return qs

"""Watched links: re-captured on a schedule, keeping a new version only when the text
changed (library.versions decides that at commit).

The periodic job (jobs.tasks.check_watched_links) calls queue_due every few minutes on
every worker; each due link is claimed by a conditional UPDATE of its `next_check`, so
with several workers a link is still queued once.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from snapshelf.library.models import Link, Snapshot
from snapshelf.library.records import new_snapshot

PRESETS = {"daily": 24, "weekly": 168}
#: A year: a longer interval is a typo more likely than a wish.
MAX_HOURS = 24 * 366
#: Links queued per run; the rest wait for the next run (a few minutes).
BATCH = 200
_HOURS = re.compile(r"(\d{1,5})\s*h?")
LIVE = (Snapshot.Status.QUEUED, Snapshot.Status.RUNNING)


def parse_every(value: str) -> int:
    """Hours from "daily", "weekly", "off" or "Nh" (also "N"); ValueError with a reason."""
    text = value.strip().lower()
    if text in PRESETS:
        return PRESETS[text]
    if text in ("off", "never", "0", "0h"):
        return 0
    match = _HOURS.fullmatch(text)
    if not match:
        raise ValueError(
            f"unknown schedule {value!r}: use daily, weekly, off or a number of hours such as 12h"
        )
    return check_hours(int(match.group(1)))


def check_hours(hours: int) -> int:
    if not 0 <= hours <= MAX_HOURS:
        raise ValueError(f"the watch interval must be between 1 and {MAX_HOURS} hours (0: off)")
    return hours


def describe(hours: int) -> str:
    """How the schedule reads in the UI."""
    if not hours:
        return _("off")
    if hours == PRESETS["daily"]:
        return _("daily")
    if hours == PRESETS["weekly"]:
        return _("weekly")
    return ngettext("every %(n)d hour", "every %(n)d hours", hours) % {"n": hours}


def set_watch(link: Link, hours: int, now: datetime | None = None) -> Link:
    """Watch `link` every `hours` (0: stop). The first check comes one interval after the
    last capture, or at the next run if that time has passed."""
    hours = check_hours(hours)
    now = now or timezone.now()
    link.watch_hours = hours
    if hours:
        last = (
            link.snapshots.filter(status=Snapshot.Status.DONE)
            .order_by("-version")
            .values_list("finished", flat=True)
            .first()
        )
        link.next_check = max(now, last + timedelta(hours=hours)) if last else now
    else:
        link.next_check = None
    link.save(update_fields=["watch_hours", "next_check"])
    return link


def queue_due(now: datetime | None = None, limit: int = BATCH) -> list[int]:
    """Queue a capture for each watched link whose check is due; returns the snapshot ids.

    Each due link's next check moves one interval past `now` (also when a capture of it is
    already queued or running: that one serves as this check)."""
    now = now or timezone.now()
    due = list(
        Link.objects.filter(watch_hours__gt=0, next_check__lte=now)
        .order_by("next_check")
        .values_list("pk", "next_check", "watch_hours")[:limit]
    )
    queued = []
    for pk, next_check, hours in due:
        with transaction.atomic():
            claimed = Link.objects.filter(pk=pk, watch_hours=hours, next_check=next_check).update(
                next_check=now + timedelta(hours=hours)
            )
            if not claimed:  # another worker took it, or the owner changed the schedule
                continue
            link = Link.objects.get(pk=pk)
            if link.snapshots.filter(status__in=LIVE).exists():
                continue
            queued.append(new_snapshot(link).pk)
    return queued


def clear_changed(link: Link) -> bool:
    """The owner has seen the change: the library stops highlighting the link."""
    if link.changed is None:
        return False
    Link.objects.filter(pk=link.pk).update(changed=None)
    return True

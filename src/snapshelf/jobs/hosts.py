"""Per-destination-host concurrency: at most N captures of one host run at once,
whichever worker, process or machine runs them.

A capture that finds every slot of its host taken is not run: the task puts it back on
the queue a little later (see jobs.tasks.capture_snapshot), so a big import from one site
never hammers it and never blocks captures of other sites.
"""

from __future__ import annotations

import random
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from snapshelf.jobs.models import HostSlot


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def limit() -> int:
    """Slots per host; 0 means no limit."""
    return settings.SNAPSHELF_HOST_CAPTURES


def acquire(host: str, snapshot_id: int) -> bool:
    """Take a free slot of `host` for this capture; False when all are in use."""
    if limit() <= 0 or not host:
        return True
    if HostSlot.objects.filter(host=host, snapshot_id=snapshot_id).exists():
        return True  # a redelivered job of a capture that holds a slot already
    now = timezone.now()
    expires = now + timedelta(seconds=settings.SNAPSHELF_RETRY["lease"])
    while True:
        taken = set(HostSlot.objects.filter(host=host).values_list("slot", flat=True))
        for slot in range(limit()):
            if slot in taken:
                continue
            try:
                with transaction.atomic():
                    HostSlot.objects.create(
                        host=host, slot=slot, snapshot_id=snapshot_id, expires=expires
                    )
                return True
            except IntegrityError:  # another worker took it a moment ago
                continue
        # Every slot is taken: free those of captures whose worker died, then look again.
        # (Only now: a delete takes the database's write lock, which each capture
        # would otherwise wait for once more.)
        if not HostSlot.objects.filter(host=host, expires__lt=now).delete()[0]:
            return False


def release(host: str, snapshot_id: int) -> None:
    HostSlot.objects.filter(host=host, snapshot_id=snapshot_id).delete()


def wait_seconds() -> float:
    """How long a capture waits for its host; jittered so waiting captures spread out."""
    return random.uniform(1.0, 3.0)


def busy_hosts() -> dict[str, int]:
    """Hosts with captures running now and how many slots each holds."""
    counts: dict[str, int] = {}
    for host in HostSlot.objects.filter(expires__gte=timezone.now()).values_list("host", flat=True):
        counts[host] = counts.get(host, 0) + 1
    return counts

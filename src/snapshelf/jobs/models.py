"""Bookkeeping the queue itself cannot do: how many captures run against each host."""

from __future__ import annotations

from django.db import models


class HostSlot(models.Model):
    """One of the N capture slots of a destination host, held by one running capture.

    The unique (host, slot) pair makes taking a slot atomic on every database, across
    threads, processes and machines; `expires` frees the slot of a worker that died."""

    host = models.CharField(max_length=255)
    slot = models.PositiveSmallIntegerField()
    snapshot_id = models.BigIntegerField()
    expires = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["host", "slot"], name="hostslot_unique_slot"),
        ]

    def __str__(self) -> str:
        return f"{self.host}#{self.slot} ← snapshot {self.snapshot_id}"

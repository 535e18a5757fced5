"""An import started from the web: its file waits on disk for a worker, and its report
stays for the user to read."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

#: rejected rows kept in a report; the count is kept in full
REPORT_ROWS = 1000


class ImportRun(models.Model):
    class State(models.TextChoices):
        QUEUED = "queued", _("Waiting")
        RUNNING = "running", _("Importing…")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="import_runs"
    )
    filename = models.CharField(max_length=255)
    size = models.BigIntegerField(default=0)
    format = models.CharField(max_length=40, blank=True, default="")
    tags = models.JSONField(default=list, blank=True)
    capture = models.BooleanField(default=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    position = models.BigIntegerField(default=0, help_text="bytes of the file read so far")
    added = models.PositiveIntegerField(default=0)
    merged = models.PositiveIntegerField(default=0)
    queued = models.PositiveIntegerField(default=0)
    rejected_count = models.PositiveIntegerField(default=0)
    rejected = models.JSONField(default=list, blank=True, help_text="[line, text, reason]")
    error = models.TextField(blank=True, default="")
    created = models.DateTimeField(auto_now_add=True)
    finished = models.DateTimeField(null=True, blank=True)
    #: the worker's lease (snapshelf.io.runs.recover_stale): renewed with every batch
    heartbeat = models.DateTimeField(
        null=True, blank=True, help_text="when the worker running it last wrote progress"
    )
    attempts = models.PositiveSmallIntegerField(
        default=0, help_text="workers that claimed it: a dead one's successor starts again"
    )

    class Meta:
        ordering = ["-created", "-id"]

    def __str__(self) -> str:
        return self.filename

    @property
    def percent(self) -> int:
        return min(100, round(100 * self.position / self.size)) if self.size else 100

    @property
    def live(self) -> bool:
        return self.state in (self.State.QUEUED, self.State.RUNNING)

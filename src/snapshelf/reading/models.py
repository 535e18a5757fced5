"""A highlight: a passage of a link's reader text, anchored with the W3C Web Annotation
selectors (TextQuoteSelector: exact, prefix, suffix; TextPositionSelector: start, end)
so it can be found again after a re-render or on a new version of the page."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

#: Longest passage one highlight holds; a whole article is not a highlight.
MAX_EXACT = 5000
#: Context kept either side of the passage (the selectors' prefix and suffix).
CONTEXT = 32
MAX_NOTE = 10_000


class Highlight(models.Model):
    class Color(models.TextChoices):
        YELLOW = "yellow", _("Yellow")
        GREEN = "green", _("Green")
        BLUE = "blue", _("Blue")
        PINK = "pink", _("Pink")

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="highlights"
    )
    link = models.ForeignKey("library.Link", on_delete=models.CASCADE, related_name="highlights")
    snapshot = models.ForeignKey(
        "library.Snapshot",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="the version the highlight was made on",
    )
    anchored = models.ForeignKey(
        "library.Snapshot",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="the latest version whose reader text start/end point into",
    )
    exact = models.TextField()
    prefix = models.TextField(blank=True, default="")
    suffix = models.TextField(blank=True, default="")
    start = models.PositiveIntegerField(default=0)
    end = models.PositiveIntegerField(default=0)
    color = models.CharField(max_length=10, choices=Color.choices, default=Color.YELLOW)
    note = models.TextField(blank=True, default="")
    orphaned = models.BooleanField(
        default=False, help_text="its passage is not in the link's latest version"
    )
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["link", "orphaned", "start", "id"]
        indexes = [models.Index(fields=["owner", "link"], name="highlight_owner_link")]

    def __str__(self) -> str:
        return self.exact[:60]

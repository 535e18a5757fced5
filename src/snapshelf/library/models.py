"""The library: links a user saved, their tags, and the snapshots of each link."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Blob(models.Model):
    """One stored byte stream; shared by every snapshot and user that has the same bytes."""

    sha256 = models.CharField(max_length=64, primary_key=True)
    size = models.BigIntegerField()
    stored_size = models.BigIntegerField()
    created = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.sha256


class Tag(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tags"
    )
    name = models.CharField(max_length=100)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint("owner", Lower("name"), name="tag_unique_name_per_owner"),
        ]

    def __str__(self) -> str:
        return self.name


SORT_TITLE_CHARS = 200


def sort_key(text: str) -> str:
    """Case-folded prefix stored for the title sort: an index can serve it, a join cannot."""
    return " ".join(text.split()).casefold()[:SORT_TITLE_CHARS]


def new_share_token() -> str:
    """An unlisted link's address must not be guessable by counting (128 random bits)."""
    return secrets.token_urlsafe(16)


class Link(models.Model):
    class Visibility(models.TextChoices):
        PRIVATE = "private", _("Private")
        UNLISTED = "unlisted", _("Unlisted")
        PUBLIC = "public", _("Public")

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="links"
    )
    url = models.TextField(help_text="the URL as given")
    url_normalized = models.TextField()
    url_hash = models.CharField(max_length=64, help_text="sha256 of url_normalized")
    title = models.CharField(max_length=500, blank=True, default="", help_text="user override")
    note = models.TextField(blank=True, default="")
    tags = models.ManyToManyField(Tag, blank=True, related_name="links")
    unread = models.BooleanField(default=True)
    favorite = models.BooleanField(default=False)
    archived = models.BooleanField(default=False)
    visibility = models.CharField(
        max_length=10, choices=Visibility.choices, default=Visibility.PRIVATE
    )
    # a default, not auto_now_add: an import keeps the date the bookmark was made
    created = models.DateTimeField(default=timezone.now, db_index=True)
    updated = models.DateTimeField(auto_now=True)
    latest_snapshot = models.ForeignKey(
        "Snapshot", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    capture_mode = models.CharField(
        max_length=10,
        default="auto",
        choices=[("auto", _("Automatic")), ("static", _("Static")), ("browser", _("Browser"))],
        help_text="how new snapshots are taken; auto uses the browser for script-rendered pages",
    )
    sort_title = models.CharField(
        max_length=SORT_TITLE_CHARS, blank=True, default="", help_text="sort_key(display_title)"
    )
    watch_hours = models.PositiveIntegerField(
        default=0, help_text="re-capture every this many hours; 0: not watched"
    )
    next_check = models.DateTimeField(
        null=True, blank=True, db_index=True, help_text="when the watch captures it next"
    )
    changed = models.DateTimeField(
        null=True,
        blank=True,
        help_text="when a watched re-capture kept a changed version; cleared when the owner "
        "opens the link",
    )
    share_token = models.CharField(
        max_length=32,
        unique=True,
        default=new_share_token,
        help_text="the secret in an unlisted link's address (/shared/<token>/); a new one "
        "revokes the old address",
    )

    class Meta:
        ordering = ["-created", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "url_hash"], name="link_unique_url_per_owner"),
        ]
        indexes = [
            models.Index(fields=["owner", "-created"], name="link_owner_created"),
            models.Index(fields=["owner", "sort_title", "id"], name="link_owner_sort_title"),
        ]

    def __str__(self) -> str:
        return self.url

    def save(self, *args, **kwargs) -> None:
        self.sort_title = sort_key(self.display_title)
        fields = kwargs.get("update_fields")
        if fields is not None and "title" in fields:
            kwargs["update_fields"] = {*fields, "sort_title"}
        super().save(*args, **kwargs)

    @property
    def display_title(self) -> str:
        snap = self.latest_snapshot
        return self.title or (snap.title if snap else "") or self.url


class Snapshot(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Capturing…")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    class Mode(models.TextChoices):
        STATIC = "static", _("Static")
        BROWSER = "browser", _("Browser")
        AUTO = "auto", _("Automatic")
        UPLOAD = "upload", _("From your browser")
        IMPORTED = "imported", _("Imported")

    link = models.ForeignKey(Link, on_delete=models.CASCADE, related_name="snapshots")
    version = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    error_code = models.CharField(max_length=40, blank=True, default="")
    error = models.TextField(blank=True, default="")
    mode = models.CharField(max_length=10, choices=Mode.choices, default=Mode.STATIC)
    created = models.DateTimeField(auto_now_add=True)
    started = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0, help_text="captures tried so far")
    finished = models.DateTimeField(null=True, blank=True)
    timings = models.JSONField(default=dict, blank=True)

    http_status = models.PositiveIntegerField(null=True, blank=True)
    final_url = models.TextField(blank=True, default="")
    content_type = models.CharField(max_length=200, blank=True, default="")
    charset = models.CharField(max_length=40, blank=True, default="")
    kind = models.CharField(
        max_length=10, blank=True, default="", help_text="html/pdf/image/text/other"
    )
    headers = models.JSONField(
        default=list,
        blank=True,
        help_text="the document's HTTP response header fields as [name, value] pairs, as "
        "received (the WARC export writes them); empty for captures made before they were kept",
    )

    title = models.TextField(blank=True, default="")
    author = models.TextField(blank=True, default="")
    published = models.CharField(max_length=40, blank=True, default="")
    site_name = models.TextField(blank=True, default="")
    language = models.CharField(max_length=20, blank=True, default="")
    description = models.TextField(blank=True, default="")
    image_url = models.TextField(blank=True, default="")
    text = models.TextField(blank=True, default="")
    readable_html = models.TextField(blank=True, default="")
    markdown = models.TextField(blank=True, default="")
    word_count = models.PositiveIntegerField(default=0)
    fingerprint = models.CharField(max_length=16, blank=True, default="")

    original_blob = models.ForeignKey(
        Blob,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="the document bytes as fetched",
    )
    root_blob = models.ForeignKey(
        Blob,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="the rewritten document served for replay (HTML only)",
    )
    screenshot_blob = models.ForeignKey(
        Blob, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    pdf_blob = models.ForeignKey(
        Blob, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    total_bytes = models.BigIntegerField(default=0)
    resource_count = models.PositiveIntegerField(default=0)

    force = models.BooleanField(
        default=False, help_text="keep this version even if its text equals the previous one"
    )
    changes = models.JSONField(
        default=dict,
        blank=True,
        help_text="counts of what changed since the previous done version (see library.diff)",
    )
    checks = models.PositiveIntegerField(
        default=0, help_text="later captures that found the same text and kept this version"
    )
    last_checked = models.DateTimeField(null=True, blank=True)
    last_check_id = models.PositiveBigIntegerField(
        null=True,
        blank=True,
        help_text="the id the latest such capture had, so a page polling it finds this version",
    )

    class Meta:
        ordering = ["-created", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["link", "version"], name="snapshot_unique_version"),
        ]
        indexes = [models.Index(fields=["status"], name="snapshot_status")]

    def __str__(self) -> str:
        return f"{self.link_id} v{self.version} ({self.status})"


class Resource(models.Model):
    class Kind(models.TextChoices):
        DOCUMENT = "document"
        STYLESHEET = "stylesheet"
        IMAGE = "image"
        FONT = "font"
        MEDIA = "media"
        ICON = "icon"
        OTHER = "other"

    snapshot = models.ForeignKey(Snapshot, on_delete=models.CASCADE, related_name="resources")
    url = models.TextField()
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.OTHER)
    content_type = models.CharField(max_length=200, blank=True, default="")
    http_status = models.PositiveIntegerField(null=True, blank=True)
    headers = models.JSONField(
        default=list,
        blank=True,
        help_text="HTTP response header fields as [name, value] pairs, as received; empty for "
        "captures made before they were kept",
    )
    blob = models.ForeignKey(
        Blob,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="bytes as fetched",
    )
    replay_blob = models.ForeignKey(
        Blob,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="rewritten bytes served for replay (stylesheets)",
    )
    error_code = models.CharField(max_length=40, blank=True, default="")
    error = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["snapshot", "replay_blob"], name="resource_snap_replay"),
            models.Index(fields=["snapshot", "blob"], name="resource_snap_blob"),
        ]

    def __str__(self) -> str:
        return self.url

    @property
    def key(self) -> str:
        """The key the replay document uses for this resource (sha256 of the served bytes)."""
        return self.replay_blob_id or self.blob_id or ""


class ReadingProgress(models.Model):
    """Where the owner stopped reading a link's reader text: a row of its own, so the
    saves a reader sends while scrolling touch neither the link (its `updated` date,
    the search index) nor the library's cache stamp."""

    link = models.OneToOneField(
        Link, on_delete=models.CASCADE, primary_key=True, related_name="reading_progress"
    )
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    fraction = models.FloatField(default=0.0, help_text="0..1 of the reader text scrolled")
    offset = models.PositiveIntegerField(
        default=0, help_text="CSS pixels from the top of the reader text, when it was saved"
    )
    updated = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["owner", "-updated"], name="progress_owner_updated")]

    def __str__(self) -> str:
        return f"{self.link_id}: {self.fraction:.0%}"

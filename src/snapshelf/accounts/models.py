"""Per-user settings beside Django's auth User."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


def default_nickname() -> str:
    return "user-" + secrets.token_hex(4)


class Profile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    nickname = models.CharField(max_length=40, unique=True, default=default_nickname)
    language = models.CharField(max_length=10, blank=True, default="")
    library_version = models.PositiveBigIntegerField(
        default=0, help_text="bumped by every change to the user's library (cache stamps)"
    )
    # The reader's typography, remembered per user (the reading page's settings).
    reader_font_size = models.PositiveSmallIntegerField(
        default=100, help_text="percent of the normal reader text size"
    )
    reader_font = models.CharField(
        max_length=5,
        default="serif",
        choices=[("serif", _("Serif")), ("sans", _("Sans-serif"))],
    )
    reader_width = models.CharField(
        max_length=6,
        default="medium",
        choices=[("narrow", _("Narrow")), ("medium", _("Medium")), ("wide", _("Wide"))],
    )

    def __str__(self) -> str:
        return self.nickname

    def save(self, *args, **kwargs) -> None:
        """Remember the nickname this save replaces: addresses under /u/<old>/ that were
        shared keep leading to this profile (see FormerNickname)."""
        old = None
        if self.pk:
            old = Profile.objects.filter(pk=self.pk).values_list("nickname", flat=True).first()
        super().save(*args, **kwargs)
        if old and old != self.nickname:
            FormerNickname.objects.update_or_create(nickname=old, defaults={"profile": self})
            FormerNickname.objects.filter(profile=self, nickname=self.nickname).delete()


class FormerNickname(models.Model):
    """A nickname a profile had before; /u/<former>/… redirects to the current one (unless
    someone has since taken the nickname: a current nickname always wins)."""

    profile = models.ForeignKey(Profile, on_delete=models.CASCADE, related_name="former_nicknames")
    nickname = models.CharField(max_length=40, unique=True)
    changed = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.nickname} → {self.profile.nickname}"


class ApiToken(models.Model):
    """A personal API token. Only the SHA-256 of its secret is kept: the secret is shown
    once, at creation, and a stolen database cannot be replayed against the API."""

    class Scope(models.TextChoices):
        READ = "read", _("Read only")
        WRITE = "write", _("Read and write")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    scope = models.CharField(max_length=5, choices=Scope.choices, default=Scope.READ)
    prefix = models.CharField(max_length=16, help_text="start of the secret, to tell tokens apart")
    key_hash = models.CharField(max_length=64, unique=True, help_text="sha256 of the secret")
    created = models.DateTimeField(auto_now_add=True)
    last_used = models.DateTimeField(null=True, blank=True)
    revoked = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def can_write(self) -> bool:
        return self.scope == self.Scope.WRITE


class Feed(models.Model):
    """A private Atom feed (unread links, a tag, a search) behind a secret URL.

    The secret is not stored: it is an HMAC of the feed's id and `nonce` under the
    server's key, so the owner can see the URL again and rotating the nonce kills it."""

    class Kind(models.TextChoices):
        UNREAD = "unread", _("Unread links")
        TAG = "tag", _("Tag")
        SEARCH = "search", _("Search")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="feeds"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    value = models.CharField(max_length=200, blank=True, default="", help_text="tag or query")
    nonce = models.CharField(max_length=32)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created", "id"]

    def __str__(self) -> str:
        return f"{self.kind}:{self.value}"


class OidcIdentity(models.Model):
    """A user's account at the OpenID Connect provider (issuer and subject): how a
    single sign-on finds the user again, whatever the provider's e-mail or name says."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="oidc_identities"
    )
    issuer = models.CharField(max_length=500)
    subject = models.CharField(max_length=255)
    created = models.DateTimeField(auto_now_add=True)
    last_login = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["issuer", "subject"], name="oidc_identity_unique")
        ]

    def __str__(self) -> str:
        return f"{self.subject} @ {self.issuer}"

"""Per-user settings beside Django's auth User."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models


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

    def __str__(self) -> str:
        return self.nickname

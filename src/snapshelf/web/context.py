"""Template context every page needs (navigation, sign-up switch)."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def snapshelf(request: HttpRequest) -> dict:
    return {"open_signup": settings.SNAPSHELF_OPEN_SIGNUP}

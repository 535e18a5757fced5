"""Template context every page needs (navigation, sign-up switch, the chosen theme)."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

#: The cookie holding the person's theme; "system" (or none) follows the OS setting.
THEME_COOKIE = "snapshelf_theme"
THEMES = ("system", "light", "dark")


def theme_of(request: HttpRequest) -> str:
    value = request.COOKIES.get(THEME_COOKIE, "system")
    return value if value in THEMES else "system"


def snapshelf(request: HttpRequest) -> dict:
    return {"open_signup": settings.SNAPSHELF_OPEN_SIGNUP, "theme": theme_of(request)}

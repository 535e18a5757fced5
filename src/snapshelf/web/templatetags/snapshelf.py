"""Template helpers shared by every page."""

from __future__ import annotations

import re
from datetime import datetime

from django import template
from django.contrib.humanize.templatetags.humanize import naturaltime
from django.utils import formats, timezone
from django.utils.html import format_html

register = template.Library()


@register.simple_tag
def reltime(value: datetime | None) -> str:
    """A localised relative time ("3 hours ago" / "3 小时前") with the exact date on hover."""
    if value is None:
        return ""
    local = timezone.localtime(value)
    return format_html(
        '<time datetime="{}" title="{}">{}</time>',
        value.isoformat(),
        formats.date_format(local, "DATETIME_FORMAT"),
        naturaltime(value),
    )


_PLACEHOLDER_NICKNAME = re.compile(r"user-[0-9a-f]{8}")


@register.filter
def display_name(user) -> str:  # noqa: ANN001
    """What the header calls the person: their nickname once they picked one, else their
    user name (the generated "user-97bdf444" means nothing to them)."""
    profile = getattr(user, "profile", None)
    nickname = getattr(profile, "nickname", "") or ""
    if not nickname or _PLACEHOLDER_NICKNAME.fullmatch(nickname):
        return user.get_username()
    return nickname

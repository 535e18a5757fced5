"""Template helpers shared by every page."""

from __future__ import annotations

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

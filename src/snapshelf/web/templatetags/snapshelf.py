"""Template helpers shared by every page."""

from __future__ import annotations

import re
from datetime import datetime
from http import HTTPStatus

from django import template
from django.contrib.humanize.templatetags.humanize import naturaltime
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from snapshelf.services import reading

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


_HTTP_IN_MESSAGE = re.compile(r"\bHTTP (\d{3})\b")


def _failure_labels() -> dict[str, str]:
    return {
        "blocked": _("Blocked: private or local address"),
        "timeout": _("Timed out"),
        "connection": _("Could not connect"),
        "too_large": _("Too large"),
        "too_many_redirects": _("Too many redirects"),
        "invalid_url": _("Not a valid address"),
        "unsupported": _("Unsupported content"),
        "browser": _("The browser failed"),
        "too_complex": _("Page too complex"),
        "storage_quota": _("Over the storage quota"),
        "lease_expired": _("The worker stopped"),
        "worker_lost": _("The worker stopped on every try"),
        "too_many_navigations": _("The page kept navigating"),
        "disk_full": _("The server's disk is full"),
        "extract_failed": _("Text could not be read"),
    }


@register.simple_tag
def failure_label(code: str, message: str = "", http_status: int | None = None) -> str:
    """What went wrong in words ("HTTP 404 Not Found", "Timed out"), not the stored code
    ("http_error"): the code is for programs, the badge is for people."""
    if code == "http_error":
        found = _HTTP_IN_MESSAGE.search(message or "")
        status = http_status or (int(found.group(1)) if found else 0)
        try:
            return f"HTTP {status} {HTTPStatus(status).phrase}"
        except ValueError:
            return f"HTTP {status}" if status else _("HTTP error")
    return _failure_labels().get(code, code or _("Failed"))


@register.simple_tag
def blocked_hint() -> str:
    """Where the fix for a refused private address is made, and in which process."""
    return _(
        "Snapshelf does not capture private or local addresses unless allowed. To allow "
        "this one, add its host to SNAPSHELF_EGRESS_ALLOW in the environment of the process "
        "that runs captures (the worker; `snapshelf serve` when it runs the worker) and "
        "restart it."
    )


@register.filter
def pubdate(value: str) -> str:
    """A captured publication date ("2024-03-01T08:00:00+00:00") in the reader's words
    and the UI's language; text that is not an ISO date is shown as it was found."""
    text = (value or "").strip()
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text
    if len(text) <= 10:  # a date alone: no time to show, no zone to convert
        return formats.date_format(parsed.date(), "DATE_FORMAT")
    if timezone.is_aware(parsed):
        parsed = timezone.localtime(parsed)
    return formats.date_format(parsed, "DATE_FORMAT")


@register.simple_tag
def reading_time(snap) -> str:  # noqa: ANN001
    """ "5 min read" / "阅读约 5 分钟", from the captured text's length and language
    (services.reading.reading_minutes); empty when there is no text to read."""
    minutes = reading.reading_minutes(
        getattr(snap, "word_count", 0) or 0, getattr(snap, "language", "") or ""
    )
    if not minutes:
        return ""
    return ngettext("%(n)d min read", "%(n)d min read", minutes) % {"n": minutes}

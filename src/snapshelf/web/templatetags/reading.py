"""The reader's state in templates: where the owner stopped, the text's direction, the
typography classes, and the choices of the reader settings form."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext as _

from snapshelf.services import reading

register = template.Library()


def _choices(current: reading.ReaderSettings) -> dict:
    return {
        "settings": current,
        "sizes": [(size, f"{size}%") for size in reading.FONT_SIZES],
        "fonts": [("serif", _("Serif")), ("sans", _("Sans-serif"))],
        "widths": [("narrow", _("Narrow")), ("medium", _("Medium")), ("wide", _("Wide"))],
    }


@register.simple_tag
def reader_choices(user) -> dict:  # noqa: ANN001
    """The user's reader settings and what the settings form offers."""
    return _choices(reading.reader_settings(user))


@register.simple_tag
def reader_state(user, link, snap) -> dict:  # noqa: ANN001
    """What the reader view needs: saved progress (restored by reader.js), direction
    ("rtl" for Arabic, Hebrew, Persian… by the snapshot's language, else its letters),
    how long a one-screen text must be shown to count as read, and the classes applying
    the user's typography."""
    current = reading.reader_settings(user)
    progress = reading.progress_for(user, link) if link is not None else None
    language = getattr(snap, "language", "") or ""
    text = getattr(snap, "text", "") or ""
    return {
        **_choices(current),
        "fraction": f"{progress.fraction:.4f}" if progress else "",
        "offset": progress.offset if progress else "",
        "dir": reading.text_direction(language, text),
        "finish_after_ms": round(
            1000 * reading.finish_after_seconds(getattr(snap, "word_count", 0) or 0, language)
        ),
        "classes": (
            f"reader-size-{current.font_size} reader-font-{current.font} "
            f"reader-width-{current.width}"
        ),
    }


@register.filter
def percent(fraction: float) -> int:
    """0.4237 -> 42 (for progress bars and labels)."""
    try:
        return round(float(fraction) * 100)
    except (TypeError, ValueError):
        return 0

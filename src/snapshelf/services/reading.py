"""The door for the reading side: where a reader stopped (progress), the links to
continue, the reader's typography, and the estimates the reader shows (reading time,
text direction).

Progress lives in its own row (`library.ReadingProgress`), written on every debounced
scroll of the reader: it must stay cheap and must not touch the link (its `updated`
date, the search index, the library's cache stamp).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from snapshelf.accounts.models import Profile
from snapshelf.library import records
from snapshelf.library.models import Link, ReadingProgress
from snapshelf.services import links as link_door

#: Below this fraction a link was only opened, not started; at or above it, finished.
STARTED = 0.03
FINISHED = 0.95
#: Links listed under "Continue reading" on the library page.
CONTINUE_LIMIT = 5

#: Reading speeds (silent reading of non-fiction, rounded): words a minute for languages
#: written with spaces, characters a minute for Chinese and Japanese (the stored
#: word_count counts one per Han or kana character; Korean Hangul counts by words).
WORDS_PER_MINUTE = 230
CHARS_PER_MINUTE = {"zh": 400, "ja": 500}
#: Languages written right to left (primary subtags).
RTL_LANGUAGES = frozenset(
    {"ar", "arc", "dv", "fa", "he", "iw", "ckb", "ps", "sd", "ug", "ur", "yi"}
)

_RTL_CHAR = re.compile(r"[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]")
_LTR_CHAR = re.compile(r"[A-Za-z\u00c0-\u024f\u0370-\u03ff\u0400-\u04ff\u3040-\u30ff\u4e00-\u9fff]")


class BadProgress(ValueError):
    """A progress value that is not a number between 0 and 1."""


@dataclass(frozen=True)
class Saved:
    fraction: float
    offset: int
    #: the save finished the text and took the link off the unread list
    marked_read: bool = False


def _primary(language: str) -> str:
    return (language or "").strip().lower().replace("_", "-").split("-")[0]


def reading_minutes(word_count: int, language: str) -> int:
    """Minutes to read a text of `word_count` (as capture counts it) in `language`;
    0 when there is too little to call it reading."""
    if word_count < 30:
        return 0
    rate = CHARS_PER_MINUTE.get(_primary(language), WORDS_PER_MINUTE)
    return max(1, round(word_count / rate))


#: a text that fits on one screen is never scrolled: it counts as read once it has been
#: on screen for half the time reading it takes, within these bounds (seconds)
DWELL_SECONDS = (3.0, 30.0)


def finish_after_seconds(word_count: int, language: str) -> float:
    """How long a text that fits on one screen must stay on screen to count as read:
    opening a short article and leaving at once is not reading it."""
    rate = CHARS_PER_MINUTE.get(_primary(language), WORDS_PER_MINUTE)
    low, high = DWELL_SECONDS
    return min(high, max(low, 0.5 * 60.0 * max(word_count, 0) / rate))


def text_direction(language: str, text: str = "") -> str:
    """ "rtl" or "ltr": from the language when it is known, else from which letters
    dominate the start of the text (a page with no language declared)."""
    primary = _primary(language)
    if primary:
        return "rtl" if primary in RTL_LANGUAGES else "ltr"
    sample = text[:2000]
    rtl = len(_RTL_CHAR.findall(sample))
    return "rtl" if rtl and rtl > len(_LTR_CHAR.findall(sample)) else "ltr"


def _clean_fraction(value: object) -> float:
    try:
        fraction = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise BadProgress("progress must be a number between 0 and 1") from None
    if not math.isfinite(fraction) or not 0.0 <= fraction <= 1.0:
        raise BadProgress("progress must be a number between 0 and 1")
    return fraction


def _clean_offset(value: object) -> int:
    try:
        offset = int(value or 0)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        raise BadProgress("offset must be a whole number of pixels") from None
    return max(0, min(offset, 2**31 - 1))


def save_progress(
    owner: AbstractBaseUser, link_id: int, fraction: object, offset: object = 0
) -> Saved:
    """Remember how far the owner read the link (`fraction` of the reader text, and
    `offset` pixels). Reaching the end the first time marks an unread link read.

    Link.DoesNotExist for anyone else's link; BadProgress for a value out of range."""
    with transaction.atomic():
        link = records.links_for(owner).select_for_update().get(pk=link_id)
        value = _clean_fraction(fraction)  # after the owner check: not theirs is "not found"
        pixels = _clean_offset(offset)
        before = ReadingProgress.objects.filter(link=link).values_list("fraction", flat=True)
        previous = next(iter(before), 0.0)
        ReadingProgress.objects.update_or_create(
            link=link,
            defaults={
                "owner_id": owner.pk,
                "fraction": value,
                "offset": pixels,
                "updated": timezone.now(),
            },
        )
        finished = value >= FINISHED > previous and link.unread
        if finished:
            link_door.set_unread(owner, link, False)
    return Saved(value, pixels, marked_read=finished)


def progress_for(owner: AbstractBaseUser, link: Link) -> ReadingProgress | None:
    """The owner's progress in their link (None when never read, or not theirs)."""
    return ReadingProgress.objects.filter(link=link, owner=owner).first()


def continue_reading(owner: AbstractBaseUser, limit: int = CONTINUE_LIMIT) -> list[Link]:
    """Links the owner started and did not finish, the most recently read first; each
    carries `reading_fraction`."""
    rows = (
        ReadingProgress.objects.filter(owner=owner, fraction__gte=STARTED, fraction__lt=FINISHED)
        .filter(link__owner=owner)
        .select_related("link", "link__latest_snapshot")
        .order_by("-updated")[:limit]
    )
    found = []
    for row in rows:
        link = row.link
        link.reading_fraction = row.fraction
        found.append(link)
    return found


# ---- typography -------------------------------------------------------------

#: The sizes offered, in percent of the normal reader text.
FONT_SIZES = (80, 90, 100, 110, 125, 150, 175, 200)
FONTS = ("serif", "sans")
WIDTHS = ("narrow", "medium", "wide")


class BadSettings(ValueError):
    """A reader setting outside the offered choices."""


@dataclass(frozen=True)
class ReaderSettings:
    font_size: int = 100
    font: str = "serif"
    width: str = "medium"


def reader_settings(user: AbstractBaseUser) -> ReaderSettings:
    """The user's reader typography (the defaults for anyone without a profile)."""
    profile = Profile.objects.filter(user_id=user.pk).first()
    if profile is None:
        return ReaderSettings()
    return ReaderSettings(profile.reader_font_size, profile.reader_font, profile.reader_width)


def set_reader_settings(
    user: AbstractBaseUser,
    *,
    font_size: object = None,
    font: object = None,
    width: object = None,
) -> ReaderSettings:
    """Change some of the user's reader settings (None keeps one); BadSettings for a
    value that is not offered, in which case nothing is changed."""
    fields: dict[str, object] = {}
    if font_size is not None:
        try:
            size = int(font_size)  # type: ignore[call-overload]
        except (TypeError, ValueError):
            size = -1
        if size not in FONT_SIZES:
            raise BadSettings("font size must be one of " + ", ".join(map(str, FONT_SIZES)))
        fields["reader_font_size"] = size
    if font is not None:
        if font not in FONTS:
            raise BadSettings("font must be serif or sans")
        fields["reader_font"] = font
    if width is not None:
        if width not in WIDTHS:
            raise BadSettings("width must be narrow, medium or wide")
        fields["reader_width"] = width
    if fields:
        Profile.objects.get_or_create(user_id=user.pk)
        Profile.objects.filter(user_id=user.pk).update(**fields)
    return reader_settings(user)

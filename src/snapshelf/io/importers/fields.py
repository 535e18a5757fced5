"""Reading the fields every bookmark format spells its own way: dates, tags, flags."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

#: Chrome's `Bookmarks` file counts microseconds since 1601-01-01 (Windows' epoch).
_WEBKIT_EPOCH = datetime(1601, 1, 1, tzinfo=UTC)
_EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)  # before the web: a broken date


class BadDate(ValueError):
    """A date that is present but cannot be read: the row is reported, not guessed."""


def _checked(when: datetime, raw: object) -> datetime:
    if not _EARLIEST <= when <= datetime.now(UTC) + timedelta(days=2):
        raise BadDate(f"the date {raw!r} is out of range")
    return when


def epoch(raw: object) -> datetime | None:
    """Seconds, milliseconds or microseconds since 1970 (exports use all three);
    empty or 0 means no date."""
    text = str(raw).strip() if raw is not None else ""
    if text in ("", "0"):
        return None
    try:
        value = float(text)
    except ValueError:
        return written(text)
    for scale in (1, 1e3, 1e6):
        if value / scale < 1e11:  # seconds until the year 5138
            value = value / scale
            break
    try:
        return _checked(datetime.fromtimestamp(value, UTC), text)
    except (OverflowError, OSError, ValueError):
        raise BadDate(f"the date {text!r} is out of range") from None


def webkit(raw: object) -> datetime | None:
    text = str(raw or "").strip()
    if text in ("", "0"):
        return None
    try:
        return _checked(_WEBKIT_EPOCH + timedelta(microseconds=int(text)), text)
    except (ValueError, OverflowError):
        raise BadDate(f"the date {text!r} is not a Chrome timestamp") from None


def iso(raw: object) -> datetime | None:
    """ISO 8601 in its common export spellings ("2016-10-31T15:57:56Z",
    "2016-09-08T11:55:58+0200", "2015-09-09 11:10:32 UTC"); naive means UTC."""
    text = str(raw or "").strip()
    if not text:
        return None
    text = re.sub(r"\s*(UTC|GMT|Z)$", "+00:00", text)
    text = re.sub(r"([+-]\d\d)(\d\d)$", r"\1:\2", text)
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise BadDate(f"the date {raw!r} is not an ISO 8601 date") from None
    return _checked(when if when.tzinfo else when.replace(tzinfo=UTC), raw)


def written(text: str) -> datetime:
    """A date written out rather than counted (some exporters put these where a number
    of seconds belongs): ISO 8601, RFC 2822, or a web server log's 10/Oct/2000:13:55:36."""
    for parse in (
        iso,
        parsedate_to_datetime,
        lambda t: datetime.strptime(t, "%d/%b/%Y:%H:%M:%S %z"),
    ):
        try:
            when = parse(text)
        except (BadDate, ValueError, TypeError, IndexError):
            continue
        if when is not None:
            return _checked(when if when.tzinfo else when.replace(tzinfo=UTC), text)
    raise BadDate(f"the date {text!r} is neither a number of seconds nor a date we can read")


def tag_list(raw: object, *, sep: str = ",") -> tuple[str, ...]:
    """Tags as exports write them: a list, or one string split on `sep` (Pinboard and
    Delicious use spaces; the rest commas, but older Shaarli spaces: a string without
    `sep` is split on spaces). Blank names are dropped."""
    if raw is None:
        return ()
    if isinstance(raw, list | tuple):
        parts = [_tag_name(p) for p in raw]
    else:
        text = str(raw)
        parts = text.split() if sep == " " or sep not in text else text.split(sep)
    return tuple(name for p in parts if (name := " ".join(p.split())))


def _tag_name(raw: object) -> str:
    """A tag written as an object, as APIs export them (wallabag's {"label": ...},
    Omnivore's {"name": ...}), is its name, not the object's text."""
    if isinstance(raw, dict):
        for key in ("label", "name", "title", "slug"):
            if isinstance(raw.get(key), str):
                return raw[key]
        return ""
    return str(raw)


def flag(raw: object) -> bool | None:
    """'1', 'yes', 'true', True, 1 → True; '0', 'no', 'false', False, 0 → False."""
    if raw is None or raw == "":
        return None
    if isinstance(raw, bool | int):
        return bool(raw)
    text = str(raw).strip().lower()
    if text in ("1", "yes", "true", "on"):
        return True
    if text in ("0", "no", "false", "off"):
        return False
    return None

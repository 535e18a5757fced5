"""The publication date: JSON-LD, ``<meta>``, ``<time>``, a dated line below the headline."""

from __future__ import annotations

import contextlib
import re
from datetime import datetime
from email.utils import parsedate_to_datetime

import lxml.html

from snapshelf.capture.extract.parse import LazyText, Meta, ld_first

_DATE_RX = re.compile(
    r"((?:19|20)\d{2})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:[\sT]*(\d{1,2})[:：时](\d{2})(?:[:：分](\d{2}))?)?"
)
_DMY = re.compile(r"^\s*(\d{1,2})[/.](\d{1,2})[/.]((?:19|20)\d{2})\b")
_DATE_LABEL = re.compile(
    r"(?:发布时间|发表时间|发布日期|更新时间|时间|日期|发表于|发布于|published|posted|date)\s*[：:]?\s*$",
    re.I,
)


def _iso_date(value: str) -> str:
    """Normalise a date string to ISO; "" if it is not a plausible publication date."""
    value = value.strip()
    if not value:
        return ""
    iso = value.replace("Z", "+00:00") if value.endswith("Z") else value
    with contextlib.suppress(ValueError):
        dt = datetime.fromisoformat(iso)
        if not 1990 <= dt.year <= datetime.now().year + 1:
            return ""
        if len(value) <= 10:
            return dt.date().isoformat()
        return dt.isoformat()
    m = _DATE_RX.search(value)
    if m:
        return _date_from_match(m)
    m = _DMY.search(value)
    if m:
        # "13/11/2025": day first when the day says so, month first when the
        # month does; an ambiguous one is left to the other sources
        a, b, y = int(m[1]), int(m[2]), int(m[3])
        day, month = (a, b) if a > 12 >= b else (b, a) if b > 12 >= a else (0, 0)
        if day:
            with contextlib.suppress(ValueError):
                return datetime(y, month, day).date().isoformat()
        return ""
    with contextlib.suppress(TypeError, ValueError, IndexError):
        dt = parsedate_to_datetime(value)  # "Tue, 24 Jul 2015 05:36:09 GMT"
        if 1990 <= dt.year <= datetime.now().year + 1:
            return dt.isoformat()
    m = _EN_DATE.search(value)
    if m:
        day, month, year = (m["d1"] or m["d2"]), m["m1"] or m["m2"], m["y"]
        month = month.lower()
        if month in _MONTH_NAMES:
            with contextlib.suppress(ValueError):
                month_no = _MONTHS.index(month[:3]) + 1
                return datetime(int(year), month_no, int(day)).date().isoformat()
    return ""


_MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
_MONTH_NAMES = frozenset(
    _MONTHS
    + ["sept"]
    + ["january", "february", "march", "april", "june", "july", "august"]
    + ["september", "october", "november", "december"]
)
_EN_DATE = re.compile(
    r"(?:(?P<m1>[A-Za-z]{3,9})\.?\s+(?P<d1>\d{1,2})(?:st|nd|rd|th)?,?|(?P<d2>\d{1,2})(?:st|nd|rd|th)?"
    r"\s+(?P<m2>[A-Za-z]{3,9})\.?,?)\s+(?P<y>(?:19|20)\d{2})"
)


def _date_from_match(m: re.Match[str]) -> str:
    y, mo, d, hh, mm, ss = m.groups()
    try:
        if hh is not None:
            return datetime(int(y), int(mo), int(d), int(hh), int(mm), int(ss or 0)).isoformat()
        return datetime(int(y), int(mo), int(d)).date().isoformat()
    except ValueError:
        return ""


_DATE_META_KEYS = (
    "article:published_time",
    "og:article:published_time",
    "article:published",
    "datepublished",
    "published_time",
    "publishdate",
    "publish-date",
    "publish_date",
    "pubdate",
    "publication_date",
    "dc:date:issued",
    "dc:date",
    "dcterms:date",
    "dcterms:issued",
    "dcterms:created",
    "sailthru:date",
    "parsely-pub-date",
    "citation_publication_date",
    "citation_date",
    "date",
    "weibo:article:create_at",
)


def pick_date(meta: Meta, tree: lxml.html.HtmlElement, page: LazyText) -> str:
    value = ld_first(meta, "datePublished", "dateCreated")
    if value and (iso := _iso_date(value)):
        return iso
    for key in _DATE_META_KEYS:
        if key in meta.tags and (iso := _iso_date(meta.tags[key])):
            return iso
    for el in tree.iterfind(".//time[@datetime]"):
        if (
            el.get("pubdate") is not None
            or (el.get("itemprop") or "").lower() == "datepublished"
            or any(a.tag in ("article", "header", "main") for a in el.iterancestors())
        ):
            iso = _iso_date(el.get("datetime", ""))
            if iso:
                return iso
    # a labelled date after the headline, or an unlabelled one right below it
    # (dates deeper in the article are about its subject, not its publication)
    region = page.after_title
    for m in _DATE_RX.finditer(region):
        labelled = _DATE_LABEL.search(region[max(0, m.start() - 12) : m.start()])
        if labelled or m.start() < 300:
            iso = _date_from_match(m)
            if iso:
                return iso
    return _htmldate(tree)


def _htmldate(tree: lxml.html.HtmlElement) -> str:
    """Last resort: htmldate's markup heuristics (without its slow text scan)."""
    try:
        from htmldate import find_date
    except ImportError:  # pragma: no cover - comes with trafilatura
        return ""
    try:
        # extensive_search scans all text for date-like strings: +7 ms per page
        # median for a few more hits, not worth it on the capture path
        found = find_date(tree, extensive_search=False, original_date=True)
    except Exception:  # htmldate raises on odd trees; a missing date is fine
        return ""
    return _iso_date(found) if found else ""

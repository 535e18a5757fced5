"""What of a page's ``<noscript>`` content the replay keeps.

The archived copy is served without script, so a browser would show every ``<noscript>``;
the live page, which ran its scripts, shows none. Neither is the right copy: body
``<noscript>`` content often stands in for what the scripts build (lazy images, menus) and
should show, but the live page never shows tracking pixels or "please enable JavaScript"
notices, and fetching a pixel during capture would count as a visit. So:

- in ``<head>`` only inline ``<style>`` without ``url()`` survives: CSS that undoes what only a
  script would undo (AMP's boilerplate, reveal-on-scroll ``opacity: 0``), which the copy
  needs because it runs no script. Pixels, stylesheet links and refreshes go, unfetched;
- in ``<body>`` frames, links, meta and tracking pixels go (a pixel: declared 0 or 1 pixel
  wide or high, hidden or pushed off screen by its style, or a query-string URL that names
  no image file and declares no size); a ``<noscript>`` left with no image and only an
  "enable JavaScript" notice (or nothing) goes whole.

What remains is unwrapped by the element rules (:mod:`.rules`), and discovery and rewriting
both skip what :func:`noscript_removals` lists, so nothing removed is ever fetched.
"""

from __future__ import annotations

import re

from lxml import etree

_NEEDS_JS = re.compile(
    r"(enable|activate|turn on|switch on|allow|requires?|needs?|uses?|without)\W+(\w+\W+){0,4}"
    r"java\s*script|java\s*script\W+(\w+\W+){0,4}(disabled|required|needed|is off|turned off)",
    re.IGNORECASE,
)
#: An "enable JavaScript" notice is short; a long text that mentions it is content.
_NOTICE_WORDS = 60
_ALWAYS_DROP = frozenset({"iframe", "frame", "object", "embed", "link", "meta", "script", "base"})
_HIDDEN_STYLE = re.compile(
    r"display\s*:\s*none|visibility\s*:\s*hidden|(left|top)\s*:\s*-\d{3,}",
    re.IGNORECASE,
)
_IMAGE_FILE = re.compile(r"\.(png|jpe?g|gif|webp|avif|svg|bmp|ico|jfif|apng)$", re.IGNORECASE)
_MEDIA = ("img", "picture", "video", "svg", "audio", "canvas")


def _size(value: str | None) -> float | None:
    if value is None:
        return None
    m = re.match(r"\s*(\d+(?:\.\d+)?)", value)
    return float(m.group(1)) if m else None


def is_pixel(img) -> bool:
    """A tracking pixel rather than a picture (see the module docstring)."""
    sizes = [_size(img.get("width")), _size(img.get("height"))]
    if any(s is not None and s <= 1 for s in sizes):
        return True
    if _HIDDEN_STYLE.search(img.get("style") or ""):
        return True
    if img.get("srcset") or any(s is not None for s in sizes):
        return False
    src = (img.get("src") or "").strip()
    path, query = src.split("#", 1)[0], ""
    if "?" in path:
        path, query = path.split("?", 1)
    return bool(query) and not _IMAGE_FILE.search(path)


def _in_head(el) -> bool:
    return any(a.tag == "head" for a in el.iterancestors())


def _words(text: str) -> int:
    return len(text.split())


def noscript_removals(root) -> list:
    """Elements to drop (with their content) from the ``<noscript>`` elements of ``root``."""
    out: list = []
    for noscript in root.iter("noscript"):
        if any(a.tag == "noscript" for a in noscript.iterancestors()):
            continue  # judged with its outer <noscript>
        if _in_head(noscript):
            out += [
                child
                for child in noscript
                if not (child.tag == "style" and "url(" not in (child.text or "").lower())
            ]
            continue
        dropped: list = []
        for el in noscript.iter(etree.Element):
            if el is noscript or any(a in dropped for a in el.iterancestors()):
                continue
            tag = el.tag.lower() if isinstance(el.tag, str) else ""
            if tag in _ALWAYS_DROP or (tag == "img" and is_pixel(el)):
                dropped.append(el)
        kept_media = any(
            el.tag in _MEDIA and not any(d is el or d in el.iterancestors() for d in dropped)
            for el in noscript.iter(*_MEDIA)
        )
        if not kept_media:
            text = _text_outside(noscript, dropped)
            if not text.strip() or (_NEEDS_JS.search(text) and _words(text) <= _NOTICE_WORDS):
                out.append(noscript)
                continue
        out += dropped
    return out


def _text_outside(noscript, dropped: list) -> str:
    """The text of ``noscript`` without the text inside ``dropped`` elements."""
    skip = set()
    for el in dropped:
        skip.update(el.iter())
    parts: list[str] = [noscript.text or ""]
    for el in noscript.iterdescendants():
        if el not in skip and isinstance(el.tag, str) and el.tag not in ("style", "script"):
            parts.append(el.text or "")
        if el.getparent() not in skip:
            parts.append(el.tail or "")
    return " ".join(parts)


def removed_subtrees(root) -> set:
    """Every element inside what :func:`noscript_removals` drops (for discovery to skip)."""
    skip: set = set()
    for el in noscript_removals(root):
        skip.update(el.iter())
    return skip

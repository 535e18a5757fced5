"""Element rules: what happens to each element (keep, remove, unwrap) and which of its
attributes hold URLs of what kind; and discovery (:func:`find_resources`), which walks them.

Discovery and rewriting (:mod:`.rewrite`) ask the same rules, so every URL the rewrite asks
the mapper about is one discovery reported.
"""

from __future__ import annotations

import re

from lxml import etree

from snapshelf.capture.css import (
    Ref,
    classify,
    data_stylesheet,
    find_css_resources,
    find_inline_style_resources,
)
from snapshelf.capture.css.fonts import FontFace, FontUse, font_faces, split_faces
from snapshelf.capture.html.document import document_root
from snapshelf.capture.html.noscript import removed_subtrees
from snapshelf.capture.html.responsive import is_responsive, needed
from snapshelf.capture.html.srcset import parse_srcset

_ICON_RELS = frozenset(
    {"icon", "apple-touch-icon", "apple-touch-icon-precomposed", "mask-icon", "fluid-icon"}
)
_DROP_RELS = frozenset(
    {
        "preload",
        "modulepreload",
        "prefetch",
        "preconnect",
        "dns-prefetch",
        "manifest",
        "serviceworker",
        "prerender",
        "subresource",
        "import",
    }
)
_DROP_META_EQUIV = frozenset(
    {
        "refresh",
        "content-security-policy",
        "content-security-policy-report-only",
        "content-type",
        "set-cookie",
    }
)


_BACKGROUND_TAGS = frozenset({"body", "table", "thead", "tbody", "tfoot", "tr", "td", "th"})
_SVG_CSS_ATTRS = (
    "fill",
    "stroke",
    "filter",
    "clip-path",
    "mask",
    "marker-start",
    "marker-mid",
    "marker-end",
    "cursor",
)
_IMAGE_EXTENSIONS = (
    ".png",
    ".jpg",
    ".jpeg",
    ".jfif",
    ".pjpeg",
    ".pjp",
    ".gif",
    ".webp",
    ".avif",
    ".apng",
    ".svg",
    ".svgz",
    ".bmp",
    ".ico",
    ".tif",
    ".tiff",
)
_LAZY_SRC = ("data-src", "data-lazy-src", "data-original", "data-lazy")
_LAZY_SRCSET = ("data-srcset", "data-lazy-srcset")
_PLACEHOLDER_NAME = re.compile(
    r"(blank|spacer|placeholder|lazy|loading|loader|transparent|pixel|1x1|grey|gray|"
    r"empty|dummy|spinner)[^/]*$",
    re.IGNORECASE,
)


def tagged_elements(root) -> list[tuple[etree._Element, str, bool]]:
    """Document-order elements as (element, lower-case tag, inside SVG).

    SVG is rare, so its elements are marked up front; comments and processing
    instructions are skipped by lxml (``iter(etree.Element)``), not in Python.
    """
    in_svg: set = set()  # holding the proxies keeps their identity stable during iteration
    for svg in root.iter("svg"):
        stack = [svg]
        while stack:
            el = stack.pop()
            if el in in_svg:
                continue
            in_svg.add(el)
            if el.tag != "foreignobject":  # its content is HTML again
                stack.extend(child for child in el if isinstance(child.tag, str))
    if not in_svg:
        return [(el, el.tag.lower(), False) for el in root.iter(etree.Element)]
    return [(el, el.tag.lower(), el in in_svg) for el in root.iter(etree.Element)]


def link_role(el) -> str:
    rel = set((el.get("rel") or "").lower().split())
    if "stylesheet" in rel:
        return "stylesheet"
    if (
        "preload" in rel
        and (el.get("as") or "").strip().lower() == "style"
        and "stylesheet" in (el.get("onload") or "").lower()
    ):
        return "async-stylesheet"  # loadCSS pattern: only JS would apply it; we do
    if rel & _DROP_RELS:
        return "drop"
    if rel & _ICON_RELS:
        return "icon"
    return "nav"


def _image_like(el, attr: str) -> bool:
    mime = (el.get("type") or "").strip().lower()
    if mime:
        return mime.startswith("image/")
    path = (el.get(attr) or "").split("#", 1)[0].split("?", 1)[0].strip().lower()
    return path.endswith(_IMAGE_EXTENSIONS) or path.startswith("data:image/")


def _action(el, tag: str) -> str:
    """keep / remove / unwrap (children stay in place)."""
    if tag in ("script", "base", "param"):
        return "remove"
    if tag == "noscript":
        return "unwrap"  # what is left of it after html.noscript: shown, as without scripts
    if tag == "meta":
        if el.get("charset") is not None:
            return "remove"
        if (el.get("http-equiv") or "").strip().lower() in _DROP_META_EQUIV:
            return "remove"
        return "keep"
    if tag == "link":
        return "remove" if link_role(el) == "drop" else "keep"
    if tag == "embed":
        return "keep" if _image_like(el, "src") else "remove"
    if tag == "object":
        return "keep" if _image_like(el, "data") else "unwrap"  # fallback content shown
    if tag == "applet":
        return "unwrap"
    return "keep"


# slot modes: url, srcset, style (inline CSS), sheet (element text), nav, blank
def element_slots(el, tag: str, in_svg: bool) -> list[tuple[str, str, str]]:
    """(attribute, mode, kind) triples to process on a kept element."""
    slots: list[tuple[str, str, str]] = []
    attrib = el.attrib
    if "style" in attrib:
        slots.append(("style", "style", "image"))
    if in_svg and tag not in ("a", "svg"):
        for attr in ("href", "xlink:href"):
            if attr in attrib:
                slots.append((attr, "url", "image"))
        for attr in _SVG_CSS_ATTRS:
            if "url(" in (attrib.get(attr) or "").lower():
                slots.append((attr, "style", "image"))
    if tag == "img":
        slots += [("src", "url", "image"), ("srcset", "srcset", "image")]
    elif tag == "source":
        slots += [("src", "url", "media"), ("srcset", "srcset", "image")]
    elif tag == "input":
        if (el.get("type") or "").strip().lower() == "image":
            slots.append(("src", "url", "image"))
        slots.append(("formaction", "nav", ""))
    elif tag == "video":
        slots += [("poster", "url", "image"), ("src", "url", "media")]
    elif tag in ("audio", "track"):
        slots.append(("src", "url", "media"))
    elif tag == "link":
        role = link_role(el)
        if role in ("stylesheet", "async-stylesheet"):
            slots.append(("href", "url", "stylesheet"))
        elif role == "icon":
            slots.append(("href", "url", "icon"))
        else:
            slots.append(("href", "nav", ""))
    elif tag == "style":
        slots.append(("", "sheet", "stylesheet"))
    elif tag in ("iframe", "frame"):
        slots.append(("src", "blank", ""))
    elif tag == "object":
        slots.append(("data", "url", "image"))
    elif tag == "embed":
        slots.append(("src", "url", "image"))
    elif tag == "a":
        slots += [("href", "nav", ""), ("xlink:href", "nav", "")]
    elif tag == "area":
        slots.append(("href", "nav", ""))
    elif tag == "form":
        slots.append(("action", "nav", ""))
    elif tag == "button":
        slots.append(("formaction", "nav", ""))
    elif tag in ("blockquote", "q", "del", "ins"):
        slots.append(("cite", "nav", ""))
    if tag in _BACKGROUND_TAGS:
        slots.append(("background", "url", "image"))
    return slots


# Tags whose action or slots depend on more than a style="" attribute. Any other element
# outside SVG (div, span, p... most of a page) is kept with at most its style slot.
_RULED_TAGS = frozenset(
    {
        "script",
        "base",
        "param",
        "noscript",
        "meta",
        "link",
        "embed",
        "object",
        "applet",
        "img",
        "source",
        "input",
        "video",
        "audio",
        "track",
        "style",
        "iframe",
        "frame",
        "a",
        "area",
        "form",
        "button",
        "blockquote",
        "q",
        "del",
        "ins",
        *_BACKGROUND_TAGS,
    }
)
_NO_SLOTS: list[tuple[str, str, str]] = []
_STYLE_SLOTS = [("style", "style", "image")]


def element_rules(el, tag: str, in_svg: bool) -> tuple[str, list[tuple[str, str, str]]]:
    """(:func:`_action`, :func:`element_slots`) of an element, cheaply for plain elements.

    Discovery and rewriting both ask this of every element, so the common case (a tag
    with no rules of its own, outside SVG) answers without the full rule chains.
    The slot lists returned are shared: callers must not modify them.
    """
    if not in_svg and tag not in _RULED_TAGS:
        return "keep", (_NO_SLOTS if el.get("style") is None else _STYLE_SLOTS)
    action = _action(el, tag)
    return action, (element_slots(el, tag, in_svg) if action == "keep" else _NO_SLOTS)


def _is_placeholder(src: str | None) -> bool:
    if src is None:
        return True
    s = src.strip()
    if not s or s.lower().startswith(("data:", "about:")):
        return True
    path = s.split("#", 1)[0].split("?", 1)[0]
    return bool(_PLACEHOLDER_NAME.search(path.rsplit("/", 1)[-1]))


def lazy_overrides(el, tag: str) -> dict[str, tuple[str, str]]:
    """{target attr: (source attr, value)} for lazy-loading attributes to promote.

    A script would have swapped these in; without scripts the archive must do it, but only
    over an empty or placeholder value so a real src is never replaced.
    """
    if tag not in ("img", "source"):
        return {}
    out: dict[str, tuple[str, str]] = {}
    if tag == "img":
        for attr in _LAZY_SRC:
            value = el.get(attr)
            if value and not _is_placeholder(value):
                if _is_placeholder(el.get("src")):
                    out["src"] = (attr, value)
                break
    for attr in _LAZY_SRCSET:
        value = el.get(attr)
        if value and value.strip():
            current = el.get("srcset")
            if current is None or not current.strip() or _is_placeholder(current):
                out["srcset"] = (attr, value)
            break
    return out


def lazy_get(el, name: str) -> str | None:
    """An attribute as the replay will have it (lazy-loading values promoted)."""
    overrides = lazy_overrides(el, el.tag) if el.tag in ("img", "source") else {}
    return overrides[name][1] if name in overrides else el.get(name)


def _in_picture(el) -> bool:
    parent = el.getparent()
    return parent is not None and parent.tag == "picture"


class Found(list):
    """The references :func:`find_resources` found, plus what fonts the page can use.

    ``fonts`` holds the page's characters and its inline CSS; ``faces`` the ``@font-face``
    rules of its ``<style>`` blocks, whose files ``resources.collect`` fetches only if used.
    """

    def __init__(self) -> None:
        super().__init__()
        self.fonts = FontUse(set())
        self.faces: list[FontFace] = []


_TEXT_ATTRS = ("alt", "value", "placeholder")


def _characters(root, skip: set) -> set[int]:
    """Code points of the text a page shows (not of scripts, styles or dropped content)."""
    chars: set[int] = set()
    for el in root.iter():
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag and el.text and tag not in ("script", "style", "template") and el not in skip:
            chars.update(map(ord, el.text))
        if el.tail:
            chars.update(map(ord, el.tail))
        if tag:
            for attr in _TEXT_ATTRS:
                value = el.get(attr)
                if value:
                    chars.update(map(ord, value))
    return chars


def find_resources(tree, base_url: str) -> Found:
    """Every subresource the replay needs, in document order, each URL once.

    Includes references inside ``<style>`` blocks, ``style=""`` attributes and data: URL
    stylesheets; stylesheets fetched later are looked into by ``resources.collect``.
    Iframes, scripts and hyperlinks are not resources. Font files of ``<style>`` blocks
    are not listed but left to ``collect`` as ``faces`` (see :class:`Found`).
    """
    found = Found()
    seen: set[str] = set()

    def add(refs: list[Ref]) -> None:
        for ref in refs:
            if ref.url not in seen:
                seen.add(ref.url)
                found.append(ref)

    def url(value: str, kind: str) -> None:
        target = classify(value, base_url)
        if target.kind == "http":
            add([Ref(target.url, kind)])
        elif target.kind == "data" and kind == "stylesheet":
            decoded = data_stylesheet(target.url)
            if decoded is not None:
                add(find_css_resources(decoded[0], target.url))

    root = document_root(tree)
    skip = removed_subtrees(root)
    found.fonts.characters = _characters(root, skip)
    for el, tag, in_svg in tagged_elements(root):
        if skip and el in skip:
            continue  # <noscript> content the replay drops: never fetched
        style = el.get("style")
        if style:
            found.fonts.add_usage(style)
        for attr in ("face", "font-family"):  # <font face>, SVG presentation attribute
            if el.get(attr):
                found.fonts.add_usage(el.get(attr))
        action, slots = element_rules(el, tag, in_svg)
        if action != "keep" or not slots:
            continue  # removed (no element content) or unwrapped (children still visited)
        overrides = lazy_overrides(el, tag)
        responsive = False
        if not in_svg and tag == "img" and is_responsive(el, lazy_get):
            responsive = True  # only the candidates readers' screens would load
            for choice in needed(el, lazy_get):
                url(choice.candidate.url, "image")
        for attr, mode, kind in slots:
            if (responsive and attr in ("src", "srcset")) or (
                tag == "source" and mode == "srcset" and _in_picture(el)
            ):
                continue  # chosen above, from the picture's <img>
            if mode == "sheet":
                css = el.text or ""
                faces = font_faces(css, base_url)
                found.faces += faces
                found.fonts.add_css(css)
                add(split_faces(find_css_resources(css, base_url), faces))
                continue
            value = overrides[attr][1] if attr in overrides else el.get(attr)
            if value is None or mode in ("nav", "blank"):
                continue
            if mode == "url":
                url(value, kind)
            elif mode == "srcset":
                for candidate, _ in parse_srcset(value):
                    url(candidate, kind)
            elif mode == "style":
                add(find_inline_style_resources(value, base_url))
    return found

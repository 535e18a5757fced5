"""HTML for static capture: parse a page, find every subresource, rewrite it for safe replay.

Discovery (:func:`find_resources`) and rewriting (:func:`rewrite_html`) walk the document
with the same element rules, so every URL the rewrite asks the mapper about is a URL
discovery reported (and the pipeline fetched). The replay document has no scripts, no
event handlers, no ``javascript:`` URLs, no refresh/CSP/base, no SRI, and no reference that
leaves the archive; hyperlinks become absolute links to the original site.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import re
from collections.abc import Callable
from urllib.parse import unquote

from lxml import etree

from snapshelf.capture.css import (
    EMPTY,
    Mapper,
    Ref,
    classify,
    data_stylesheet,
    find_css_resources,
    find_inline_style_resources,
    is_script_url,
    resolve_url,
    rewrite_css,
    rewrite_inline_style,
    scope_selectors,
    transform_css_urls,
    with_fragment,
)

__all__ = [
    "Ref",
    "SvgSprites",
    "document_base_url",
    "find_resources",
    "format_srcset",
    "parse_html",
    "parse_srcset",
    "rewrite_html",
    "serialize_html",
]

# libxml2 invents this doctype for documents that have none; both mean quirks mode, so we
# simply do not write it back.
_LIBXML_DEFAULT_DOCTYPE = (
    '<!DOCTYPE html PUBLIC "-//W3C//DTD HTML 4.0 Transitional//EN" '
    '"http://www.w3.org/TR/REC-html40/loose.dtd">'
)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*>")
_EMPTY_DOC = "<html><head></head><body></body></html>"

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
# Attributes that are dangerous or useless once scripts are gone and URLs are rewritten:
# SRI hashes no longer match, nonces are for scripts, crossorigin would make the sandboxed
# (opaque-origin) replay need CORS, ping/attributionsrc contact the live web on click/load.
_DROP_ATTRS = frozenset({"integrity", "nonce", "crossorigin", "ping", "attributionsrc"})
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
_VOID = frozenset(
    {
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "source",
        "track",
        "wbr",
        "basefont",
        "bgsound",
        "frame",
        "keygen",
        "param",
    }
)
_RAW_TEXT = frozenset(["script", "style", "xmp", "iframe", "noembed", "noframes", "plaintext"])
_BAD_ATTR_NAME = re.compile(r"[\s\"'>/=]")


# --------------------------------------------------------------------------- parsing


def parse_html(text: str) -> etree._Element:
    """Parse a whole document; never raises on real-world junk (empty, XML prolog, NULs).

    The tree has lxml's plain (C-level) element classes, not ``lxml.html.HtmlElement``:
    lxml.html picks each element's class through a Python callback, which costs a call
    every time an element is touched, and nothing here needs the HtmlElement methods.
    """
    text = text.lstrip("\ufeff").replace("\x00", "\ufffd")
    text = _XML_DECL.sub("", text, count=1)
    for attempt in (text, _scrub_surrogates(text)):
        try:
            root = etree.fromstring(attempt, parser=_parser())
        except (etree.ParserError, etree.XMLSyntaxError, ValueError, UnicodeError):
            continue
        if root is not None and isinstance(root.tag, str):
            _hoist_void_content(root)
            return root
    return etree.fromstring(_EMPTY_DOC, parser=_parser())


def _parser() -> etree.HTMLParser:
    # A parser per call: lxml parsers must not be shared between threads. huge_tree lifts
    # libxml2's nesting limit from 256 to 2048 levels (broken pages nest deeply).
    return etree.HTMLParser(huge_tree=True)


# Void in HTML5, but containers for libxml2's HTML 4 parser, which then swallows everything
# up to the parent's end tag (so "<source><img>" would lose the <img> on serialisation).
_LIBXML_NOT_VOID = ("embed", "source", "track", "wbr", "bgsound", "keygen")


def _hoist_void_content(root) -> None:
    """Move what libxml2 nested inside void elements back to after them, as browsers do.

    Also turns ``<image>`` outside SVG into ``<img>``, as the HTML parser does (browsers
    load it as an image; libxml2 keeps an unknown element we would not rewrite).
    """
    for el in list(root.iter("image")):
        if not any(a.tag == "svg" for a in el.iterancestors()):
            el.tag = "img"
    for el in list(root.iter(*_LIBXML_NOT_VOID, "img")):
        if not el.text and not len(el):
            continue
        parent = el.getparent()
        if parent is None:
            continue
        children = list(el)
        tail = el.tail or ""
        el.tail = el.text
        el.text = None
        index = parent.index(el)
        for offset, child in enumerate(children):
            parent.insert(index + 1 + offset, child)
        if children:
            children[-1].tail = (children[-1].tail or "") + tail
        else:
            el.tail = (el.tail or "") + tail


def _scrub_surrogates(text: str) -> str:
    return text.encode("utf-8", "replace").decode("utf-8", "replace")


def _root(tree) -> etree._Element:
    return tree.getroot() if hasattr(tree, "getroot") else tree


def document_base_url(tree, url: str) -> str:
    """The URL relative references resolve against: the first ``<base href>``, else ``url``."""
    for base in _root(tree).iter("base"):
        href = base.get("href")
        if href is None:
            continue
        resolved = resolve_url(url, href)
        return resolved[0] if resolved else url
    return url


# --------------------------------------------------------------------------- srcset


_WS = " \t\n\r\f"


def parse_srcset(value: str) -> list[tuple[str, str]]:
    """Split a srcset into (url, descriptors) candidates, per the HTML parsing algorithm.

    URLs may contain commas (only a trailing comma ends a URL); descriptors such as
    ``1.5x`` or ``300w`` are returned as written (space-joined).
    """
    out: list[tuple[str, str]] = []
    pos, n = 0, len(value)
    while True:
        while pos < n and (value[pos] in _WS or value[pos] == ","):
            pos += 1
        if pos >= n:
            return out
        start = pos
        while pos < n and value[pos] not in _WS:
            pos += 1
        url = value[start:pos]
        descriptors: list[str] = []
        if url.endswith(","):
            url = url.rstrip(",")
        else:
            current, state = "", "in"
            while pos < n and value[pos] in _WS:
                pos += 1
            while True:
                c = value[pos] if pos < n else ""
                if state == "in":
                    if not c:
                        break
                    if c in _WS:
                        if current:
                            descriptors.append(current)
                            current = ""
                        state = "after"
                    elif c == ",":
                        pos += 1
                        break
                    else:
                        current += c
                        if c == "(":
                            state = "paren"
                elif state == "paren":
                    if not c:
                        break
                    current += c
                    if c == ")":
                        state = "in"
                else:  # after a descriptor
                    if not c:
                        break
                    if c not in _WS:
                        state = "in"
                        continue
                pos += 1
            if current:
                descriptors.append(current)
        if url:
            out.append((url, " ".join(descriptors)))


def format_srcset(candidates: list[tuple[str, str]]) -> str:
    """Inverse of :func:`parse_srcset`."""
    return ", ".join(f"{url} {d}" if d else url for url, d in candidates)


# --------------------------------------------------------------------------- element rules


def _elements(root) -> list[tuple[etree._Element, str, bool]]:
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


def _link_role(el) -> str:
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
        return "unwrap"  # replay runs without scripts: show what a no-JS browser shows
    if tag == "meta":
        if el.get("charset") is not None:
            return "remove"
        if (el.get("http-equiv") or "").strip().lower() in _DROP_META_EQUIV:
            return "remove"
        return "keep"
    if tag == "link":
        return "remove" if _link_role(el) == "drop" else "keep"
    if tag == "embed":
        return "keep" if _image_like(el, "src") else "remove"
    if tag == "object":
        return "keep" if _image_like(el, "data") else "unwrap"  # fallback content shown
    if tag == "applet":
        return "unwrap"
    return "keep"


# slot modes: url, srcset, style (inline CSS), sheet (element text), nav, blank
def _slots(el, tag: str, in_svg: bool) -> list[tuple[str, str, str]]:
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
        role = _link_role(el)
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


def _rules(el, tag: str, in_svg: bool) -> tuple[str, list[tuple[str, str, str]]]:
    """(:func:`_action`, :func:`_slots`) of an element, cheaply for plain elements.

    Discovery and rewriting both ask this of every element, so the common case (a tag
    with no rules of its own, outside SVG) answers without the full rule chains.
    The slot lists returned are shared: callers must not modify them.
    """
    if not in_svg and tag not in _RULED_TAGS:
        return "keep", (_NO_SLOTS if el.get("style") is None else _STYLE_SLOTS)
    action = _action(el, tag)
    return action, (_slots(el, tag, in_svg) if action == "keep" else _NO_SLOTS)


def _is_placeholder(src: str | None) -> bool:
    if src is None:
        return True
    s = src.strip()
    if not s or s.lower().startswith(("data:", "about:")):
        return True
    path = s.split("#", 1)[0].split("?", 1)[0]
    return bool(_PLACEHOLDER_NAME.search(path.rsplit("/", 1)[-1]))


def _lazy_overrides(el, tag: str) -> dict[str, tuple[str, str]]:
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


# --------------------------------------------------------------------------- discovery


def find_resources(tree, base_url: str) -> list[Ref]:
    """Every subresource the replay needs, in document order, each URL once.

    Includes references inside ``<style>`` blocks, ``style=""`` attributes and data: URL
    stylesheets; stylesheets fetched later are looked into by ``resources.collect``.
    Iframes, scripts and hyperlinks are not resources.
    """
    found: list[Ref] = []
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

    for el, tag, in_svg in _elements(_root(tree)):
        action, slots = _rules(el, tag, in_svg)
        if action != "keep" or not slots:
            continue  # removed (no element content) or unwrapped (children still visited)
        overrides = _lazy_overrides(el, tag)
        for attr, mode, kind in slots:
            if mode == "sheet":
                add(find_css_resources(el.text or "", base_url))
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


# --------------------------------------------------------------------------- rewriting


def _remove(el) -> None:
    """Remove an element but keep the text that follows it."""
    parent = el.getparent()
    if parent is None:
        return
    if el.tail:
        prev = el.getprevious()
        if prev is not None:
            prev.tail = (prev.tail or "") + el.tail
        else:
            parent.text = (parent.text or "") + el.tail
    parent.remove(el)


def _unwrap(el) -> None:
    """Replace an element by its content (text and children), in place."""
    parent = el.getparent()
    if parent is None:
        return
    if el.text:
        prev = el.getprevious()
        if prev is not None:
            prev.tail = (prev.tail or "") + el.text
        else:
            parent.text = (parent.text or "") + el.text
        el.text = None
    index = parent.index(el)
    children = list(el)
    for offset, child in enumerate(children):
        parent.insert(index + offset, child)
    if children and el.tail:
        children[-1].tail = (children[-1].tail or "") + el.tail
        el.tail = None
    _remove(el)


def _resolved(value: str | None, base_url: str) -> str | None:
    if not value:
        return None
    target = classify(value, base_url)
    return target.url if target.kind == "http" else None


def rewrite_html(tree, base_url: str, mapper: Mapper, *, sprites: SvgSprites | None = None) -> str:
    """Serialise the replay version of a document (the caller's tree is not modified).

    ``mapper(absolute_url_without_fragment, kind)`` gives the replacement for each
    subresource (fragments are re-appended unless it returns ``data:,``); data: URL
    stylesheets are passed to it too so their references can be processed. Unfetchable
    references (other schemes, unresolvable) become ``data:,``; iframes become about:blank.
    With ``sprites``, external SVG ``<use>`` references point at local copies of what
    they use, which are added to the document (see :class:`SvgSprites`).
    """
    doc = copy.deepcopy(_root(tree).getroottree())
    root = doc.getroot()

    def map_url(value: str, kind: str) -> str:
        target = classify(value, base_url)
        if target.kind in ("empty", "fragment", "about"):
            return value
        if target.kind == "data":
            if kind == "stylesheet" and target.url != EMPTY:
                return mapper(target.url, "stylesheet")  # processed and stored like any sheet
            return value
        if target.kind == "http":
            return with_fragment(mapper(target.url, kind), target.fragment)
        return EMPTY

    def use_url(value: str) -> str:
        target = classify(value, base_url)
        if target.kind == "http" and sprites is not None:
            return sprites.use_ref(target.url, target.fragment)
        return map_url(value, "image")

    def nav_url(value: str) -> str:
        target = classify(value, base_url)
        if target.kind == "http":
            return target.url + (f"#{target.fragment}" if target.fragment is not None else "")
        return value

    # 1. Lazy-loading attributes become the real ones (before noscript duplicates are judged).
    promoted: set[str] = set()
    for el in root.iter("img", "source"):
        overrides = _lazy_overrides(el, el.tag)
        for attr, (source, value) in overrides.items():
            el.set(attr, value)
            del el.attrib[source]
            if attr == "src" and (resolved := _resolved(value, base_url)):
                promoted.add(resolved)
        if overrides:
            classes = (el.get("class") or "").split()
            if "lazyload" in classes or "lazyloading" in classes:
                kept = [c for c in classes if c not in ("lazyload", "lazyloading")]
                el.set("class", " ".join([*kept, "lazyloaded"]))

    # 2. <noscript><img></noscript> fallbacks of promoted lazy images would show twice.
    if promoted:
        for noscript in list(root.iter("noscript")):
            for img in list(noscript.iter("img")):
                if _resolved(img.get("src"), base_url) in promoted:
                    _remove(img)

    # 3. Attributes of kept elements; collect structural changes for afterwards.
    removals: list = []
    unwraps: list = []
    for el, tag, in_svg in _elements(root):
        action, slots = _rules(el, tag, in_svg)
        if action == "remove":
            removals.append(el)
            continue
        if action == "unwrap":
            unwraps.append(el)
            continue
        if tag == "link":
            _fix_async_stylesheet(el)
        if _sanitise_attributes(el, tag) or tag == "link":
            slots = _slots(el, tag, in_svg)  # from the attributes that are left
        for attr, mode, kind in slots:
            if mode == "sheet":
                if el.text:
                    el.text = rewrite_css(el.text, base_url, mapper)
                continue
            value = el.get(attr)
            if value is None:
                continue
            if mode == "url":
                if sprites is not None and tag == "use" and in_svg:
                    new = use_url(value)
                else:
                    new = map_url(value, kind)
            elif mode == "srcset":
                new = format_srcset([(map_url(u, kind), d) for u, d in parse_srcset(value)])
            elif mode == "style":
                new = rewrite_inline_style(value, base_url, mapper)
            elif mode == "nav":
                new = nav_url(value)
            else:  # blank: frames are not captured (yet)
                new = "about:blank"
            if new != value:
                el.set(attr, new)
        if tag == "iframe":
            el.attrib.pop("srcdoc", None)
        elif tag == "image" and in_svg:
            el.attrib.pop("src", None)  # fallback-image trick: never loaded by SVG browsers
        if tag == "html":
            el.attrib.pop("manifest", None)

    for el in removals:
        _remove(el)
    for el in reversed(unwraps):
        _unwrap(el)
    if sprites is not None:
        sprites.insert_into(root)

    _set_utf8(root)
    return serialize_html(doc)


def _fix_async_stylesheet(el) -> None:
    """Apply what the onload handler of an async-CSS ``<link>`` would have done."""
    role = _link_role(el)
    onload = (el.get("onload") or "").lower()
    if role == "async-stylesheet":
        el.set("rel", "stylesheet")
        el.attrib.pop("as", None)
    elif (
        role == "stylesheet"
        and (el.get("media") or "").strip().lower() == "print"
        and "media" in onload
    ):
        el.set("media", "all")


def _sanitise_attributes(el, tag: str) -> bool:
    """Drop event handlers, SRI/nonce/CORS/ping attributes and script URLs (True if any)."""
    items = el.items()
    for name, value in items:  # most elements have nothing to drop: check before rebuilding
        low = name.lower()
        if low.startswith("on") or low in _DROP_ATTRS or (":" in value and is_script_url(value)):
            break
    else:
        return False
    keep: list[tuple[str, str]] = []
    changed = False
    for name, value in items:
        low = name.lower()
        if low.startswith("on") or low in _DROP_ATTRS:
            changed = True
        elif is_script_url(value):
            changed = True
            if low == "href" and tag in ("a", "area"):
                keep.append((name, "#"))  # keep it a link (styling), but inert
        else:
            keep.append((name, value))
    if changed:
        # Rebuilt rather than deleted one by one: lxml cannot address some junk attribute
        # names real pages contain (e.g. "{count}"), but it can clear them.
        el.attrib.clear()
        for name, value in keep:
            with contextlib.suppress(ValueError):
                el.set(name, value)
    return changed


def _set_utf8(root) -> None:
    """Exactly one ``<meta charset="utf-8">``, first in <head>: the replay is stored as UTF-8."""
    head = root.find("head")
    if head is None:
        head = root.makeelement("head", {})
        root.insert(0, head)
    meta = head.makeelement("meta", {"charset": "utf-8"})
    meta.tail = head.text
    head.insert(0, meta)


# --------------------------------------------------------------------------- SVG <use>

_SVG_NS = "{http://www.w3.org/2000/svg}"
_XLINK_NS = "{http://www.w3.org/1999/xlink}"
_XML_NS = "{http://www.w3.org/XML/1998/namespace}"
_HIDDEN = "position:absolute;width:0;height:0;overflow:hidden"
_NOT_COPIED = frozenset({"script", "foreignObject"})

#: load(absolute url) -> (SHA-256 hex of the file, its bytes), or None when not available.
SvgLoad = Callable[[str], "tuple[str, bytes] | None"]


class _Sprite:
    """One external SVG file: its parsed tree and the ids ``<use>`` elements want from it."""

    def __init__(self, key: str, svg) -> None:
        self.prefix = f"sf{key[:12]}-"
        self.svg = svg
        self.wanted: set[str] = set()
        self.whole = False  # a <use> refers to the file itself (no fragment)
        self.styled = any(
            isinstance(el.tag, str) and _svg_name(el.tag) == "style" for el in svg.iter()
        )
        root_id = svg.get("id")
        # The whole-file copy keeps the root's id; without one it gets a name no prefixed
        # id can take (prefixed ids all contain the trailing hyphen).
        self.root_ref = self.prefix + root_id if root_id else self.prefix[:-1]


class SvgSprites:
    """Local copies of the external SVG files that ``<use>`` elements point at.

    Browsers render ``<use href="icons.svg#id">`` only when the file is same-origin with
    the document. An archived page is served sandboxed (an opaque origin, so nothing is
    same-origin) and a single-file page has no other files, so the elements used (and what
    they reference in turn, plus the file's ``<style>`` elements) are copied into one hidden
    ``<svg><defs>`` per file, ids and classes prefixed with ``sf<key[:12]>-``, and the
    ``<use>`` points at the copy. The file's ``<style>`` rules are confined to its copies
    (every copy has the class ``sf<key[:12]>``, which every rule's subject then requires),
    so they restyle neither the page nor another file's copies. Copies are inert: no
    scripts, ``foreignObject``, event handlers, ``javascript:`` URLs or references outside
    the copied file.

    ``load(url)`` gives (key, bytes) of a fetched SVG file; :func:`rewrite_html` calls
    :meth:`use_ref` for each external reference, then :meth:`insert_into`.
    """

    def __init__(self, load: SvgLoad) -> None:
        self.load = load
        self.by_url: dict[str, _Sprite | None] = {}
        self.by_key: dict[str, _Sprite] = {}
        self.order: list[_Sprite] = []

    def use_ref(self, url: str, fragment: str | None) -> str:
        """Local reference replacing ``<use href="url#fragment">``; ``data:,`` when unusable."""
        if url not in self.by_url:
            self.by_url[url] = self._sprite(url)
        sprite = self.by_url[url]
        if sprite is None:
            return EMPTY
        if not fragment:
            sprite.whole = True
            return "#" + sprite.root_ref
        # Browsers percent-decode the fragment before looking the id up; the local
        # reference keeps the encoded form, which decodes to the prefixed id.
        sprite.wanted.add(unquote(fragment))
        return f"#{sprite.prefix}{fragment}"

    def _sprite(self, url: str) -> _Sprite | None:
        loaded = self.load(url)
        if loaded is None:
            return None
        key, data = loaded
        if key in self.by_key:
            return self.by_key[key]
        parser = etree.XMLParser(
            resolve_entities=False, no_network=True, load_dtd=False, recover=True, huge_tree=True
        )
        try:
            svg = etree.fromstring(data, parser=parser)
        except (etree.XMLSyntaxError, ValueError):
            return None
        if svg is None or not isinstance(svg.tag, str) or _svg_name(svg.tag) != "svg":
            return None
        sprite = _Sprite(key, svg)
        self.by_key[key] = sprite
        self.order.append(sprite)
        return sprite

    def insert_into(self, root) -> None:
        """Add the hidden copies at the start of ``<body>``, one ``<svg>`` per file."""
        blocks = [
            block for sprite in self.order if (block := self._block(root, sprite)) is not None
        ]
        body = root.find("body")
        container = body if body is not None else root
        for offset, block in enumerate(blocks):
            container.insert(offset, block)

    def _block(self, root, sprite: _Sprite):
        if sprite.whole:
            chosen = [sprite.svg]
        else:
            chosen = _used_elements(sprite.svg, sprite.wanted)
            if not chosen:
                return None
        holder = root.makeelement(
            "svg",
            {"xmlns": "http://www.w3.org/2000/svg", "aria-hidden": "true", "style": _HIDDEN},
        )
        defs = etree.SubElement(holder, "defs")
        for element in chosen:
            copied = _copy_svg_element(element, defs, sprite.prefix, sprite.styled)
            if copied is not None and element is sprite.svg and element.get("id") is None:
                copied.set("id", sprite.root_ref)
        return holder


def _svg_name(tag: str) -> str | None:
    """Local name of an SVG element; None for other vocabularies (editor metadata, RDF)."""
    if tag.startswith(_SVG_NS):
        return tag[len(_SVG_NS) :]
    if tag.startswith("{"):
        return None
    return tag


def _fragment_id(value: str) -> str | None:
    value = value.strip()
    return unquote(value[1:]) if value.startswith("#") and len(value) > 1 else None


def _css_fragment_ids(css: str, *, inline: bool) -> list[str]:
    found: list[str] = []

    def visit(raw: str, _kind: str) -> None:
        ident = _fragment_id(raw)
        if ident:
            found.append(ident)

    transform_css_urls(css, visit, inline=inline)
    return found


def _referenced_ids(element) -> list[str]:
    """Ids that ``element`` or its descendants refer to (href, url(#id), <style> rules)."""
    found: list[str] = []
    for el in element.iter():
        if not isinstance(el.tag, str):
            continue
        for attr, value in el.attrib.items():
            name = attr[len(_XLINK_NS) :] if attr.startswith(_XLINK_NS) else attr
            if name == "href":
                ident = _fragment_id(value)
                if ident:
                    found.append(ident)
            elif "url(" in value.lower():
                found += _css_fragment_ids(value, inline=True)
        if el.text and _svg_name(el.tag) == "style":
            found += _css_fragment_ids(el.text, inline=False)
    return found


def _used_elements(svg, wanted: set[str]) -> list:
    """The outermost elements to copy for ``wanted`` ids: what they need, transitively,
    and every ``<style>`` (its rules may style the used elements), in document order."""
    by_id: dict[str, object] = {}
    styles = []
    for el in svg.iter():
        if isinstance(el.tag, str):
            ident = el.get("id")
            if ident is not None:
                by_id.setdefault(ident, el)
            if _svg_name(el.tag) == "style":
                styles.append(el)
    needed: set[str] = set()
    todo = [ident for ident in wanted if ident in by_id]
    if not todo:
        return []  # nothing used is in the file: copy nothing (not even its styles)
    for style in styles:
        todo += _referenced_ids(style)
    while todo:
        ident = todo.pop()
        if ident in needed or ident not in by_id:
            continue
        needed.add(ident)
        todo += _referenced_ids(by_id[ident])
    chosen = []
    stack = [svg]
    while stack:
        el = stack.pop()
        name = _svg_name(el.tag) if isinstance(el.tag, str) else None
        if name is None or name in _NOT_COPIED:
            continue
        if el.get("id") in needed or name == "style":
            chosen.append(el)  # copied with its subtree
            continue
        stack.extend(reversed(el))
    return chosen


def _rename_fragment(value: str, prefix: str) -> str:
    value = value.strip()
    if value.startswith("#") and len(value) > 1:
        return "#" + prefix + value[1:]
    return EMPTY  # anything outside the copied file was not captured


def _rename_css(css: str, prefix: str, *, inline: bool) -> str:
    def visit(raw: str, _kind: str) -> str:
        return _rename_fragment(raw, prefix) if raw.strip() else raw

    return transform_css_urls(css, visit, inline=inline)


def _copy_svg_element(src, parent, prefix: str, styled: bool):
    """Copy an XML SVG subtree into the HTML tree: plain names, prefixed ids, inert.

    ``styled``: the file has ``<style>`` rules, so copies get the marker class they need.
    """
    name = _svg_name(src.tag) if isinstance(src.tag, str) else None
    if name is None or name in _NOT_COPIED:
        return None
    el = etree.SubElement(parent, name)
    for attr, value in src.attrib.items():
        if attr.startswith(_XLINK_NS):
            attr = attr[len(_XLINK_NS) :]  # SVG 2: plain href
        elif attr.startswith(_XML_NS):
            attr = "xml:" + attr[len(_XML_NS) :]
        elif attr.startswith("{"):
            continue
        low = attr.lower()
        if low.startswith("on") or is_script_url(value):
            continue
        if low == "id":
            value = prefix + value
        elif low == "class":
            continue  # below
        elif low == "href":
            value = _rename_fragment(value, prefix)
        elif "url(" in value.lower():
            value = _rename_css(value, prefix, inline=True)
        with contextlib.suppress(ValueError):
            el.set(attr, value)
    # Classes are renamed and every copy is marked, so the file's own <style> rules (scoped
    # the same way) reach only the copies, and the page's rules do not reach them (as with
    # an external <use>, whose copies only the external file's rules style).
    classes = [prefix + c for c in (src.get("class") or "").split()]
    if styled and name != "style":
        classes.append(prefix[:-1])
    if classes:
        el.set("class", " ".join(classes))
    if src.text:
        if name == "style":
            css = _rename_css(src.text, prefix, inline=False)
            el.text = scope_selectors(css, lambda n: prefix + n, prefix[:-1])
        else:
            el.text = src.text
    last = None
    for child in src:
        copied = _copy_svg_element(child, el, prefix, styled)
        if copied is not None:
            last = copied
            copied.tail = child.tail
        elif child.tail:  # a comment, entity or dropped element: its tail is still text
            if last is not None:
                last.tail = (last.tail or "") + child.tail
            else:
                el.text = (el.text or "") + child.tail
    return el


# --------------------------------------------------------------------------- serialisation


def _escape_text(text: str) -> str:
    if "&" in text or "<" in text or ">" in text:
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text


def _escape_attr(text: str) -> str:
    if "&" in text or '"' in text:
        return text.replace("&", "&amp;").replace('"', "&quot;")
    return text


@functools.lru_cache(maxsize=16)
def _closing_tag(tag: str) -> re.Pattern[str]:
    return re.compile(re.escape(f"</{tag}"), re.IGNORECASE)


def _raw_text(tag: str, text: str) -> str:
    # A raw-text element ends at the first "</tag"; never let content close it early.
    if "</" not in text:
        return text
    replacement = f"<\\/{tag}" if tag == "style" else f"&lt;/{tag}"
    return _closing_tag(tag).sub(replacement, text)


@functools.lru_cache(maxsize=512)
def _writable_attr(name: str) -> bool:
    return not _BAD_ATTR_NAME.search(name)


def serialize_html(tree) -> str:
    """HTML serialisation that writes attribute values exactly as they are.

    libxml2's own HTML serialiser percent-escapes non-ASCII characters in ``href``/``src``/
    ``name`` attributes, which breaks ``<a name="章节">`` anchors; this one follows the HTML
    standard's fragment serialisation instead (iteratively, for deeply nested pages).
    """
    root = _root(tree)
    out: list[str] = []
    doctype = root.getroottree().docinfo.doctype
    if doctype and doctype != _LIBXML_DEFAULT_DOCTYPE:
        out.append(doctype + "\n")
    nodes = [*reversed(list(root.itersiblings(preceding=True))), root, *root.itersiblings()]
    for node in nodes:
        _serialize_node(node, out)
    out.append("\n")
    return "".join(out)


def _serialize_node(top, out: list[str]) -> None:
    """Write ``top`` and its content (not its tail), walking the tree with lxml's iterwalk.

    The walk is iterative in C, so deep nesting costs no recursion and each node is one
    event here: the serialiser writes every element of every captured page.
    """
    write = out.append
    tag = top.tag
    if tag.__class__ is not str:  # a comment or processing instruction beside the root
        if tag is etree.Comment:
            write(f"<!--{top.text or ''}-->")
        elif tag is etree.Entity:
            write(top.text or "")
        return
    escape_attr, writable = _escape_attr, _writable_attr
    for event, node in etree.iterwalk(top, events=("start", "end", "comment", "pi")):
        tag = node.tag
        if event == "start":
            if tag.__class__ is not str:  # an entity: its text, then (at "end") its tail
                write(node.text or "")
                continue
            items = node.items()
            if items:
                attrs = "".join(
                    [f' {name}="{escape_attr(value)}"' for name, value in items if writable(name)]
                )
                write(f"<{tag}{attrs}>")
            else:
                write(f"<{tag}>")
            text = node.text
            if text:
                low = tag.lower()
                write(_raw_text(low, text) if low in _RAW_TEXT else _escape_text(text))
            continue
        if event == "end":
            # Void elements get no end tag ("</br>" would even create another <br>); any
            # content a parser put inside one is written after it, where browsers put it.
            if tag.__class__ is str and tag.lower() not in _VOID:
                write(f"</{tag}>")
        elif event == "comment":
            write(f"<!--{node.text or ''}-->")
        # processing instructions are dropped; the tail of every node still counts
        if node is not top:
            tail = node.tail
            if tail:
                write(_escape_text(tail))

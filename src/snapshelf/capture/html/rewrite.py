"""The replay version of a document: URLs mapped into the archive, scripts and handlers gone."""

from __future__ import annotations

import contextlib
import copy

from snapshelf.capture.css import (
    EMPTY,
    Mapper,
    classify,
    is_script_url,
    rewrite_css,
    rewrite_inline_style,
    with_fragment,
)
from snapshelf.capture.html.document import document_root, serialize_html
from snapshelf.capture.html.noscript import noscript_removals
from snapshelf.capture.html.responsive import CAPTURE, choose, is_responsive
from snapshelf.capture.html.rules import (
    element_rules,
    element_slots,
    lazy_overrides,
    link_role,
    tagged_elements,
)
from snapshelf.capture.html.srcset import format_srcset, parse_srcset
from snapshelf.capture.html.svg import SvgSprites

# Attributes that are dangerous or useless once scripts are gone and URLs are rewritten:
# SRI hashes no longer match, nonces are for scripts, crossorigin would make the sandboxed
# (opaque-origin) replay need CORS, ping/attributionsrc contact the live web on click/load.
_DROP_ATTRS = frozenset({"integrity", "nonce", "crossorigin", "ping", "attributionsrc"})


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
    doc = copy.deepcopy(document_root(tree).getroottree())
    root = doc.getroot()

    urls = _Urls(base_url, mapper, sprites)
    _promote_lazy_images(root, base_url)
    for el in noscript_removals(root):
        _remove(el)

    # Attributes of kept elements; collect structural changes for afterwards.
    removals: list = []
    unwraps: list = []
    for el, tag, in_svg in tagged_elements(root):
        action, slots = element_rules(el, tag, in_svg)
        if action == "remove":
            removals.append(el)
            continue
        if action == "unwrap":
            unwraps.append(el)
            continue
        if tag == "link":
            _fix_async_stylesheet(el)
        if _sanitise_attributes(el, tag) or tag == "link":
            slots = element_slots(el, tag, in_svg)  # from the attributes that are left
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
                    new = urls.use(value)
                else:
                    new = urls.map(value, kind)
            elif mode == "srcset":
                # Candidates not fetched (not needed, or failed) go, with their descriptor:
                # the rest keep theirs, so browsers still pick between them correctly.
                kept = [(urls.map(u, kind), d) for u, d in parse_srcset(value)]
                new = format_srcset([(u, d) for u, d in kept if u != EMPTY])
                if not new:
                    del el.attrib[attr]
                    continue
            elif mode == "style":
                new = rewrite_inline_style(value, base_url, mapper)
            elif mode == "nav":
                new = urls.nav(value)
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

    _point_src_at_choice(root)
    for el in removals:
        _remove(el)
    for el in reversed(unwraps):
        _unwrap(el)
    if sprites is not None:
        sprites.insert_into(root)

    _set_utf8(root)
    return serialize_html(doc)


def _archived(el, name: str) -> str | None:
    value = el.get(name)
    return None if value == EMPTY else value


def _point_src_at_choice(root) -> None:
    """A responsive ``<img>``'s src becomes what the capture viewport shows (it was fetched;
    the written src may not have been)."""
    for img in root.iter("img"):
        if img.get("src") is not None and is_responsive(img, _archived):
            choice = choose(img, CAPTURE, _archived)
            if choice is not None:
                img.set("src", choice.candidate.url)


class _Urls:
    """Replacement values for the URL slots of :func:`rewrite_html`."""

    def __init__(self, base_url: str, mapper: Mapper, sprites: SvgSprites | None) -> None:
        self.base_url = base_url
        self.mapper = mapper
        self.sprites = sprites

    def map(self, value: str, kind: str) -> str:
        target = classify(value, self.base_url)
        if target.kind in ("empty", "fragment", "about"):
            return value
        if target.kind == "data":
            if kind == "stylesheet" and target.url != EMPTY:
                return self.mapper(target.url, "stylesheet")  # processed and stored like any sheet
            return value
        if target.kind == "http":
            return with_fragment(self.mapper(target.url, kind), target.fragment)
        return EMPTY

    def use(self, value: str) -> str:
        target = classify(value, self.base_url)
        if target.kind == "http" and self.sprites is not None:
            return self.sprites.use_ref(target.url, target.fragment)
        return self.map(value, "image")

    def nav(self, value: str) -> str:
        target = classify(value, self.base_url)
        if target.kind == "http":
            return target.url + (f"#{target.fragment}" if target.fragment is not None else "")
        return value


def _promote_lazy_images(root, base_url: str) -> None:
    """Lazy-loading attributes become the real ones; their ``<noscript>`` copies go."""
    # first the attributes (before noscript duplicates are judged)
    promoted: set[str] = set()
    for el in root.iter("img", "source"):
        overrides = lazy_overrides(el, el.tag)
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

    # <noscript><img></noscript> fallbacks of promoted lazy images would show twice
    if promoted:
        for noscript in list(root.iter("noscript")):
            for img in list(noscript.iter("img")):
                if _resolved(img.get("src"), base_url) in promoted:
                    _remove(img)


def _fix_async_stylesheet(el) -> None:
    """Apply what the onload handler of an async-CSS ``<link>`` would have done."""
    role = link_role(el)
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

"""Single-file HTML: turn a replay document into one file that references nothing else.

Every ``r/<key>`` reference (attributes, srcset, inline styles, ``<style>``, and the
sibling ``<key>`` references inside stylesheets, recursively) becomes a data: URL of the
served bytes. External SVG ``<use>`` cannot point at a data: URL (browsers refuse), so the
referenced SVG file is copied into a hidden ``<svg>`` in the document with prefixed ids,
and the ``<use>`` points at the local copy.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable

import lxml.html
from lxml import etree

from snapshelf.capture.css import (
    EMPTY,
    classify,
    data_stylesheet,
    is_script_url,
    rewrite_css,
    transform_css_urls,
)
from snapshelf.capture.html import parse_html, rewrite_html

__all__ = ["inline"]

Load = Callable[[str], "tuple[str, bytes] | None"]

# A base URL that cannot exist: replay references resolve against it and are mapped back.
_BASE = "http://snapshelf.invalid/"
_KEY = re.compile(r"[0-9a-f]{64}")
_MIME = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*")
_XLINK = "{http://www.w3.org/1999/xlink}"
_XML = "{http://www.w3.org/XML/1998/namespace}"
_SVG = "{http://www.w3.org/2000/svg}"
_HIDDEN = "position:absolute;width:0;height:0;overflow:hidden"


def _key_of(url: str) -> str | None:
    if url.startswith(_BASE + "r/"):
        key = url[len(_BASE) + 2 :]
        if _KEY.fullmatch(key):
            return key
    return None


def _data_url(content_type: str, data: bytes) -> str:
    mime = content_type.split(";", 1)[0].strip().lower()
    if not _MIME.fullmatch(mime):
        mime = "application/octet-stream"
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


class _Inliner:
    def __init__(self, load: Load) -> None:
        self.load = load
        self.cache: dict[str, str] = {}
        self.in_progress: set[str] = set()
        self.svg_ids: dict[str, str | None] = {}  # key -> id prefix of its inlined copy
        self.svg_blocks: list = []

    def mapper(self, url: str, kind: str) -> str:
        key = _key_of(url)
        if key is None:
            if url.startswith("data:") and kind == "stylesheet":
                return self._data_stylesheet(url)
            return EMPTY  # not part of the archive: must not be reached
        if key in self.cache:
            return self.cache[key]
        if key in self.in_progress:
            return EMPTY
        loaded = self.load(key)
        if loaded is None:
            self.cache[key] = EMPTY
            return EMPTY
        content_type, data = loaded
        mime = content_type.split(";", 1)[0].strip().lower()
        if mime == "text/css" or kind == "stylesheet":
            self.in_progress.add(key)
            try:
                css = rewrite_css(data.decode("utf-8", "replace"), _BASE + "r/" + key, self.mapper)
            finally:
                self.in_progress.discard(key)
            result = _data_url("text/css", css.encode("utf-8")).replace(
                "data:text/css;", "data:text/css;charset=utf-8;", 1
            )
        else:
            result = _data_url(content_type, data)
        self.cache[key] = result
        return result

    def _data_stylesheet(self, url: str) -> str:
        """A data: stylesheet left in the document: inline what it references, re-embed it."""
        decoded = data_stylesheet(url)
        if decoded is None or url in self.in_progress:
            return EMPTY
        self.in_progress.add(url)
        try:
            css = rewrite_css(decoded[0], url, self.mapper)
        finally:
            self.in_progress.discard(url)
        return _data_url("text/css", css.encode("utf-8")).replace(
            "data:text/css;", "data:text/css;charset=utf-8;", 1
        )

    # ------------------------------------------------------------------ SVG <use>

    def svg_use(self, key: str, fragment: str | None) -> str:
        """Local ``#id`` for ``<use href="r/<key>#fragment">``, copying the SVG in once."""
        if key not in self.svg_ids:
            self.svg_ids[key] = self._copy_svg(key)
        prefix = self.svg_ids[key]
        if prefix is None:
            return EMPTY
        return f"#{prefix}{fragment}" if fragment else f"#{prefix}root"

    def _copy_svg(self, key: str) -> str | None:
        loaded = self.load(key)
        if loaded is None:
            return None
        parser = etree.XMLParser(
            resolve_entities=False, no_network=True, load_dtd=False, recover=True
        )
        try:
            svg = etree.fromstring(loaded[1], parser=parser)
        except (etree.XMLSyntaxError, ValueError):
            return None
        if svg is None or not isinstance(svg.tag, str):
            return None
        prefix = f"sf{key[:12]}-"
        holder = lxml.html.fromstring("<svg></svg>")
        holder.set("xmlns", "http://www.w3.org/2000/svg")
        holder.set("aria-hidden", "true")
        holder.set("style", _HIDDEN)
        defs = etree.SubElement(holder, "defs")
        copy = _copy_element(svg, defs, prefix)
        if copy is not None and copy.get("id") is None:
            copy.set("id", prefix + "root")  # <use href="file.svg"> without a fragment
        self.svg_blocks.append(holder)
        return prefix


def _local_name(tag: str) -> str | None:
    if tag.startswith(_SVG):
        return tag[len(_SVG) :]
    if tag.startswith("{"):
        return None  # editor metadata (inkscape:, sodipodi:, rdf:) and other vocabularies
    return tag


def _rename_fragment(value: str, prefix: str) -> str:
    value = value.strip()
    if value.startswith("#") and len(value) > 1:
        return "#" + prefix + value[1:]
    return EMPTY  # anything outside the copied file was not captured


def _rename_css(css: str, prefix: str, *, inline: bool) -> str:
    def visit(raw: str, _kind: str) -> str:
        return _rename_fragment(raw, prefix) if raw.strip() else raw

    return transform_css_urls(css, visit, inline=inline)


def _copy_element(src, parent, prefix: str):
    """Copy an XML SVG subtree into the HTML tree: plain names, prefixed ids, inert."""
    name = _local_name(src.tag) if isinstance(src.tag, str) else None
    if name is None or name in ("script", "foreignObject"):
        return None
    el = etree.SubElement(parent, name)
    for attr, value in src.attrib.items():
        if attr.startswith(_XLINK):
            attr = attr[len(_XLINK) :]  # SVG 2: plain href
        elif attr.startswith(_XML):
            attr = "xml:" + attr[len(_XML) :]
        elif attr.startswith("{"):
            continue
        low = attr.lower()
        if low.startswith("on") or is_script_url(value):
            continue
        if low == "id":
            value = prefix + value
        elif low == "href":
            value = _rename_fragment(value, prefix)
        elif "url(" in value.lower():
            value = _rename_css(value, prefix, inline=True)
        el.set(attr, value)
    if src.text:
        el.text = _rename_css(src.text, prefix, inline=False) if name == "style" else src.text
    for child in src:
        copied = _copy_element(child, el, prefix)
        if copied is not None and child.tail:
            copied.tail = child.tail
    return el


def inline(html: str, load: Load) -> str:
    """One self-contained HTML file from a replay document.

    ``load(key)`` returns (content type, served bytes) of ``r/<key>``, or None when
    missing (the reference then becomes ``data:,``). Hyperlinks stay links to the web;
    everything the page loads is inside the file.
    """
    tree = parse_html(html)
    inliner = _Inliner(load)
    for use in tree.iter("use"):
        for attr in ("href", "xlink:href"):
            value = use.get(attr)
            if value is None:
                continue
            target = classify(value, _BASE)
            if target.kind != "http":
                continue
            key = _key_of(target.url)
            use.set(attr, inliner.svg_use(key, target.fragment) if key else EMPTY)
    if inliner.svg_blocks:
        body = tree.find("body")
        container = body if body is not None else tree
        for offset, block in enumerate(inliner.svg_blocks):
            container.insert(offset, block)
    return rewrite_html(tree, _BASE, inliner.mapper)

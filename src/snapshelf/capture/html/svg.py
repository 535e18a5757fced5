"""External SVG ``<use>`` references: local copies of the symbols they use (:class:`SvgSprites`)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from urllib.parse import unquote

from lxml import etree

from snapshelf.capture.css import (
    EMPTY,
    is_script_url,
    scope_selectors,
    transform_css_urls,
)

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

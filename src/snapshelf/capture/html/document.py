"""The document in and out: parse a page with lxml, find its base URL, serialise it back.

Parsing copes with what libxml2's HTML 4 parser gets wrong about HTML5 (void elements
that it treats as containers, lone surrogates); serialisation writes HTML5, not XHTML.
"""

from __future__ import annotations

import functools
import re

from lxml import etree

from snapshelf.capture.css import (
    resolve_url,
)
from snapshelf.capture.html.paragraphs import fill_stray_paragraph_ends

# libxml2 invents this doctype for documents that have none; both mean quirks mode, so we
# simply do not write it back.
_LIBXML_DEFAULT_DOCTYPE = (
    '<!DOCTYPE html PUBLIC "-//W3C//DTD HTML 4.0 Transitional//EN" '
    '"http://www.w3.org/TR/REC-html40/loose.dtd">'
)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*>")
_EMPTY_DOC = "<html><head></head><body></body></html>"


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


def parse_html(text: str) -> etree._Element:
    """Parse a whole document; never raises on real-world junk (empty, XML prolog, NULs).

    The tree has lxml's plain (C-level) element classes, not ``lxml.html.HtmlElement``:
    lxml.html picks each element's class through a Python callback, which costs a call
    every time an element is touched, and nothing here needs the HtmlElement methods.
    """
    text = text.lstrip("\ufeff").replace("\x00", "\ufffd")
    text = _XML_DECL.sub("", text, count=1)
    text = fill_stray_paragraph_ends(text)  # the empty paragraph browsers build
    for attempt in (text, _scrub_surrogates(text)):
        try:
            root = etree.fromstring(attempt, parser=_parser())
        except (etree.ParserError, etree.XMLSyntaxError, ValueError, UnicodeError):
            continue
        if root is not None and isinstance(root.tag, str):
            _hoist_void_content(root)
            _restore_body_attributes(root, attempt)
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


_BODY_TAG = re.compile(r"<body(?=[\s/])[^>]*>", re.IGNORECASE)
# Where a "<body" is not a tag: comments and the raw text of scripts and styles.
_NOT_MARKUP = re.compile(
    r"<!--.*?(?:-->|\Z)|<(script|style|textarea|title|xmp)\b.*?(?:</\1\s*>|\Z)",
    re.IGNORECASE | re.DOTALL,
)


def _restore_body_attributes(root, text: str) -> None:
    """Give an attribute-less ``<body>`` the attributes of the page's ``<body>`` tag.

    Content that cannot be in ``<head>`` (an ``<img>``, a ``<p>``) opens the body early;
    browsers then add the real ``<body>`` tag's attributes to that body, libxml2 drops
    them, and a page styled by ``<body class=…>`` loses its layout. Only a body left
    with no attributes at all is filled, from the first ``<body …>`` tag outside
    comments, scripts and styles.
    """
    body = root.find("body")
    if body is None or len(body.attrib) or not _BODY_TAG.search(text):
        return
    match = _BODY_TAG.search(_NOT_MARKUP.sub("", text))
    if match is None:
        return
    try:
        tag = etree.fromstring(f"<html>{match.group()}</body></html>", parser=_parser())
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):
        return
    found = tag.find("body") if tag is not None else None
    for name, value in found.items() if found is not None else ():
        try:
            body.set(name, value)
        except ValueError:  # a name lxml cannot hold
            continue


def _scrub_surrogates(text: str) -> str:
    return text.encode("utf-8", "replace").decode("utf-8", "replace")


def document_root(tree) -> etree._Element:
    return tree.getroot() if hasattr(tree, "getroot") else tree


def document_base_url(tree, url: str) -> str:
    """The URL relative references resolve against: the first ``<base href>``, else ``url``."""
    for base in document_root(tree).iter("base"):
        href = base.get("href")
        if href is None:
            continue
        resolved = resolve_url(url, href)
        return resolved[0] if resolved else url
    return url


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
    root = document_root(tree)
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

"""A ``</p>`` with no paragraph open: HTML5 makes it an empty paragraph, libxml2 drops it.

Pages often close a paragraph that a block already closed (``<p><table>…</table></p>``,
``<div><p>…</div></p>``). Browsers follow the HTML5 tree builder: the stray end tag
inserts an empty ``<p></p>``, whose margins push everything after it down. libxml2's
HTML 4 parser drops the tag, so the archived copy came out shorter than the live page
(the IANA statistics page: 39 px, SSIM 0.87). Before parsing, each such end tag is
written as ``<p></p>`` so lxml builds what the browser builds. The scan follows the
HTML5 rules that matter here (which start tags close an open paragraph, button scope,
raw-text elements, ``<table>`` in quirks mode) without building a tree.
"""

from __future__ import annotations

import re

__all__ = ["fill_stray_paragraph_ends"]

_TAG = re.compile(r"<!--.*?(?:-->|\Z)|<(/?)([a-zA-Z][a-zA-Z0-9-]*)[^>]*>", re.S)
_DOCTYPE = re.compile(r"^\s*(?:<!--.*?-->\s*)*<!doctype\s+([^>]*)>", re.I | re.S)
#: Start tags that close an open paragraph ("close a p element" in the HTML5 tree builder).
_CLOSES_P = frozenset(
    {
        *("address", "article", "aside", "blockquote", "center", "details", "dialog", "dir"),
        *("div", "dl", "fieldset", "figcaption", "figure", "footer", "form", "header"),
        *("hgroup", "hr", "main", "menu", "nav", "ol", "p", "pre", "listing", "search"),
        *("section", "summary", "ul", "h1", "h2", "h3", "h4", "h5", "h6", "li", "dd", "dt"),
        *("plaintext", "xmp"),
    }
)
#: End tags that end an open paragraph inside them (implied end tags, then the element).
_ENDS_P = _CLOSES_P | frozenset({"body", "html"})
#: Elements that start a new scope: a paragraph outside them is not "in button scope".
_SCOPE = frozenset(["button", "td", "th", "caption", "object", "marquee", "applet", "template"])
#: Elements whose content is text, not tags (noscript too: the live page runs scripts).
_RAW = frozenset(
    ["script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes", "noscript"]
)


def fill_stray_paragraph_ends(text: str) -> str:
    """``text`` with each ``</p>`` that has no open paragraph written ``<p></p>``."""
    if "</p" not in text and "</P" not in text:
        return text
    closes = _CLOSES_P | ({"table"} if not _quirks(text) else set())
    out: list[str] = []
    at = 0
    open_p = False
    scopes: list[bool] = []
    pos = 0
    while match := _TAG.search(text, pos):
        pos = match.end()
        end, name = match.group(1), (match.group(2) or "").lower()
        if not name:
            continue  # a comment
        if not end:
            if name in _RAW:
                close = re.compile(rf"</{name}[\s/>]", re.I).search(text, pos)
                pos = close.start() if close else len(text)
            elif name in _SCOPE:
                scopes.append(open_p)
                open_p = False
            elif name == "p":
                open_p = True
            elif name in closes:
                open_p = False
            continue
        if name == "p":
            if open_p:
                open_p = False
            else:
                out.append(text[at : match.start()])
                out.append("<p></p>")
                at = match.end()
        elif name in _SCOPE:  # a paragraph inside ends with it; the one outside is back
            open_p = scopes.pop() if scopes else False
        elif name in _ENDS_P:
            open_p = False
    if not out:
        return text
    out.append(text[at:])
    return "".join(out)


def _quirks(text: str) -> bool:
    """Whether the document renders in quirks mode (no or an old doctype): there a
    ``<table>`` stays inside an open paragraph."""
    found = _DOCTYPE.match(text[:2000])
    if found is None:
        return True
    doctype = found.group(1).lower()
    if doctype.strip() == "html":
        return False
    return (
        "transitional" in doctype
        and "http" not in doctype
        or "frameset" in doctype
        and ("http" not in doctype)
    )

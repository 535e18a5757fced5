"""Last resort: the visible body text minus obvious boilerplate, one entry per block."""

from __future__ import annotations

import copy
import html as html_lib

import lxml.html
from lxml import etree

from snapshelf.capture.extract.content import BREAK, LINE
from snapshelf.capture.extract.text import norm

_BOILERPLATE = (
    "nav",
    "header",
    "footer",
    "aside",
    "script",
    "style",
    "form",
    "noscript",
    "template",
    "svg",
    "iframe",
    "button",
    "select",
    "textarea",
    "object",
    "embed",
    "canvas",
    "dialog",
    "menu",
)
_FALLBACK_BLOCKS = {
    "p",
    "div",
    "li",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "tr",
    "pre",
    "blockquote",
    "section",
    "article",
    "main",
    "table",
    "ul",
    "ol",
    "dl",
    "dt",
    "dd",
    "figure",
    "figcaption",
    "address",
    "td",
    "th",
    "body",
}


def fallback_blocks(tree: lxml.html.HtmlElement) -> list[str]:
    """Visible body text minus obvious boilerplate, one entry per block."""
    body = tree.find("body")
    if body is None:
        body = tree
    body = copy.deepcopy(body)
    for el in list(body.iter(*_BOILERPLATE)):
        if el.getparent() is not None:
            el.drop_tree()
    for el in list(body.iterfind(".//*[@role]")):
        if (
            el.get("role") in ("navigation", "banner", "contentinfo", "complementary", "search")
            and el.getparent() is not None
        ):
            el.drop_tree()
    for el in list(body.iterfind(".//*[@hidden]")) + list(
        body.iterfind(".//*[@aria-hidden='true']")
    ):
        if el.getparent() is not None:
            el.drop_tree()
    parts: list[str] = []

    def walk(node: etree._Element) -> None:
        tag = node.tag if isinstance(node.tag, str) else ""
        block = tag in _FALLBACK_BLOCKS
        if block:
            parts.append(BREAK)
        if tag == "br":
            parts.append(LINE)
        if isinstance(node.tag, str) and node.text:
            parts.append(node.text)
        for child in node:
            walk(child)
        if block:
            parts.append(BREAK)
        if node.tail:
            parts.append(node.tail)

    walk(body)
    blocks = []
    for raw in "".join(parts).split(BREAK):
        if LINE in raw:
            block = "\n".join(x for x in (norm(line) for line in raw.split(LINE)) if x)
        else:  # one line (most blocks): what the join above gives for it
            block = norm(raw)
        if block:
            blocks.append(block)
    return blocks


def blocks_to_html(blocks: list[str]) -> str:
    return "".join("<p>" + html_lib.escape(b).replace("\n", "<br>") + "</p>" for b in blocks)

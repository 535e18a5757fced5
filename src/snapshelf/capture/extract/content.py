"""Main content: trafilatura's result tree rendered as HTML and plain text.

trafilatura runs in its fast mode (metadata pass skipped); the caller decides
when its slower fallback cascade is worth a second run.
"""

from __future__ import annotations

import html as html_lib
import logging
import re
from typing import Any

import lxml.html
from lxml import etree

from snapshelf.capture.extract.parse import Resolver
from snapshelf.capture.extract.sanitize import is_http_url
from snapshelf.capture.extract.text import norm

log = logging.getLogger(__name__)


_FAST_OPTIONS = {
    # "markdown" makes bare_extraction skip its own (slow) text serialisation;
    # we render text, HTML and Markdown from the result tree ourselves
    "output_format": "markdown",
    "include_comments": False,
    "include_tables": True,
    "include_images": True,
    "include_links": True,
    "include_formatting": True,
    "with_metadata": False,
}


def absolutize(tree: lxml.html.HtmlElement, resolve: Resolver) -> None:
    """Make link and image URLs absolute before trafilatura copies them."""
    if resolve.base is None:
        return
    for el in tree.iter("a", "img"):
        if el.tag == "a":
            href = el.get("href")
            if href and not href.startswith(("http://", "https://", "#")):
                new = resolve(href)
                if new:
                    el.set("href", new)
            continue
        for attr, value in el.attrib.items():
            if (
                (attr == "src" or attr.startswith("data-src"))
                and value
                and not value.startswith(("http://", "https://", "data:"))
            ):
                new = resolve(value)
                if new:
                    el.set(attr, new)
        # common lazy-loading attributes that trafilatura does not read
        if not el.get("data-src"):
            for attr in (
                "data-original",
                "data-lazy-src",
                "data-url",
                "data-actualsrc",
                "data-echo",
            ):
                value = el.get(attr)
                if value:
                    new = resolve(value)
                    if new:
                        el.set("data-src", new)
                    break


def run_trafilatura(tree: lxml.html.HtmlElement, fast: bool, comments: bool = False) -> Any:
    """trafilatura's result document (or None); with ``comments`` its comment
    section is appended to the body (forum threads: the replies are the content)."""
    import trafilatura

    options = dict(_FAST_OPTIONS, include_comments=comments)
    try:
        doc = trafilatura.bare_extraction(tree, fast=fast, **options)
    except Exception:  # trafilatura raises odd errors on odd trees; the fallback copes
        log.debug("trafilatura failed", exc_info=True)
        return None
    extra = getattr(doc, "commentsbody", None) if doc is not None else None
    if comments and extra is not None and len(extra) and doc.body is not None:
        doc.body.extend(list(extra))
    return doc


_XP_TEXT = etree.XPath("descendant::text()", smart_strings=False)
_XP_VISIBLE_TEXT = etree.XPath(
    ".//text()[not(ancestor::script) and not(ancestor::style) and not(ancestor::noscript)]",
    smart_strings=False,
)


def visible_length(tree: lxml.html.HtmlElement) -> int:
    """Characters of the body's text outside scripts, styles and ``<noscript>``.

    The ancestor tests cost ten times the rest; extract_html strips those elements
    before it asks, so they only run on a tree that still has some.
    """
    body = tree.find("body")
    if body is None:
        return 0
    hidden = next(body.iter("script", "style", "noscript"), None) is not None
    return sum(map(len, map(str.strip, (_XP_VISIBLE_TEXT if hidden else _XP_TEXT)(body))))


def render_html(body: etree._Element) -> str:
    out: list[str] = []
    for child in body:
        _emit_html(child, out, top=True)
    if body.text and body.text.strip():
        out.insert(0, f"<p>{html_lib.escape(body.text.strip())}</p>")
    return "".join(out)


def _emit_html(el: etree._Element, out: list[str], top: bool = False) -> None:
    tag = el.tag
    if not isinstance(tag, str):
        if el.tail:
            out.append(html_lib.escape(el.tail))
        return
    rend = el.get("rend") or ""
    open_tag = close_tag = ""
    if tag == "p":
        open_tag, close_tag = "<p>", "</p>"
    elif tag == "head":
        level = rend[1:] if rend[:1] == "h" and rend[1:] in ("1", "2", "3", "4", "5", "6") else "2"
        open_tag, close_tag = f"<h{level}>", f"</h{level}>"
    elif tag == "list":
        name = "ol" if rend == "ol" else "ul"
        open_tag, close_tag = f"<{name}>", f"</{name}>"
    elif tag == "item":
        open_tag, close_tag = "<li>", "</li>"
    elif tag == "quote":
        open_tag, close_tag = "<blockquote>", "</blockquote>"
    elif tag == "code":
        if top or "\n" in (el.text or ""):
            open_tag, close_tag = "<pre><code>", "</code></pre>"
        else:
            open_tag, close_tag = "<code>", "</code>"
    elif tag == "hi":
        name = {"#b": "strong", "#i": "em", "#t": "code"}.get(rend)
        if name:
            open_tag, close_tag = f"<{name}>", f"</{name}>"
    elif tag == "ref":
        target = el.get("target")
        if target and is_http_url(target):
            open_tag, close_tag = f'<a href="{html_lib.escape(target)}">', "</a>"
    elif tag == "graphic":
        src = el.get("src")
        if src and is_http_url(src):
            alt = html_lib.escape(el.get("alt") or el.get("title") or "")
            img = f'<img src="{html_lib.escape(src)}" alt="{alt}">'
            out.append(f"<figure>{img}</figure>" if top else img)
        if el.text:  # trafilatura sometimes parks following text inside <graphic>
            out.append(html_lib.escape(el.text))
        if el.tail:
            out.append(html_lib.escape(el.tail))
        return
    elif tag == "lb":
        out.append("<br>")
        if el.tail:
            out.append(html_lib.escape(el.tail))
        return
    elif tag == "table":
        open_tag, close_tag = "<table>", "</table>"
    elif tag == "row":
        open_tag, close_tag = "<tr>", "</tr>"
    elif tag == "cell":
        name = "th" if el.get("role") == "head" else "td"
        open_tag, close_tag = f"<{name}>", f"</{name}>"
    elif tag == "del":
        if el.tail:
            out.append(html_lib.escape(el.tail))
        return
    out.append(open_tag)
    if el.text:
        out.append(html_lib.escape(el.text))
    for child in el:
        _emit_html(child, out)
    out.append(close_tag)
    if el.tail:
        if top and el.tail.strip():
            out.append(f"<p>{html_lib.escape(el.tail.strip())}</p>")
        elif not top:
            out.append(html_lib.escape(el.tail))


TEXT_BLOCKS = {"p", "head", "item", "quote", "code", "row", "table", "list", "div", "graphic"}
BREAK = "\x00"
LINE = "\x01"


def render_text(body: etree._Element) -> str:
    """Plain text from trafilatura's tree: one block per paragraph, blank lines between."""
    parts: list[str] = []
    _emit_text(body, parts)
    blocks: list[str] = []
    for raw in "".join(parts).split(BREAK):
        if raw.startswith("\x02"):  # preformatted block
            block = raw[1:].strip("\n")
        elif LINE in raw:
            block = "\n".join(norm(line) for line in raw.split(LINE))
            block = block.strip()
        else:  # one line (most blocks): what the join above gives for it
            block = norm(raw)
        if block.strip():
            blocks.append(block)
    return "\n\n".join(blocks)


def _emit_text(el: etree._Element, parts: list[str], in_pre: bool = False) -> None:
    tag = el.tag if isinstance(el.tag, str) else ""
    if tag == "del" or tag == "graphic":
        if tag == "graphic" and el.text:
            parts.append(el.text)
        if el.tail:
            parts.append(el.tail)
        return
    block = tag in TEXT_BLOCKS
    pre = tag == "code" and (
        "\n" in (el.text or "") or el.getparent() is not None and el.getparent().tag == "body"
    )
    if block and not in_pre:
        parts.append(BREAK)
        if pre:
            parts.append("\x02")
    if tag == "lb":
        parts.append("\n" if in_pre else LINE)
    elif tag == "cell" and el.getprevious() is not None:
        parts.append(" | ")
    if el.text:
        parts.append(el.text)
    for child in el:
        _emit_text(child, parts, in_pre or pre)
    if block and not in_pre:
        parts.append(BREAK)
    if el.tail:
        parts.append(el.tail)


_WORDISH = re.compile(r"[0-9A-Za-z\u00c0-\u024f\u0370-\u03ff\u0400-\u04ff]")
_INLINE = ("a", "b", "strong", "em", "i", "span", "code", "u", "small", "abbr")


def glued_inline_texts(tree: lxml.html.HtmlElement) -> set[str]:
    """Texts of inline elements the page itself glues to the next word ("<a>API</a>s")."""
    glued = set()
    for el in tree.iter(*_INLINE):
        tail = el.tail
        if tail and _WORDISH.match(tail):
            glued.add(norm(el.text_content()))
    return glued


def restore_inline_spaces(body: etree._Element, page: lxml.html.HtmlElement) -> bool:
    """Put back the space trafilatura's fallback cascade drops after an inline element;
    whether any was put back.

    "<a>Mozilla Foundation</a> and" came out as "Mozilla Foundationand"; the
    space is restored unless the page itself writes the two words together
    (:func:`glued_inline_texts`, read from ``page`` only when a result needs it).
    """
    glued: set[str] | None = None
    changed = False
    for el in body.iter("ref", "hi"):
        tail = el.tail
        if not tail or not _WORDISH.match(tail):
            continue
        text = "".join(el.itertext())
        if not text or not _WORDISH.match(text[-1]):
            continue
        if glued is None:
            glued = glued_inline_texts(page)
        if norm(text) not in glued:
            el.tail = " " + tail
            changed = True
    return changed

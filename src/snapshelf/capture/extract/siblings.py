"""Split bodies: the article continues in sibling containers of the one trafilatura chose.

Some sites cut an article into several containers of the same kind (same tag,
same class) with ad rows or embeds between them; trafilatura keeps the first
container and drops the rest. The chosen container is found in the page by the
paragraphs of trafilatura's result (their lowest common ancestor); its siblings
with the same signature that carry prose (little link text, not already kept)
are the rest of the body, and their blocks are joined to the result in page
order. A sibling joins when it is prose (two blocks of ``PROSE_BLOCK``
characters at least, holding half its text or more; little link text) and
comparable with what was kept (``COMPARABLE_SHARE``), so a newsletter box, a
product carousel or a disclaimer of the same class stays out. The signature is
exact (utility classes such as "mb-4 mt-4" / "mb-4 mt-5" differ by a digit on
unrelated boxes) and never ``<article>`` (sibling articles are other stories).

Measured (issue 20, bench/extract_quality.py): on WCXB (all 982 pages) and the
readability, cx163, gne, newspaper4k and goose3 sets no page changes; on
trafilatura-eval it fires on four pages: two get their missing body parts
(must-have snippets 0.67 -> 1.0), one leaks one snippet less and one (a
"more stories" list inside the last part) one more: with 0.9446 -> 0.9452,
without-leaked 0.1415 -> 0.1415. Cost: median 1.3 ms CPU per page for the
whole step (every third WCXB page), most of it locating the container.
"""

from __future__ import annotations

import lxml.html
from lxml import etree

from snapshelf.capture.extract.fallback import fallback_blocks
from snapshelf.capture.extract.text import norm

#: a paragraph is matched between the result and the page by this many leading characters
_KEY = 60
#: paragraphs shorter than this are too common to locate the container
_MIN_PARA = 40
#: a sibling joined to the body carries at least this much text ...
MIN_SIBLING_TEXT = 100
#: ... and at most this share of it inside links (teasers and link lists are not prose)
MAX_LINK_SHARE = 0.3
#: how many levels above the located container are tried
_LEVELS = 3

_PARA_TAGS = ("p", "li", "blockquote", "pre", "dd", "h2", "h3", "h4")
_RESULT_TAGS = ("p", "item", "quote", "head")
_STRING = etree.XPath("string()", smart_strings=False)
#: a prose block of a sibling has this many characters; a sibling has two such blocks
#: at least, holding at least half of its text
PROSE_BLOCK = 80
#: and its prose is at least this share of the text already kept (comparable parts)
COMPARABLE_SHARE = 0.1


def _key(text: str) -> str:
    """The first ``_KEY`` characters of the normalised text, or "" when the whole text
    is under ``_MIN_PARA`` (normalising only a head of a long text: this runs on every
    paragraph of the page)."""
    key = " ".join(text[: 4 * _KEY].split())
    if len(key) < _KEY:
        key = " ".join(text.split())
    return key[:_KEY] if len(key) >= _MIN_PARA else ""


def _signature(el: etree._Element) -> tuple[str, str] | None:
    """Tag and class set of a container with a class. Exact: utility classes differ by
    digits only ("mb-4 mt-4" / "mb-4 mt-5") on unrelated boxes."""
    cls = " ".join(sorted((el.get("class") or "").split()))
    # an <article> is a whole composition: sibling <article>s are other stories
    return (el.tag, cls) if cls and el.tag != "article" else None


def _text_and_links(el: etree._Element) -> tuple[int, int]:
    text = len(norm("".join(el.itertext())))
    links = sum(len(norm("".join(a.itertext()))) for a in el.iter("a"))
    return text, links


def _container(tree: lxml.html.HtmlElement, result: etree._Element) -> etree._Element | None:
    """The page element holding trafilatura's result: the lowest common ancestor of
    the page paragraphs that start like the result's paragraphs (two at least)."""
    wanted = {_key("".join(el.itertext())) for el in result.iter(*_RESULT_TAGS)}
    wanted.discard("")
    if len(wanted) < 2:
        return None
    found: dict[str, etree._Element | None] = {}
    for el in tree.iter(*_PARA_TAGS):
        text = _STRING(el)
        if len(text) < _MIN_PARA:
            continue
        key = _key(text)
        if key and key in wanted:
            # a paragraph repeated on the page locates nothing
            found[key] = None if key in found else el
    matched = [el for el in found.values() if el is not None]
    if len(matched) < 2:
        return None
    paths = [list(el.iterancestors())[::-1] + [el] for el in matched]
    common = None
    for level in zip(*paths, strict=False):
        if all(x is level[0] for x in level):
            common = level[0]
        else:
            break
    return common


def split_body_blocks(
    tree: lxml.html.HtmlElement, result: etree._Element, kept_text: str
) -> tuple[list[str], list[str]]:
    """Blocks of the siblings that continue the chosen container: (before it, after it).

    Empty lists when the container is not found or has no such siblings."""
    node = _container(tree, result)
    flat = norm(kept_text)
    for _ in range(_LEVELS):
        if node is None or node.tag in ("body", "html"):
            break
        parent = node.getparent()
        sig = _signature(node)
        if parent is None:
            break
        if sig is not None:
            before: list[str] = []
            after: list[str] = []
            seen = False
            for child in parent:
                if child is node:
                    seen = True
                    continue
                if not isinstance(child.tag, str) or _signature(child) != sig:
                    continue
                text, links = _text_and_links(child)
                if text < MIN_SIBLING_TEXT or links > MAX_LINK_SHARE * text:
                    continue
                blocks = [b for b in fallback_blocks(child) if norm(b) not in flat]
                prose = [len(b) for b in blocks if len(b) >= PROSE_BLOCK]
                if len(prose) < 2 or sum(prose) < 0.5 * sum(len(b) for b in blocks):
                    continue  # already kept, or cards, teasers, a newsletter box
                if sum(prose) < COMPARABLE_SHARE * len(flat):
                    continue  # a note or a disclaimer next to a long body, not a part of it
                (after if seen else before).extend(blocks)
            if before or after:
                return before, after
        node = parent
    return [], []


def join_split_body(tree: lxml.html.HtmlElement, result: etree._Element, kept_text: str) -> bool:
    """Add the continuing siblings' blocks to trafilatura's result as paragraphs;
    whether anything was added."""
    before, after = split_body_blocks(tree, result, kept_text)
    for i, block in enumerate(before):
        p = etree.Element("p")
        p.text = block
        result.insert(i, p)
    for block in after:
        etree.SubElement(result, "p").text = block
    return bool(before or after)

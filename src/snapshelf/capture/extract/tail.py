"""Related-article lists at the end of an article: cut from their heading on.

trafilatura keeps, after some articles, the portal's "为您推荐" / "Related stories"
box: a heading, then a run of teaser headlines, sources and times. What marks it is
the pair: a heading from the small vocabulary such boxes use, past the first quarter of
the text, followed by lines that are mostly short (headlines and crumbs, not prose).
A heading followed by prose ("Related work" in a paper, a "Read more" paragraph)
stays, and so does everything before it.

Measured (issue 20, bench/extract_quality.py, 4-gram shingle F1): gne 0.714 -> 0.769
(the 163.com and sina pages), three WCXB pages slightly better, no page worse on WCXB
(982), readability, cx163, newspaper4k or trafilatura-eval (must-have and must-not
snippets unchanged). "Read more" and a bare "Recommended" are not in the vocabulary:
on shops and documentation they head an expander or a settings list.
"""

from __future__ import annotations

import re

from lxml import etree

from snapshelf.capture.extract.text import norm

_HEADING = re.compile(
    r"^(?:为您推荐|为你推荐|推荐阅读|相关阅读|相关新闻|相关文章|相关推荐|延伸阅读|热点新闻|热门推荐|"
    r"热门文章|猜你喜欢|更多精彩|精彩推荐|今日推荐|"
    r"related (?:articles|stories|posts|news|content|reading)|"
    r"recommended (?:for you|stories|reading|articles)|"
    r"you (?:may|might) also (?:like|enjoy)|more (?:stories|from \w+(?: \w+)?|to read|news)|"
    r"read next|popular (?:now|stories|posts)|trending (?:now|stories)|don't miss)"
    r"\s*[:：>»›]*$",
    re.I,
)
#: a line this long or longer reads as prose, shorter as a headline, a source or a time
SHORT_LINE = 40
#: share of the text after the heading in short lines that makes it a list of teasers
SHORT_SHARE = 0.7
#: characters of the article before the heading at least (and a quarter of the text)
MIN_BEFORE = 200
#: lines after the heading needed to judge (a heading alone at the end is cut too)
MIN_LINES = 3

_BLOCKS = ("p", "head", "item", "cell", "quote", "list", "row", "table")


def cut_related_tail(body: etree._Element) -> bool:
    """Remove a trailing related-articles box from trafilatura's ``body``; True if cut."""
    blocks = [el for el in body.iter(*_BLOCKS) if not _has_block_child(el)]
    texts = [norm("".join(el.itertext())) for el in blocks]
    total = sum(len(t) for t in texts)
    seen = 0
    for index, (el, text) in enumerate(zip(blocks, texts, strict=True)):
        seen += len(text)
        if seen < max(MIN_BEFORE, total / 4) or not _HEADING.match(text):
            continue
        after = [t for t in texts[index + 1 :] if t]
        if after and len(after) < MIN_LINES:
            continue
        short = sum(len(t) for t in after if len(t) < SHORT_LINE)
        if after and short < SHORT_SHARE * sum(len(t) for t in after):
            continue  # prose follows: an article (or a paper's "Related work"), kept
        _remove_from(el, body)
        return True
    return False


def _has_block_child(el: etree._Element) -> bool:
    return any(child.tag in _BLOCKS for child in el if isinstance(child.tag, str))


def _remove_from(el: etree._Element, body: etree._Element) -> None:
    """Remove ``el`` and everything after it in document order, up to ``body``."""
    node = el
    while node is not None and node is not body:
        parent = node.getparent()
        if parent is None:
            break
        for sibling in list(node.itersiblings()):
            parent.remove(sibling)
        node = parent
    parent = el.getparent()
    if parent is not None:
        parent.remove(el)  # with its tail: text of the box too

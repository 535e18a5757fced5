"""Choosing among candidate extractions by measured signals, never by site.

trafilatura picks one container; on listings, shops, service pages and some
threads that container is a fragment (a teaser, a sidebar, the first post)
while the page's real text is spread over many blocks. The visible body text
minus boilerplate (:mod:`.fallback`) holds that text, but also the
navigation. The signal that separates the two cases is the size of the
chosen text next to the page's *unlinked* text: the fallback's text with the
text of every link taken out (menus, link lists, rows of links on one line,
"related" headlines), what is left of a page when its navigation is gone.
When trafilatura keeps under ``FRAGMENT_SHARE`` of it, it has kept a fragment.

Link text is removed in the tree, not by matching lines against link texts:
old table layouts (Chinese portals above all) put several links on one line
("新闻 体育 NBA 娱乐 …", a headline and its date), and such a line matches no
single link, so counting lines made the navigation of a short Chinese article
look like page text (cx163 set F1 0.917 -> 0.830 with line matching).

Measured (issue 20, bench/extract_quality.py) on every third WCXB page and the
whole readability, cx163, gne and newspaper4k sets: no set or WCXB page type
worse, WCXB 0.749 -> 0.769 (forum +0.064, listing +0.047); on all 982 WCXB
pages, with product.py, 0.749 -> 0.761. The threshold is a round number, not fitted per type.
"""

from __future__ import annotations

import copy

import lxml.html

from snapshelf.capture.extract.fallback import fallback_blocks
from snapshelf.capture.extract.text import norm

#: trafilatura's text under this share of the page's unlinked block text is a fragment
FRAGMENT_SHARE = 0.3


def unlinked_length(tree: lxml.html.HtmlElement) -> int:
    """Characters of the page's fallback block text once the text of its links is removed.

    Text around a link (its tail, the rest of its paragraph) is kept.
    """
    body = tree.find("body")
    body = copy.deepcopy(body if body is not None else tree)
    for a in list(body.iter("a")):
        if a.getparent() is not None:
            a.drop_tree()  # keeps the tail
    return sum(
        len(line)
        for block in fallback_blocks(body)
        for line in (norm(x) for x in block.split("\n"))
        if line
    )


def is_fragment(kept: int, tree: lxml.html.HtmlElement) -> bool:
    """Is a result of ``kept`` characters a fragment of the page, so the fallback blocks
    should replace it?"""
    return kept < FRAGMENT_SHARE * unlinked_length(tree)

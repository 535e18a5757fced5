"""Repeated cards: the headlines of a listing's cards that trafilatura dropped, put back.

A listing, a shop's category or a blog's front page is a run of sibling
elements of one kind (same tag, same classes without digits), each a card
holding a link and a few short lines: a headline, a teaser, a price, a date.
trafilatura often keeps such a region but drops the links inside it: what is
left of each card is its teaser, its price or its number ("1.", "9.1"), without
the headline or the name that says what it is.

The signals, all measured on the page and the result, never on a site:

- the result *touched* the group: it kept a block of three cards or more and of a
  good share of them (``TOUCHED_SHARE``; ``COLUMN_TOUCHED`` for columns of link
  lists, which menus are made of too). A group the result never touches (a
  related-articles box under an article, a footer's link columns) is not content
  by its judgement;
- the cards are a large part of the result (``RESULT_SHARE``) and what it kept of
  them a real part of it (``KEPT_SHARE``): the result is the listing, not an
  article with a few lines of a box of cards under it;
- what would be put back is a pattern (``MIN_GAINING`` cards or more) and a real
  part of the cards' text (``MISSING_SHARE``): the headlines of short cards, not
  the names over long posts.

What goes back is the card's headline, its longest link text (every link of a
column of link lists), not the badges, dates or calls to action next to it, and
never a block that several cards repeat ("NEW", "Learn more"). Each goes in
front of the card's first kept block, or after its last one, in page order.
Threads and product pages (:func:`.clean.page_kind`) are left alone: their cards
are posts under their authors' names and carousels of other products.

Measured (bench/extract_quality.py, all 982 WCXB pages): listing 0.617 -> 0.666,
collection 0.510 -> 0.525, documentation 0.8813 -> 0.8823, service 0.7398 -> 0.7400,
article, forum and product unchanged; 27 pages better, 4 worse (the worst -0.09:
references that leave out the products' names or a tutorial's link lists). Guard
sets: readability, cx163, newspaper4k, goose3 unchanged; gne 0.7688 -> 0.7674 and
trafilatura-eval leaked 0.1415 -> 0.1418, one page each (a related box trafilatura
kept every other card of, a menu it kept part of, get the rest). Cost: about 2-3 ms
CPU median per page.
"""

from __future__ import annotations

import re
from collections import Counter

import lxml.html
from lxml import etree

from snapshelf.capture.extract.content import BREAK, LINE, render_text
from snapshelf.capture.extract.fallback import _BOILERPLATE, _FALLBACK_BLOCKS
from snapshelf.capture.extract.text import norm

#: a card group has at least this many members holding a link and text
MIN_CARDS = 4
#: and most of its members are such cards
CARD_SHARE = 0.6
#: a card holds a few links (headline, image, author, tags); more make it a list of links
MAX_LINKS = 6
#: the cards' text is at least this share of the result's: the cards are what it is made of
RESULT_SHARE = 0.3
#: what is put back is at least this share of the cards' text
MISSING_SHARE = 0.1
#: what the result kept of the cards is at least this share of it
KEPT_SHARE = 0.1
#: the result touches (keeps a block of) at least this many and this share of the cards
MIN_TOUCHED = 3
TOUCHED_SHARE = 0.3
#: ... and of columns of link lists, which menus are made of too, this share
COLUMN_TOUCHED = 0.4
#: headlines are put back only when this many cards (and this share of them) lack one
MIN_GAINING = 4
GAINING_SHARE = 0.3
#: a kept block shorter than this is matched only when equal, not inside a longer one
_MIN_CONTAINED = 15
#: ... and looked for only this many leaves ahead ("$950" and "Online" repeat on every card)
_SHORT_WINDOW = 8

_DIGIT = re.compile(r"\d")
_WORD = re.compile(r"\w+")
_SKIP_ROLES = {"navigation", "banner", "contentinfo", "complementary", "search"}
_SKIP_TAGS = set(_BOILERPLATE)
_LEAVES = ("p", "head", "item", "cell", "quote", "code", "graphic")
_STRING = etree.XPath("string()")


def _signature(el: etree._Element) -> tuple[str, str]:
    """Tag and classes without digits: cards number themselves ("card-3", "pos-12")."""
    cls = " ".join(sorted(c for c in (el.get("class") or "").split() if not _DIGIT.search(c)))
    return el.tag, cls


def _is_card(el: etree._Element) -> bool:
    """Holds a link and some text."""
    if el.tag == "a":
        return bool(el.get("href")) and bool(_STRING(el).strip())
    return el.find(".//a[@href]") is not None and bool(_STRING(el).strip())


def _hidden(el: etree._Element) -> bool:
    return (
        el.tag in _SKIP_TAGS
        or el.get("role") in _SKIP_ROLES
        or el.get("hidden") is not None
        or el.get("aria-hidden") == "true"
    )


def _skipped(el: etree._Element) -> bool:
    """Inside navigation, a header, a footer, a form or hidden markup."""
    return _hidden(el) or any(_hidden(a) for a in el.iterancestors())


def card_groups(tree: lxml.html.HtmlElement, min_chars: int = 0) -> list[list[etree._Element]]:
    """Groups of sibling cards in page order, each with at least ``min_chars`` characters
    of text; a group inside another group's cards is left out."""
    groups: list[list[etree._Element]] = []
    accepted: set[etree._Element] = set()
    for parent in _link_parents(tree):
        if accepted and (parent in accepted or any(a in accepted for a in parent.iterancestors())):
            continue
        if min_chars and len(_STRING(parent)) < min_chars:
            continue  # all its children together are too small
        by_sig: dict[tuple[str, str], list[etree._Element]] = {}
        for child in parent:
            if isinstance(child.tag, str):
                by_sig.setdefault(_signature(child), []).append(child)
        for members in by_sig.values():
            if len(members) < MIN_CARDS:
                continue
            if min_chars and sum(len(_STRING(m)) for m in members) < min_chars:
                continue
            cards = sum(1 for m in members if _is_card(m))
            if cards < MIN_CARDS or cards < CARD_SHARE * len(members):
                continue
            if _skipped(parent):
                break
            groups.append(members)
            accepted.update(members)
    return groups


def _link_parents(tree: lxml.html.HtmlElement) -> list[etree._Element]:
    """Elements under ``<body>`` with ``MIN_CARDS`` children or more holding a link, outer
    ones first. Found by climbing from each link once (cheaper than asking every element
    for its links)."""
    body = tree.find("body")
    if body is None:
        return []
    seen: set[etree._Element] = set()
    counts: dict[etree._Element, int] = {}
    order: dict[etree._Element, tuple[int, int]] = {}
    for index, link in enumerate(body.iter("a")):
        child = link
        for step, parent in enumerate(link.iterancestors()):
            if parent is body or child in seen:
                break
            seen.add(child)
            if parent not in counts:
                counts[parent] = 0
                order[parent] = (index, -step)
            counts[parent] += 1
            child = parent
    found = [el for el, n in counts.items() if n >= MIN_CARDS]
    return sorted(found, key=order.__getitem__)


def card_blocks(card: etree._Element) -> list[str]:
    """The card's text, one entry per block, as the fallback reads blocks (without its
    copy of the tree: this runs on every card of a page)."""
    parts: list[str] = []

    def walk(node: etree._Element) -> None:
        tag = node.tag if isinstance(node.tag, str) else ""
        if tag and not _hidden(node):
            block = tag in _FALLBACK_BLOCKS
            if block:
                parts.append(BREAK)
            if tag == "br":
                parts.append(LINE)
            if node.text:
                parts.append(node.text)
            for child in node:
                walk(child)
                if child.tail:
                    parts.append(child.tail)
            if block:
                parts.append(BREAK)

    walk(card)
    blocks = []
    for raw in "".join(parts).split(BREAK):
        block = " ".join(x for x in (norm(line) for line in raw.split(LINE)) if x)
        if block:
            blocks.append(block)
    return blocks


def _headlines(card: etree._Element) -> list[str]:
    """The card's longest link text: its headline or name (or, when the whole card is one
    link, all of it). This is what trafilatura drops and what is put back; the shorter
    links and the text beside them (dates, badges, "Learn more", "80 reviews") stay out.
    A "card" with many links is a column of a link list (a category page's letters):
    each of its links is a headline."""
    texts = [t for t in (norm(_STRING(a)) for a in card.iter("a")) if len(t) >= 3]
    if len(texts) > MAX_LINKS:
        return texts
    return [max(texts, key=len)] if texts else []


def _is_headline(block: str, head: str) -> bool:
    """The block is (part of) the headline, or mostly the headline ("Title (site.com)");
    not a row of tag links that happens to hold it."""
    if not head:
        return False
    return block in head or (head in block and 2 * len(head) >= len(block))


def _leaves(result: etree._Element) -> list[tuple[etree._Element, str]]:
    out = []
    for el in result.iter(*_LEAVES):
        if any(isinstance(c.tag, str) and c.tag in _LEAVES for c in el):
            continue
        text = _squash("".join(el.itertext()))
        if text:
            out.append((el, text))
    return out


def _new_block(anchor: etree._Element, text: str) -> etree._Element:
    el = etree.Element(anchor.tag if anchor.tag in ("item", "cell") else "p")
    el.text = text
    return el


def fill_cards(tree: lxml.html.HtmlElement, result: etree._Element) -> bool:
    """Put the dropped blocks of partly kept card groups into trafilatura's ``result``;
    whether anything was added."""
    # a cheap first cut: raw text (with white space) against 0.8 of the result's
    # characters outside white space; the exact test below counts letters and digits
    rough = 0.8 * RESULT_SHARE * sum(len(w) for w in _STRING(result).split())
    groups = card_groups(tree, int(rough))
    leaves = _leaves(result) if groups else []
    if not leaves:
        return False
    kept = _Kept(result, leaves)
    min_chars = RESULT_SHARE * len(kept.flat)
    added = False
    for members in groups:
        # the blocks hold some of the cards' text nodes, so this bounds ``total`` below
        # (squashed lengths add up over text pieces); most boxes stop here, unwalked
        if sum(len(_squash(_STRING(m))) for m in members) < min_chars:
            continue
        cards = [card_blocks(m) for m in members]
        total = sum(len(_squash(b)) for blocks in cards for b in blocks)
        if total < min_chars:
            continue  # a box beside the result, not what it is made of
        heads = [_headlines(m) for m in members]
        columns = sum(len(h) > 1 for h in heads) * 2 > len(heads)
        touched = sum(any(kept(b) for b in blocks) for blocks in cards)
        if touched < max(MIN_TOUCHED, (COLUMN_TOUCHED if columns else TOUCHED_SHARE) * len(cards)):
            continue
        if sum(len(_squash(b)) for blocks in cards for b in blocks if kept(b)) < KEPT_SHARE * len(
            kept.flat
        ):
            continue  # a few lines of a box under an article, not what the result is made of
        seen = Counter(b for blocks in cards for b in set(blocks))
        wanted = [
            [
                b
                for b in blocks
                if kept(b) or (seen[b] == 1 and any(_is_headline(b, h) for h in head))
            ]
            for blocks, head in zip(cards, heads, strict=True)
        ]
        gaining = sum(1 for blocks in wanted if any(not kept(b) for b in blocks))
        if gaining < max(MIN_GAINING, GAINING_SHARE * len(cards)):
            continue  # a link here and there: trafilatura's choice, not a pattern
        missing = sum(len(_squash(b)) for blocks in wanted for b in blocks if not kept(b))
        if missing < MISSING_SHARE * total:
            continue  # the names above long posts, not the headlines of short cards
        added |= _insert(wanted, leaves, kept)
        leaves = _leaves(result)
        kept = _Kept(result, leaves)
    return added


def _squash(text: str) -> str:
    """Letters and digits only, case-folded: trafilatura re-spaces text ("( cnn.com )")."""
    return "".join(_WORD.findall(text.casefold()))


class _Kept:
    """Is a block in the result? A long one anywhere in its text, a short one ("$76",
    "Web design") only as a block of its own."""

    def __init__(self, result: etree._Element, leaves: list[tuple[etree._Element, str]]):
        self.flat = _squash(render_text(result))
        self.short = {text for _, text in leaves if len(text) < _MIN_CONTAINED}

    def __call__(self, block: str) -> bool:
        key = _squash(block)
        return key in self.flat if len(key) >= _MIN_CONTAINED else key in self.short


def _insert(cards: list[list[str]], leaves: list[tuple[etree._Element, str]], kept: _Kept) -> bool:
    """Insert each card's blocks missing from the result (``kept``) next to the card's
    kept blocks, in page order: the blocks before a card's first kept block go in front
    of it, the blocks after it behind the card's previous block; a card dropped whole
    goes in front of the next card that was kept (or after the last one)."""
    pos = 0  # leaves are matched in page order
    last: etree._Element | None = None  # the result's block the next one goes after
    pending: list[str] = []  # missing blocks waiting for the next kept block
    added = False
    for blocks in cards:
        keys = [_squash(b) for b in blocks]
        # a card's distinctive kept blocks place it; "$76" or "6,223" also occur elsewhere
        distinct = any(
            len(k) >= _MIN_CONTAINED and kept(b) for b, k in zip(blocks, keys, strict=True)
        )
        placed = False  # this card's first kept block was found
        for block, key in zip(blocks, keys, strict=True):
            if not key:
                continue
            if not kept(block):
                if placed and last is not None:
                    last = _after(last, block)
                    added = True
                else:
                    pending.append(block)
                continue
            found = _find(key, leaves, pos)
            if found is None:
                continue
            if distinct and len(key) < _MIN_CONTAINED and not placed:
                continue  # a short block places nothing, but may follow the card's own
            pos = found
            last = leaves[found][0]
            for missing in pending:
                last.addprevious(_new_block(last, missing))
                added = True
            pending = []
            placed = True
    if pending and last is not None:
        for block in pending:
            last = _after(last, block)
        added = True
    return added


def _after(anchor: etree._Element, block: str) -> etree._Element:
    el = _new_block(anchor, block)
    anchor.addnext(el)
    return el


def _find(block: str, leaves: list[tuple[etree._Element, str]], start: int) -> int | None:
    """Index of the first leaf from ``start`` that is ``block`` or (long blocks) holds it."""
    short = len(block) < _MIN_CONTAINED
    end = min(len(leaves), start + _SHORT_WINDOW) if short else len(leaves)
    for i in range(start, end):
        text = leaves[i][1]
        if text == block or (len(block) >= _MIN_CONTAINED and block in text):
            return i
    return None

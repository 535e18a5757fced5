"""Before the main-content pass: overlays out, and what kind of page this is.

Cookie banners, consent managers, newsletter pop-ups and other modal dialogs
sit in the markup of every page of a site; when the real content is hard to
find (forums, shops) a content extractor happily returns them instead. They
are recognised by their role (``<dialog>``, ``role=dialog``, ``aria-modal``)
or by the names sites give them, never by their wording, and removed unless
they hold the page's headline or most of its text.

The page kind decides how the main content is read (see :mod:`.article`):
threads keep every post, so they are read with trafilatura's comment handling
on. It comes from what the page declares (schema.org types, Open Graph type,
the generator) and from its structure (several sibling posts).
"""

from __future__ import annotations

import functools
import re

import lxml.html
from lxml import etree

from snapshelf.capture.extract.remembered import Remembered

_OVERLAY_NAME = re.compile(
    r"(?:^|[\s_-])(?:cookies?|consent|gdpr|onetrust|cookiebot|didomi|usercentrics|"
    r"newsletter|modal|popup|pop-up|popover|lightbox|interstitial|"
    r"cookie(?:notice|banner|bar|law)|cc-(?:window|banner)|"
    r"app-?banner|smart-?banner|pwa-?install)(?:$|[\s_-])",
    re.I,
)
#: the words of _OVERLAY_NAME in a plain pattern (see :func:`has_word`)
_OVERLAY_WORDS = re.compile(
    "cookie|consent|gdpr|onetrust|didomi|usercentrics|newsletter|modal|pop|lightbox|"
    "interstitial|cc-|banner|pwa"
)
_DIALOG_ROLES = ("dialog", "alertdialog")
_NEVER_OVERLAYS = frozenset(("body", "html", "main", "article", "p", "a", "span", "li", "img"))
_KEEP_INSIDE = ("h1", "article", "main")


#: letters re.IGNORECASE takes for an ASCII letter that str.lower() leaves alone
_FOLD = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s", "\u212a": "k"})


def has_word(words: re.Pattern[str], text: str) -> bool:
    """Whether ``text``, with its letters folded as re.IGNORECASE folds them, holds one
    of ``words`` (lower-case, no flags).

    A necessary condition for the case-insensitive, boundary-checked class-name patterns
    here, several times cheaper: most class names fail it and skip them (remove_overlays
    tries a thousand names on a median page).
    """
    if not text.isascii():
        text = text.translate(_FOLD)
    return words.search(text.lower()) is not None


_XP_TEXT_LEN = etree.XPath("string-length(.)")


def _text_len(el: etree._Element) -> int:
    """``len("".join(el.itertext()))``, counted in C (fifteen times faster on a body)."""
    return int(_XP_TEXT_LEN(el))


class Removed(list):
    """The overlays taken out of a tree, in a form that can put them back."""

    def snippets(self) -> list[str]:
        """The start of each removed overlay's text (to recognise it in a result)."""
        out = []
        for _, _, el in self:
            text = " ".join("".join(el.itertext()).split())
            if len(text) >= 20:
                out.append(text[:60])
        return out

    def restore(self) -> None:
        for parent, index, el in reversed(self):
            parent.insert(index, el)
        self.clear()


def remove_overlays(tree: lxml.html.HtmlElement) -> Removed:
    """Take out dialogs, consent banners and pop-ups; return them (see :class:`Removed`).

    An element is kept when it contains the headline, an ``<article>`` or
    ``<main>``, or more than a third of the body's text: a wrapper whose class
    says ``modal-open`` is the page, not a pop-up.
    """
    removed = Removed()
    body = tree.find("body")
    if body is None:
        return removed
    dialogs, named = [], []
    for el in body.iterdescendants(etree.Element):  # one pass for both kinds
        get = el.get
        tag = el.tag
        if tag == "dialog" or get("role") in _DIALOG_ROLES or get("aria-modal") == "true":
            dialogs.append(el)
        cls, id_ = get("class"), get("id")
        if (cls is None and id_ is None) or tag in _NEVER_OVERLAYS:
            continue
        if _OVERLAY_NAMED[f"{cls or ''} {id_ or ''}"]:
            named.append(el)
    candidates = dialogs + named
    body_len = 0
    gone: set[etree._Element] = set()
    for el in candidates:
        parent = el.getparent()
        if parent is None or not isinstance(el.tag, str):
            continue
        if gone and any(a in gone for a in el.iterancestors()):
            continue  # already out with an ancestor
        if any(el.find(f".//{tag}") is not None for tag in _KEEP_INSIDE):
            continue
        if not body_len:
            body_len = max(1, _text_len(body))
        if _text_len(el) * 3 > body_len:
            continue
        index = parent.index(el)
        _keep_tail(el, parent, index)
        parent.remove(el)
        removed.append((parent, index, el))
        gone.add(el)
    return removed


def _keep_tail(el: etree._Element, parent: etree._Element, index: int) -> None:
    """Move an element's tail text to where it would be without the element."""
    if not el.tail:
        return
    if index > 0:
        prev = parent[index - 1]
        prev.tail = (prev.tail or "") + el.tail
    else:
        parent.text = (parent.text or "") + el.tail
    el.tail = None


_FORUM_TYPES = {"discussionforumposting", "qapage", "comment", "question", "answer"}
_PRODUCT_TYPES = {"product", "productgroup", "offer", "aggregateoffer"}
_FORUM_GENERATORS = re.compile(
    r"discourse|vbulletin|phpbb|xenforo|invision|mybb|discuz|smf|nodebb|flarum|vanilla|"
    r"simple machines",
    re.I,
)
_LD_TYPE = re.compile(r'"@type"\s*:\s*(?:\[\s*)?"(?:https?://schema\.org/)?([A-Za-z]+)"')
# forum software names its posts "post"/"message"; "comment" and "reply" are
# also the comment section under a news article, which is not content
_POST_CLASS = re.compile(
    r"(?:^|[\s_-])(?:post|message|topic-body|postbody|post-body|messageContent|cPost|"
    r"crawler-post)(?:$|[\s_-])",
    re.I,
)
_REPLY_CLASS = re.compile(r"(?:^|[\s_-])(?:comment|reply|answer)(?:$|[\s_-])", re.I)
_XP_CLASSED = etree.XPath("//body/descendant::*[@class]")


@functools.cache
def _post_like(names: re.Pattern[str]) -> Remembered:
    """Whether a class attribute names a post (or one of ``names``)."""
    return Remembered(lambda cls: _POST_CLASS.search(cls) or names.search(cls))


def _overlay_named(marker: str) -> bool:
    return has_word(_OVERLAY_WORDS, marker) and _OVERLAY_NAME.search(marker) is not None


_OVERLAY_NAMED = Remembered(_overlay_named)


# an XPath runs in C; iterfind(".//*[@itemtype]") tests every element in Python
_XP_ITEMTYPE = etree.XPath("descendant::*[@itemtype]")


def declared_types(tree: lxml.html.HtmlElement) -> set[str]:
    """schema.org types the page declares (JSON-LD and microdata), lower-case."""
    found: set[str] = set()
    for el in tree.iter("script"):
        if "ld+json" in (el.get("type") or "").lower() and el.text:
            found.update(t.lower() for t in _LD_TYPE.findall(el.text))
    for el in _XP_ITEMTYPE(tree):
        for value in el.get("itemtype", "").split():
            found.add(value.rstrip("/").rsplit("/", 1)[-1].lower())
    return found


def page_kind(tree: lxml.html.HtmlElement, tags: dict[str, str], types: set[str]) -> str:
    """ "forum", "product" or "" (an article or anything else)."""
    og_type = tags.get("og:type", "").lower()
    if types & {"discussionforumposting", "qapage"}:
        return "forum"
    if _FORUM_GENERATORS.search(tags.get("generator", "")):
        return "forum"
    if "product" in types or og_type.startswith("product"):
        return "product"
    if types & _FORUM_TYPES and _repeated_posts(tree, _REPLY_CLASS) >= 3:
        return "forum"
    if og_type != "article" and _repeated_posts(tree, _POST_CLASS) >= 4:
        return "forum"
    return ""


def _repeated_posts(tree: lxml.html.HtmlElement, names: re.Pattern[str]) -> int:
    """How many children of one parent share a post-like class and each hold some text.

    The groups are keyed by the parent element itself, which the dict holds, so lxml
    keeps one proxy per parent. (They were keyed by ``id()`` of proxies that lxml
    created and freed as the loop went, so which parents shared a key depended on
    memory reuse.)
    """
    post_like = _post_like(names)
    groups: dict[tuple[etree._Element, str], int] = {}
    for seen, el in enumerate(_XP_CLASSED(tree)):
        if seen > 20000:
            break
        cls = el.get("class", "")
        if not post_like[cls]:
            continue
        parent = el.getparent()
        if parent is None or len("".join(el.itertext())) < 40:
            continue
        key = (parent, " ".join(sorted(cls.split())))
        groups[key] = groups.get(key, 0) + 1
    return max(groups.values(), default=0)

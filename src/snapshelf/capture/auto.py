"""Auto mode: decide from a static capture whether the page needs a browser.

Auto captures statically first (cheap, no browser) and switches to the browser only
when the static result looks like a script-rendered shell: almost no text while
the page ships scripts, an empty SPA root element (React, Vue, Next, Nuxt,
Angular, Svelte, Gatsby), a <noscript> asking for JavaScript, or a "Loading…" body.
Normal articles keep their static capture (checked against the corpora in tests).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import lxml.html

from snapshelf.capture.static import CaptureResult

#: Extracted words at or above this never switch: the static capture has the content.
ENOUGH_WORDS = 150
#: Below this many extracted words a page with scripts counts as "almost empty".
FEW_WORDS = 50
#: A body with fewer visible words than this (scripts aside) is a shell.
SHELL_BODY_WORDS = 80

_SPA_IDS = {"root", "app", "__next", "__nuxt", "___gatsby", "svelte", "app-root", "main-app"}
_SPA_ATTRS = ("data-reactroot", "ng-app", "ng-version", "data-v-app", "data-server-rendered")
_SPA_TAGS = {"app-root"}  # Angular's default root component
_TOKENS = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\uac00-\ud7af]|[^\W_]+")
_LOADING = re.compile(
    r"^\W*(loading|please wait|one moment|chargement|laden|cargando|加载中|載入中)", re.I
)
_NEEDS_JS = re.compile(r"(enable|activate|turn on|requires?|need)\W+(\w+\W+){0,3}javascript", re.I)
_INVISIBLE = ("script", "style", "noscript", "template", "svg")


@dataclass(frozen=True)
class Decision:
    """Whether to switch to the browser, and why (recorded for the user)."""

    use_browser: bool
    reason: str

    def __bool__(self) -> bool:
        return self.use_browser


def count_words(text: str) -> int:
    """Words, counting each CJK character as one (no spaces to split on)."""
    return len(_TOKENS.findall(text))


def decide(result: CaptureResult) -> Decision:
    """The auto-mode decision for a static CaptureResult."""
    doc = result.document
    if doc.kind != "html" or not doc.text:
        return Decision(False, f"not an HTML page ({doc.kind})")
    return decide_html(doc.text, doc.extracted.word_count)


def decide_html(html: str, word_count: int) -> Decision:
    """Pure decision from the page's HTML and the word count extraction found."""
    if word_count >= ENOUGH_WORDS:
        return Decision(False, f"static capture found {word_count} words")
    try:
        tree = lxml.html.document_fromstring(html)
    except (ValueError, lxml.etree.ParserError):
        return Decision(False, "unparseable HTML")
    scripts = _script_count(tree)
    if scripts == 0:
        return Decision(False, "the page ships no scripts")
    body_words = _visible_words(tree)
    root = _empty_spa_root(tree)
    if root and word_count < ENOUGH_WORDS and body_words < SHELL_BODY_WORDS * 2:
        return Decision(True, f"empty single-page-app root ({root}) with {word_count} words")
    if word_count >= FEW_WORDS:
        return Decision(False, f"static capture found {word_count} words")
    if body_words < SHELL_BODY_WORDS:
        return Decision(
            True, f"only {body_words} visible words while the page ships {scripts} scripts"
        )
    if _asks_for_javascript(tree):
        return Decision(True, "the page says it needs JavaScript")
    if _LOADING.match(_visible_text(tree)):
        return Decision(True, "the page body is a loading placeholder")
    return Decision(False, f"{body_words} visible words; looks static")


def _script_count(tree: lxml.html.HtmlElement) -> int:
    count = 0
    for script in tree.iter("script"):
        kind = (script.get("type") or "").strip().lower()
        if kind and kind not in ("module", "text/javascript", "application/javascript"):
            continue  # JSON-LD, templates, ...
        if script.get("src") or (script.text or "").strip():
            count += 1
    return count


def _visible_text(tree: lxml.html.HtmlElement) -> str:
    body = tree.find("body")
    if body is None:
        return ""
    parts: list[str] = []
    for el in body.iter():
        if not isinstance(el.tag, str):
            if el.tail:
                parts.append(el.tail)
            continue
        skip = el.tag in _INVISIBLE or any(a.tag in _INVISIBLE for a in el.iterancestors())
        if not skip and el.text:
            parts.append(el.text)
        if el.tail and not any(a.tag in _INVISIBLE for a in el.iterancestors()):
            parts.append(el.tail)
    return " ".join(" ".join(parts).split())


def _visible_words(tree: lxml.html.HtmlElement) -> int:
    return count_words(_visible_text(tree))


def _empty_spa_root(tree: lxml.html.HtmlElement) -> str:
    """Description of an SPA mount point holding (almost) no text, else ""."""
    for el in tree.iter():
        if not isinstance(el.tag, str):
            continue
        name = ""
        if el.get("id") in _SPA_IDS:
            name = f"#{el.get('id')}"
        elif el.tag in _SPA_TAGS:
            name = el.tag
        else:
            name = next((f"[{a}]" for a in _SPA_ATTRS if a in el.attrib), "")
        if name and count_words(_text_without_scripts(el)) < 20:
            return name
    return ""


def _text_without_scripts(el: lxml.html.HtmlElement) -> str:
    return " ".join(
        t
        for node in el.iter()
        if isinstance(node.tag, str) and node.tag not in _INVISIBLE
        for t in (node.text or "", node.tail or "")
    )


def _asks_for_javascript(tree: lxml.html.HtmlElement) -> bool:
    return any(_NEEDS_JS.search(ns.text_content() or "") for ns in tree.iter("noscript"))

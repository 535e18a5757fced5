"""Auto mode: decide from a static capture whether the page needs a browser.

Auto captures statically first (cheap, no browser) and switches to the browser only
when the static result looks like a script-rendered shell: almost no text while
the page ships scripts, an empty SPA root element (React, Vue, Next, Nuxt,
Angular, Svelte, Gatsby), a <noscript> asking for JavaScript, or a "Loading…" body —
or when the page's own load-time scripts finish what the reader sees although the text
is all there (issue 26.4): they hide or show parts of the page, replace its placeholder
text, turn markup into a carousel, or set classes its stylesheets style
(``html/scripted.py`` reads the inline scripts; nothing runs). Normal articles keep
their static capture (checked against the corpora in tests).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lxml import etree

from snapshelf.capture.html.scripted import ScriptEffect, script_effects, widget_markers
from snapshelf.errors import TooComplex

if TYPE_CHECKING:
    from snapshelf.capture.isolate import Session
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
#: Weight of load-time script changes at which the static copy is judged unfinished:
#: one change alone (a highlighted menu item) is not worth a browser run; two elements
#: hidden or shown, a placeholder's text replaced, or a widget built from markup are.
FINISHED_WEIGHT = 2
#: Content actions that replace what the element shows (rather than add to it).
_REPLACES = re.compile(r"(?:innerHTML|outerHTML|textContent|innerText) =|text$|html$|replaceWith$")
#: Characters of the page searched for "<script" before parsing it for the script checks.
MAX_SCAN = 5_000_000
#: Most stylesheet characters searched for the class names scripts set.
MAX_CSS = 2_000_000
#: "<script" in any ASCII case (re.ASCII: no Unicode case folding, as str.lower() has none
#: that makes these letters).
_SCRIPT_TAG = re.compile("<script", re.IGNORECASE | re.ASCII)
_STRING_VALUE = etree.XPath("string()")


@dataclass(frozen=True)
class Decision:
    """Whether to switch to the browser, and why (recorded for the user)."""

    use_browser: bool
    reason: str
    #: what sent it to the browser: "shell" (almost no text), "script" (the text is there,
    #: load-time scripts finish the page), "" when it stays static
    signal: str = ""

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
    return decide_html(doc.text, doc.extracted.word_count, stylesheets(result))


def decide_isolated(session: Session, result: CaptureResult) -> Decision:
    """:func:`decide` in the capture's helper process: the page's markup and scripts are
    hostile input, read within the capture's CPU and memory limits like the rest of its
    parsing. A page too complex to judge keeps its static copy (already whole)."""
    doc = result.document
    if doc.kind != "html" or not doc.text:
        return Decision(False, f"not an HTML page ({doc.kind})")
    try:
        return session.call_plain(
            decide_html, doc.text, doc.extracted.word_count, stylesheets(result)
        )
    except TooComplex as exc:
        return Decision(False, f"too complex to judge ({exc})")


def stylesheets(result: CaptureResult) -> str:
    """The text of the stylesheets the static capture fetched (to tell styled classes)."""
    parts: list[str] = []
    size = 0
    for resource in result.resources:
        if resource.kind != "stylesheet" or not resource.key:
            continue
        text = resource.original[: MAX_CSS - size].decode("utf-8", "replace")
        parts.append(text)
        size += len(text)
        if size >= MAX_CSS:
            break
    return "\n".join(parts)


def decide_html(html: str, word_count: int, css: str = "") -> Decision:
    """Pure decision from the page's HTML, the word count extraction found and the text
    of its stylesheets (inline ``<style>`` is read from the HTML)."""
    if word_count >= ENOUGH_WORDS and not _SCRIPT_TAG.search(html, 0, MAX_SCAN):
        return Decision(False, f"static capture found {word_count} words")
    try:
        # plain lxml elements (a parser per call: parsers are not shared across threads):
        # lxml.html's element classes call a Python lookup for every element an
        # iteration touches, a third of these checks' time, and nothing here needs them
        tree = etree.fromstring(html, etree.HTMLParser())
    except (ValueError, etree.ParserError):
        return Decision(False, "unparseable HTML")
    if tree is None:  # an empty document
        return Decision(False, "unparseable HTML")
    scripts = _script_count(tree)
    if scripts == 0:
        return Decision(False, "the page ships no scripts")
    if word_count < ENOUGH_WORDS:
        shell = _shell(tree, word_count, scripts)
        if shell:
            return Decision(True, shell, "shell")
    finished = finished_by_script(tree, css)
    if finished:
        return Decision(True, finished, "script")
    if word_count >= FEW_WORDS:
        return Decision(False, f"static capture found {word_count} words")
    return Decision(False, f"{_visible_words(tree)} visible words; looks static")


def _shell(tree: etree._Element, word_count: int, scripts: int) -> str:
    """Why the page is a script-rendered shell with (almost) no text, or ""."""
    body_words = _visible_words(tree)
    root = _empty_spa_root(tree)
    if root and body_words < SHELL_BODY_WORDS * 2:
        return f"empty single-page-app root ({root}) with {word_count} words"
    if word_count >= FEW_WORDS:
        return ""
    if body_words < SHELL_BODY_WORDS:
        return f"only {body_words} visible words while the page ships {scripts} scripts"
    if _asks_for_javascript(tree):
        return "the page says it needs JavaScript"
    if _LOADING.match(_visible_text(tree)):
        return "the page body is a loading placeholder"
    return ""


def finished_by_script(tree: etree._Element, css: str = "") -> str:
    """Why the page's load-time scripts change what a reader sees enough to need the
    browser (see FINISHED_WEIGHT), or ""."""
    widgets = widget_markers(tree)
    if widgets:
        return f"a script-built widget ({', '.join(widgets)})"
    effects = script_effects(tree)
    if not effects:
        return ""
    css = css + "\n".join(style.text or "" for style in tree.iter("style"))
    styled = _styled_classes(css, effects)
    hidden = _css_hidden(css) if any(e.direction == "show" for e in effects) else set()
    # each element counts once, by its biggest change; class changes one point in all
    changed: dict[str, tuple[int, str]] = {}
    class_counted = False
    for effect in effects:
        points = _weight(effect, styled, hidden)
        if not points or (effect.kind == "class" and class_counted):
            continue
        class_counted = class_counted or effect.kind == "class"
        if points > changed.get(effect.target, (0, ""))[0]:
            changed[effect.target] = (points, f"{effect.action} {effect.target}")
    weight = sum(points for points, _ in changed.values())
    reasons = [reason for _, reason in changed.values()]
    if weight < FINISHED_WEIGHT:
        return ""
    shown = ", ".join(reasons[:3]) + (" …" if len(reasons) > 3 else "")
    return f"load-time scripts change the page ({shown})"


def _weight(effect: ScriptEffect, styled: set[str], css_hidden: set[str]) -> int:
    """How much one change alters what a reader sees (0: nothing worth a browser)."""
    if effect.kind == "widget":
        return FINISHED_WEIGHT
    if effect.kind == "visibility":
        if effect.direction == "hide":
            return int(effect.had_content and not effect.hidden_in_markup)
        if effect.direction == "show":  # only a change when the static copy hides it
            names = set(re.findall(r"[#.][\w-]+", effect.target.split(",")[0].split()[-1]))
            return int(effect.hidden_in_markup or bool(names & css_hidden))
        return int(effect.had_content)
    if effect.kind == "class":
        return 1 if any(c in styled for c in effect.classes) else 0
    if effect.kind == "content" and effect.had_content:
        if count_words(effect.written):
            return FINISHED_WEIGHT  # placeholder text replaced: the static copy says otherwise
        if _REPLACES.match(effect.action):
            return 1  # replaced by what the script computes or fetches
    return 0  # nodes added beside (ads, embeds, injected scripts): not judged


def _styled_classes(css: str, effects: list[ScriptEffect]) -> set[str]:
    """The class names scripts set that a stylesheet of the page selects."""
    names = {c for e in effects for c in e.classes}
    return {n for n in names if re.search(rf"\.{re.escape(n)}(?![\w-])", css)}


_RULE = re.compile(r"([^{}]{1,2000})\{([^{}]{0,5000})\}")
_NONE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)


def _css_hidden(css: str) -> set[str]:
    """``#id`` and ``.class`` names that end a selector of a rule hiding its element."""
    names: set[str] = set()
    for selectors, body in _RULE.findall(css):
        if not _NONE.search(body):
            continue
        for selector in selectors.split(","):
            parts = selector.split()
            if parts:
                last = re.sub(r"::?[\w-]+(\([^)]*\))?|\[[^\]]*\]", "", parts[-1])
                names.update(re.findall(r"[#.][\w-]+", last))
    return names


def _script_count(tree: etree._Element) -> int:
    count = 0
    for script in tree.iter("script"):
        kind = (script.get("type") or "").strip().lower()
        if kind and kind not in ("module", "text/javascript", "application/javascript"):
            continue  # JSON-LD, templates, ...
        if script.get("src") or (script.text or "").strip():
            count += 1
    return count


def _visible_text(tree: etree._Element) -> str:
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


def _visible_words(tree: etree._Element) -> int:
    return count_words(_visible_text(tree))


def _empty_spa_root(tree: etree._Element) -> str:
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


def _text_without_scripts(el: etree._Element) -> str:
    return " ".join(
        t
        for node in el.iter()
        if isinstance(node.tag, str) and node.tag not in _INVISIBLE
        for t in (node.text or "", node.tail or "")
    )


def _asks_for_javascript(tree: etree._Element) -> bool:
    return any(_NEEDS_JS.search(_STRING_VALUE(ns) or "") for ns in tree.iter("noscript"))

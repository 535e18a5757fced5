"""What a page's own load-time scripts do to its markup, read without running them.

A static capture keeps the markup as served; a reader's browser shows it after the
page's scripts ran. When those scripts finish the page at load (hide navigation
branches, fill a status line, turn a list of slides into a carousel), the static copy
looks different from the live page although every word is there, so word counts cannot
tell. This module reads the inline scripts for statements that reach an element that
exists in this document (by id, class or selector, directly or through a variable) and
change its content, its visibility or its classes, outside interaction handlers (a
click handler changes nothing at load). It also finds widget markup (carousels and
sliders whose stylesheet keeps the slides stacked or hidden until their script
initialises them) together with that widget's script. General signals only: nothing
here knows a site.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from lxml import etree

__all__ = ["ScriptEffect", "script_effects", "select", "widget_markers"]

#: Characters of inline script read at most (the first scripts, whole).
MAX_CODE = 200_000
#: Named functions checked for a caller at most (each check scans the code once).
MAX_FUNCTIONS = 300

#: What a statement does to its target, by what it changes: methods called on it (``(``
#: follows) and properties set on it (``=`` follows).
_CALL = {
    "content": r"html|text|append|prepend|after|before|replaceWith|wrap|wrapInner|empty|remove|"
    r"load|insertAdjacentHTML|insertAdjacentElement|appendChild|insertBefore|replaceChildren|"
    r"replaceChild|removeChild",
    "visibility": r"hide|show|toggle|slideUp|slideDown|slideToggle|fadeIn|fadeOut|fadeToggle|"
    r"css|animate|removeAttribute(?=\(\s*['\"](?:hidden|style))",
    "class": r"addClass|removeClass|toggleClass|classList\.(?:add|remove|toggle|replace)",
    # jQuery plugins and widgets that rebuild their element's layout when initialised
    "widget": r"slick|owlCarousel|bxSlider|flexslider|nivoSlider|lightSlider|carousel|cycle|"
    r"slides|slider|royalSlider|unslider|responsiveSlides|tabs|accordion|masonry|isotope|"
    r"packery|justifiedGallery|select2|chosen",
}
_SET = {
    "content": r"innerHTML|outerHTML|textContent|innerText",
    "visibility": r"style\.(?:display|visibility)|hidden",
    "class": r"className",
}
_METHOD = re.compile(
    r"\.\s*(?:"
    + "|".join(
        f"(?P<{kind}>(?:{_CALL[kind]})(?![\\w$])(?=\\s*\\()"
        + (f"|(?:{_SET[kind]})\\s*\\+?=(?!=)" if kind in _SET else "")
        + ")"
        for kind in _CALL
    )
    + r")(?P<args>[^;]*)"
)
#: Vanilla widgets constructed on a selector: ``new Swiper('.gallery', …)``.
_NEW_WIDGET = re.compile(
    r"\bnew\s+(?:Swiper|Flickity|Glide|Splide|Siema|Masonry|Isotope|Packery|Choices|"
    r"Carousel|Slider)\s*\(\s*(['\"])(?P<sel>[^'\"]+)\1"
)
#: Expressions that name elements of the document.
_SELECTOR_EXPR = re.compile(
    r"(?:(?<![\w$.])(?:\$|jQuery)|\bdocument\.querySelector(?:All)?|"
    r"\bdocument\.getElementById|\bdocument\.getElementsByClassName)"
    r"\s*\(\s*(['\"])(?P<arg>[^'\"]{1,200})\1\s*\)"
)
#: Text every alternative of _SELECTOR_EXPR contains (keep the two together): the
#: expression has no literal start the regex engine could scan for, so most statements
#: are ruled out by these substring tests before it runs.
_SELECTOR_MARKS = ("$", "jQuery", "document.")
_FOR_OF = re.compile(r"\bfor\s*\(\s*(?:var|let|const)\s+(?P<name>[A-Za-z_$][\w$]*)\s+of\s+")
_EACH = re.compile(  # forEach((el, i) => …) and jQuery's each(function (i, el) {…})
    r"\.\s*(?:forEach\s*\(\s*(?:function\s*\(\s*|\(?\s*)(?P<a>[A-Za-z_$][\w$]*)"
    r"|each\s*\(\s*function\s*\(\s*[\w$]+\s*,\s*(?P<b>[A-Za-z_$][\w$]*))"
)
#: A variable used as an element: ``name.`` or ``name[`` or ``$(name)``.
_ALIAS_USE = re.compile(
    r"(?<![\w$.])(?P<a>[A-Za-z_$][\w$]*)\s*(?=[.\[])|(?:\$|jQuery)\(\s*(?P<b>[A-Za-z_$][\w$]*)\s*\)"
)
_ALIAS = re.compile(r"(?:\b(?:var|let|const)\s+)?(?P<name>[A-Za-z_$][\w$]*)\s*=\s*(?!=)")
#: Interaction events: code attached to them runs when the reader acts, not at load.
_EVENTS = (
    r"click|dblclick|mouse\w*|pointer\w*|touch\w*|keydown|keyup|keypress|submit|change|"
    r"input|focus\w*|blur|hover|scroll|resize|wheel|drag\w*|drop|contextmenu|hashchange|"
    r"popstate|message|storage|beforeunload|unload|orientationchange"
)
#: jQuery's shorthand binders (``$(x).click(function …)``).
_BINDERS = (
    r"click|dblclick|mouse(?:down|up|over|out|enter|leave|move)|hover|keydown|keyup|"
    r"keypress|submit|change|focusin|focusout|scroll|resize"
)
_HANDLER_START = re.compile(
    rf"\.(?:on|one|bind|live|delegate|addEventListener)\s*\(\s*['\"]\s*(?:{_EVENTS})\b"
    rf"|\.(?:{_BINDERS})\s*\(|\bon(?:{_EVENTS})\s*=|\bsetInterval\s*\(",
    re.I,
)
#: Between a handler's start and its body: arguments, ``function (e)`` or ``(e) =>``.
_HANDLER_GAP = re.compile(r"[^;{}]{0,300}?(?:function\b[^;{}]*|=>\s*)$")
_FUNCTION_DECL = re.compile(r"\bfunction\s+(?P<name>[A-Za-z_$][\w$]*)\s*\([^)]*\)\s*\{")
_JS_TYPES = {"", "module", "text/javascript", "application/javascript", "text/ecmascript"}
#: Elements whose change is no layout or content of the page itself.
_NOT_CONTENT = {"html", "head", "body", "script", "style", "link", "meta", "noscript", "title"}
#: (markup class, script name) of widgets whose stylesheet hides or stacks the slides
#: until the script initialises them.
_WIDGETS = (
    ("owl-carousel", "owl"),
    ("slick", "slick"),
    ("flexslider", "flexslider"),
    ("bxslider", "bxslider"),
    ("flickity", "flickity"),
    ("glide", "glide"),
    ("splide", "splide"),
    ("swiper", "swiper"),
    ("nivoslider", "nivo"),
    ("royalslider", "royalslider"),
)


@dataclass(frozen=True)
class ScriptEffect:
    """One load-time change a script makes to an element present in the document."""

    target: str  # the selector as the script wrote it
    action: str  # the method or property, e.g. "hide", "innerHTML ="
    kind: str  # "content", "visibility", "class" or "widget"
    classes: tuple[str, ...] = ()  # class names added or removed ("class" kind)
    #: visible text the statement writes from string literals ("content" kind), tags out
    written: str = ""
    #: whether the target shows text or media in the static markup
    had_content: bool = False
    #: "hide", "show" or "toggle" ("visibility" kind)
    direction: str = ""
    #: whether the target is hidden by its markup already (hidden, inline display:none)
    hidden_in_markup: bool = False


def inline_scripts(tree: etree._Element) -> list[str]:
    """The text of the document's inline classic and module scripts (JSON, templates out)."""
    texts = []
    for script in tree.iter("script"):
        if (script.get("type") or "").strip().lower() not in _JS_TYPES or script.get("src"):
            continue
        if (script.text or "").strip():
            texts.append(script.text)
    return texts


def script_effects(tree: etree._Element) -> list[ScriptEffect]:
    """Load-time changes the inline scripts make to elements of ``tree`` (see module doc)."""
    scripts, size = [], 0
    for text in inline_scripts(tree):
        if size + len(text) > MAX_CODE:
            break  # a page's inline bundle past this is read no further
        scripts.append(text)
        size += len(text)
    code = "\n;\n".join(_load_time(_strip_comments(text)) for text in scripts)
    if not code.strip():
        return []
    aliases: dict[str, str] = {}
    effects: list[ScriptEffect] = []
    elements = Elements(tree)
    for statement in _statements(code):
        alias = _ALIAS.match(statement) or _FOR_OF.search(statement)
        target, rest = _target(statement, aliases)
        each = _EACH.match(rest) if target else None
        if each:  # the callback's parameter is each of the elements
            aliases[each.group("a") or each.group("b")] = target
        if alias and target and not _METHOD.search(rest):
            aliases[alias.group("name")] = target
            continue
        for sel, after in _targets_with_rest(statement, target, rest):
            effects.extend(_effects(elements, sel, after))
    return effects


def widget_markers(tree: etree._Element) -> list[str]:
    """Widgets present as markup whose script the page loads (e.g. "owl-carousel")."""
    sources = " ".join((s.get("src") or "").rsplit("/", 1)[-1].lower() for s in tree.iter("script"))
    inline = " ".join(inline_scripts(tree)).lower().replace(" ", "")
    loaded = [
        (css_class, script)
        for css_class, script in _WIDGETS
        if script in sources or f"{script}(" in inline
    ]
    if not loaded:  # most pages: no widget script, so no walk over every element's classes
        return []
    classes = set()
    for value in tree.xpath("//@class"):
        classes.update(c.lower() for c in value.split())
    found = []
    for css_class, _script in loaded:
        if any(c == css_class or c.startswith(css_class + "-") for c in classes):
            found.append(css_class)
    return found


# -- reading the code ------------------------------------------------------------------


_STRING = r"""'(?:\\.|[^'\\\n])*'|"(?:\\.|[^"\\\n])*"|`(?:\\.|[^`\\])*`"""
_STRING_OR_COMMENT = re.compile(rf"{_STRING}|//[^\n]*|/\*.*?(?:\*/|\Z)", re.S)
_STRING_OR_BRACE = re.compile(rf"{_STRING}|[{{}}]")
_IDENTIFIER = re.compile(r"[A-Za-z_$][\w$]*")


def _strip_comments(code: str) -> str:
    """Code with // and /* */ comments blanked; strings (and a URL's // in them) kept."""
    return _STRING_OR_COMMENT.sub(lambda m: m[0] if m[0][0] in "'\"`" else " ", code)


def _matching_brace(code: str, start: int) -> int:
    """Index just past the ``}`` closing the ``{`` at ``start`` (strings skipped)."""
    depth = 0
    for token in _STRING_OR_BRACE.finditer(code, start):
        if token[0] == "{":
            depth += 1
        elif token[0] == "}":
            depth -= 1
            if depth == 0:
                return token.end()
    return len(code)


def _load_time(code: str) -> str:
    """The code that runs at load: interaction handlers' bodies and functions that
    nothing calls are blanked (a named function called from a handler stays: rare)."""
    blanks: list[tuple[int, int]] = []
    pos = 0
    while match := _HANDLER_START.search(code, pos):
        brace = code.find("{", match.end())
        if brace < 0:
            break
        if not _HANDLER_GAP.match(code, match.end(), brace):
            pos = match.end()  # not a function literal (a named handler, a trigger call)
            continue
        pos = _matching_brace(code, brace)
        blanks.append((brace, pos))
    declared = list(_FUNCTION_DECL.finditer(code))[:MAX_FUNCTIONS]
    uses = Counter(_IDENTIFIER.findall(code)) if declared else Counter()
    for match in declared:
        if uses[match.group("name")] <= 1:  # declared, never called nor passed anywhere
            blanks.append((match.start(), _matching_brace(code, match.end() - 1)))
    if not blanks:
        return code
    out, at = [], 0
    for start, end in sorted(blanks):
        if start >= at:
            out.append(code[at:start])
        at = max(at, end)
    out.append(code[at:])
    return " ".join(out)


def _statements(code: str) -> Iterator[str]:
    """Statements, roughly: split at ; { } and at line ends not followed by a ``.chain``."""
    code = re.sub(r"\n\s*(?=\.)", "", code)
    for part in re.split(r"[;{}\n]", code):
        part = part.strip()
        if part:
            yield part


def _target(statement: str, aliases: dict[str, str]) -> tuple[str, str]:
    """The first element the statement names (selector or alias) and the code after it."""
    maybe = any(mark in statement for mark in _SELECTOR_MARKS)
    found = _SELECTOR_EXPR.search(statement) if maybe else None
    best = (found.start(), _as_selector(found), statement[found.end() :]) if found else None
    if aliases:
        for use in _ALIAS_USE.finditer(statement, 0, best[0] if best else len(statement)):
            selector = aliases.get(use.group("a") or use.group("b"))
            if selector:
                best = (use.start(), selector, statement[use.end() :])
                break
    return (best[1], best[2]) if best else ("", "")


def _targets_with_rest(statement: str, target: str, rest: str) -> Iterable[tuple[str, str]]:
    if target:
        yield target, rest
    for match in _NEW_WIDGET.finditer(statement):
        yield match.group("sel"), ".slider()"


def _as_selector(match: re.Match[str]) -> str:
    arg = match.group("arg").strip()
    head = match.group(0)
    if "getElementById" in head:
        return "#" + arg
    if "getElementsByClassName" in head:
        return "".join("." + c for c in arg.split())
    return arg


def _effects(elements: Elements, selector: str, rest: str) -> list[ScriptEffect]:
    method = _METHOD.search(rest)
    if method is None or "<" in selector:  # $("<div>") builds a new element
        return []
    kind = next(k for k in _CALL if method.group(k))
    action = re.sub(r"\s*(\+?=)$", r" \1", re.sub(r"\s+", "", method.group(kind)))
    args = method.group("args")
    if re.match(r"\s*\(\s*\)", args) and action in ("text", "html", "css", "load"):
        return []  # .text() and .html() read, they do not write
    if action == "css" and not re.match(r"\s*\(\s*(?:\{|['\"][^'\"]*['\"]\s*,)", args):
        return []  # .css('color') reads
    if action in ("css", "animate") and not re.search(r"display|visibility|height", args):
        return []  # colours, offsets: the layout stays
    targets = [el for el in select(elements, selector) if _in_body(el)]
    if kind == "widget" or action in ("remove", "empty", "removeChild"):
        targets = [el for el in targets if elements.shows_something(el)]  # hiding nothing
    if not targets:
        return []
    classes: tuple[str, ...] = ()
    if kind == "class":
        names = re.findall(r"['\"]([\w\s-]+)['\"]", args)
        classes = tuple(c for name in names for c in name.split())
    written = _written(action, args) if kind == "content" else ""
    direction = _direction(action, args) if kind == "visibility" else ""
    return [
        ScriptEffect(
            selector,
            action,
            kind,
            classes,
            written,
            any(elements.shows_something(el) for el in targets),
            direction,
            any(_hidden_in_markup(el) for el in targets),
        )
    ]


#: Content actions whose string arguments are the text or markup written.
_WRITERS = re.compile(
    r"(?:text|html|append|prepend|after|before|insertAdjacentHTML|"
    r"(?:innerHTML|outerHTML|textContent|innerText)\s*\+?=)$"
)
_LITERAL = re.compile(r"'([^'\\]*)'|\"([^\"\\]*)\"|`([^`\\$]*)`")


def _written(action: str, args: str) -> str:
    """Visible words a content statement writes from string literals ("" if none)."""
    if not _WRITERS.search(action):
        return ""
    if action.endswith("="):
        value = args
    else:  # the call's own parentheses, not the rest of the chain
        depth, end = 0, len(args)
        for i, c in enumerate(args):
            depth += (c == "(") - (c == ")")
            if depth == 0 and c == ")":
                end = i
                break
        value = args[:end]
        if action == "insertAdjacentHTML":
            value = value.split(",", 1)[-1]  # past the position ('beforeend', ...)
    # selectors ($('#x')) and keys (data['title']) are no text the reader sees
    value = re.sub(r"\[[^\]]*\]", " ", _SELECTOR_EXPR.sub(" ", value))
    literals = " ".join(" ".join(parts) for parts in _LITERAL.findall(value))
    return " ".join(re.sub(r"<[^>]*>?", " ", literals).split())


def _direction(action: str, args: str) -> str:
    """ "hide", "show" or "toggle": what a visibility statement does to its target."""
    if action in ("hide", "slideUp", "fadeOut"):
        return "hide"
    if action in ("show", "slideDown", "fadeIn", "removeAttribute"):
        return "show"
    if action.startswith(("style.", "css", "animate")):
        return "hide" if re.search(r"none|hidden|['\"]?0(?:px)?['\"]?\s*[,})]", args) else "show"
    if action.startswith("hidden"):
        return "show" if re.match(r"\s*false", args) else "hide"
    return "toggle"


def _hidden_in_markup(el: etree._Element) -> bool:
    """Hidden by its own markup (``hidden``, inline ``display:none``), or inside such."""
    for node in (el, *el.iterancestors()):
        style = (node.get("style") or "").replace(" ", "").lower()
        if node.get("hidden") is not None or "display:none" in style:
            return True
    return False


def _in_body(el: etree._Element) -> bool:
    if el.tag in _NOT_CONTENT:
        return False
    return not any(a.tag in ("head", "template", "noscript") for a in el.iterancestors())


def _shows_something(el: etree._Element) -> bool:
    """Whether the element holds visible text or media (what hiding it would take away)."""
    if el.find(".//img") is not None or el.find(".//video") is not None:
        return True
    text = " ".join(
        t
        for node in el.iter()
        if isinstance(node.tag, str) and node.tag not in ("script", "style", "template")
        for t in (node.text, node.tail if node is not el else None)
        if t
    )
    return bool(text.strip())


# -- a small selector matcher ----------------------------------------------------------

_COMPOUND = re.compile(r"^(?P<tag>[a-zA-Z][\w-]*|\*)?(?P<rest>(?:[#.][\w-]+)*)")


class Elements:
    """The elements of a tree by tag, id and class, built once: a page with thousands of
    script statements would otherwise walk the whole tree once per statement. Built on
    the first :func:`select`: most pages' scripts name no element that could change."""

    def __init__(self, tree: etree._Element) -> None:
        self.tree = tree
        self.built = False
        self.by_tag: dict[str, list[etree._Element]] = {}
        self.by_id: dict[str, list[etree._Element]] = {}
        self.by_class: dict[str, list[etree._Element]] = {}
        self.order: dict[etree._Element, int] = {}
        self._shows: dict[etree._Element, bool] = {}

    def build(self) -> None:
        if self.built:
            return
        self.built = True
        for position, el in enumerate(self.tree.iter()):
            if not isinstance(el.tag, str):
                continue
            self.order[el] = position
            self.by_tag.setdefault(el.tag, []).append(el)
            if el.get("id") is not None:
                self.by_id.setdefault(el.get("id"), []).append(el)
            for name in set((el.get("class") or "").split()):
                self.by_class.setdefault(name, []).append(el)

    def shows_something(self, el: etree._Element) -> bool:
        if el not in self._shows:
            self._shows[el] = _shows_something(el)
        return self._shows[el]


def select(elements: Elements, selector: str) -> list[etree._Element]:
    """Elements matching ``selector``'s last compound (tag, #id, .class) in each group.

    Enough to tell whether a script's target exists: ancestors, attributes and
    pseudo-classes are not checked, so the answer errs towards "it exists".
    """
    elements.build()
    found: list[etree._Element] = []
    for group in selector.split(","):
        parts = re.split(r"[\s>+~]+", group.strip())
        last = re.sub(r"\[[^\]]*\]|::?[\w-]+(\([^)]*\))?", "", parts[-1]) if parts else ""
        match = _COMPOUND.match(last)
        if not last or match is None or match.end() != len(last):
            continue
        tag = (match.group("tag") or "*").lower()
        ids = set(re.findall(r"#([\w-]+)", match.group("rest")))
        classes = set(re.findall(r"\.([\w-]+)", match.group("rest")))
        if ids:
            candidates = [el for name in ids for el in elements.by_id.get(name, ())]
            candidates.sort(key=elements.order.__getitem__)
        elif classes:
            candidates = elements.by_class.get(min(classes), [])
        elif tag != "*":
            candidates = elements.by_tag.get(tag, [])
        else:
            continue
        for el in candidates:
            if tag != "*" and el.tag != tag:
                continue
            if classes and not classes <= set((el.get("class") or "").split()):
                continue
            found.append(el)
    return found

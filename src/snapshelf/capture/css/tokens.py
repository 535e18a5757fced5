"""tinycss2 token trees: walking them for URLs (and replacing them), writing them back."""

from __future__ import annotations

from collections.abc import Callable

import tinycss2
from tinycss2.ast import StringToken, URLToken
from tinycss2.serializer import serialize_string_value

#: callback(raw url value, kind) -> replacement raw value, or None to keep the token.
Visit = Callable[[str, str], "str | None"]


def first_significant(nodes: list) -> int | None:
    for i, node in enumerate(nodes):
        if node.type not in ("whitespace", "comment"):
            return i
    return None


def _new_string(old, value: str) -> StringToken:
    return StringToken(
        old.source_line, old.source_column, value, f'"{serialize_string_value(value)}"'
    )


def _new_url(old, value: str) -> URLToken:
    return URLToken(old.source_line, old.source_column, value, f"url({serialize_url(value)})")


class Walk:
    """One pass over a token tree, calling ``visit`` for every URL and applying replacements."""

    def __init__(self, visit: Visit) -> None:
        self.visit = visit
        self.changed = False

    def _replace(self, nodes: list, i: int, kind: str) -> None:
        node = nodes[i]
        if node.type == "url":
            new = self.visit(node.value, kind)
            if new is not None and new != node.value:
                nodes[i] = _new_url(node, new)
                self.changed = True
        elif node.type == "string":
            new = self.visit(node.value, kind)
            if new is not None and new != node.value:
                nodes[i] = _new_string(node, new)
                self.changed = True
        elif node.type == "function" and node.lower_name in ("url", "src"):
            j = first_significant(node.arguments)
            if j is not None and node.arguments[j].type == "string":
                self._replace(node.arguments, j, kind)

    def values(self, nodes: list, kind: str) -> None:
        """Component values: declarations, nested blocks and nested rules alike."""
        pending_at: str | None = None
        for i, node in enumerate(nodes):
            t = node.type
            if t == "url":
                self._replace(nodes, i, kind)
            elif t == "function":
                name = node.lower_name
                if name in ("url", "src"):
                    self._replace(nodes, i, kind)
                    continue
                if name in ("image-set", "-webkit-image-set"):
                    # Bare strings in image-set() are image URLs too.
                    for j, arg in enumerate(node.arguments):
                        if arg.type == "string":
                            self._replace(node.arguments, j, "image")
                self.values(node.arguments, kind)
            elif t in ("() block", "[] block"):
                self.values(node.content, kind)
            elif t == "{} block":
                # Nested at-rules (e.g. @font-face inside @media) are plain tokens here.
                self.values(node.content, "font" if pending_at == "font-face" else kind)
                pending_at = None
            elif t == "at-keyword":
                pending_at = node.lower_value
            elif t == "literal" and node.value == ";":
                pending_at = None

    def stylesheet(self, rules: list) -> list:
        out = []
        for rule in rules:
            t = rule.type
            if t == "error":
                # Unparseable top-level rules are ignored by browsers too; drop them.
                self.changed = True
                continue
            if t == "at-rule":
                keyword = rule.lower_at_keyword
                if keyword == "charset":
                    self.changed = True  # output is UTF-8: the declaration would lie
                    continue
                if keyword == "import":
                    j = first_significant(rule.prelude)
                    if j is not None:
                        self._replace(rule.prelude, j, "stylesheet")
                elif keyword == "namespace":
                    pass  # a namespace name, not a resource
                elif rule.content is not None:
                    self.values(rule.content, "font" if keyword == "font-face" else "image")
            elif t == "qualified-rule":
                self.values(rule.content, "image")
            out.append(rule)
        return out


_URL_MARKERS = ("url(", "@import", "image-set(", "src(", "@charset")


def may_have_urls(css: str) -> bool:
    """Cheap pre-check so URL-free stylesheets (and rules) skip tokenising (pure Python,
    slow). Any backslash counts as a maybe: CSS escapes can spell ``url(`` (``\\75 rl(``).
    """
    if "\\" in css:
        return True
    low = css.lower()
    return any(marker in low for marker in _URL_MARKERS)


def parse_sheet(css: str) -> list:
    return tinycss2.parse_stylesheet(css, skip_comments=False, skip_whitespace=False)


def parse_values(css: str) -> list:
    return tinycss2.parse_component_value_list(css, skip_comments=False)


# tinycss2.serializer.serialize_url's escapes, applied by str.translate: that one joins
# a generator over every character, and inlined data: URLs run to megabytes.
_URL_ESCAPES = str.maketrans(
    {
        "'": "\\'",
        '"': '\\"',
        "\\": "\\\\",
        " ": "\\ ",
        "\t": "\\9 ",
        "\n": "\\A ",
        "\r": "\\D ",
        "\f": "\\C ",
        "(": "\\(",
        ")": "\\)",
    }
)


def serialize_url(value: str) -> str:
    """The body of an unquoted ``url()`` token for ``value``."""
    return value.translate(_URL_ESCAPES)


def safe_serialize(nodes: list) -> str:
    try:
        return tinycss2.serialize(nodes)
    except TypeError:  # an error node tinycss2 cannot write: drop error nodes and retry
        return tinycss2.serialize(_without_errors(nodes))


def _without_errors(nodes: list) -> list:
    out = []
    for node in nodes:
        if node.type == "error":
            continue
        for attr in ("content", "prelude", "arguments"):
            value = getattr(node, attr, None)
            if isinstance(value, list):
                setattr(node, attr, _without_errors(value))
        out.append(node)
    return out

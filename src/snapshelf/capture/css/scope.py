"""Scoping a stylesheet to copied elements: renamed classes and ids, plus a marker class."""

from __future__ import annotations

from collections.abc import Callable

import tinycss2

from snapshelf.capture.css.tokens import safe_serialize

_GROUPING_RULES = frozenset(
    {"media", "supports", "layer", "container", "document", "-moz-document"}
)
_LEGACY_PSEUDO_ELEMENTS = frozenset({"before", "after", "first-line", "first-letter"})
_COMBINATORS = frozenset({">", "+", "~"})


def scope_selectors(css: str, rename: Callable[[str], str], marker: str) -> str:
    """Confine a stylesheet to elements copied with renamed classes and ids.

    Every class and id selector is renamed with ``rename``, and every selector's subject
    must also have the class ``marker``, so the rules reach only the copied elements (the
    copies of an external SVG file's elements, see ``html.SvgSprites``). Keyframes,
    font faces and other non-selector rules are left as they are.
    """
    try:
        rules = tinycss2.parse_stylesheet(css, skip_comments=True)
    except Exception:
        return ""
    _scope_rules(rules, rename, marker)
    return safe_serialize(rules)


def _scope_rules(rules: list, rename: Callable[[str], str], marker: str) -> None:
    for rule in rules:
        if rule.type == "qualified-rule":
            rule.prelude = _scope_selector_list(rule.prelude, rename, marker)
        elif (
            rule.type == "at-rule"
            and rule.lower_at_keyword in _GROUPING_RULES
            and rule.content is not None
        ):
            inner = tinycss2.parse_rule_list(rule.content)
            _scope_rules(inner, rename, marker)
            rule.content = inner


def _scope_selector_list(prelude: list, rename: Callable[[str], str], marker: str) -> list:
    selectors: list[list] = [[]]
    for node in prelude:
        if node.type == "literal" and node.value == ",":
            selectors.append([])
        else:
            selectors[-1].append(node)
    out: list = []
    for i, selector in enumerate(selectors):
        if i:
            out.append(tinycss2.ast.LiteralToken(0, 0, ","))
        _rename_selector(selector, rename)
        out += _mark_subject(selector, marker)
    return out


def _rename_selector(nodes: list, rename: Callable[[str], str]) -> None:
    for i, node in enumerate(nodes):
        if node.type == "hash" and node.is_identifier:
            nodes[i] = tinycss2.ast.HashToken(
                node.source_line, node.source_column, rename(node.value), True
            )
        elif (
            node.type == "ident"
            and i
            and nodes[i - 1].type == "literal"
            and nodes[i - 1].value == "."
        ):
            nodes[i] = tinycss2.ast.IdentToken(
                node.source_line, node.source_column, rename(node.value)
            )
        elif node.type == "function":  # :not(.a), :is(#b), :has(> .c) ...
            _rename_selector(node.arguments, rename)


def _mark_subject(nodes: list, marker: str) -> list:
    """``nodes`` with ``.marker`` added to the last compound (before any pseudo-element)."""
    end = len(nodes)
    while end and nodes[end - 1].type in ("whitespace", "comment"):
        end -= 1
    if not end:
        return nodes
    start = end
    while start and not (
        nodes[start - 1].type == "whitespace"
        or (nodes[start - 1].type == "literal" and nodes[start - 1].value in _COMBINATORS)
    ):
        start -= 1
    at = end
    for j in range(start, end):
        node = nodes[j]
        if node.type == "literal" and node.value == ":" and j + 1 < end:
            following = nodes[j + 1]
            if (following.type == "literal" and following.value == ":") or (
                following.type == "ident" and following.lower_value in _LEGACY_PSEUDO_ELEMENTS
            ):
                at = j
                break
    mark = [tinycss2.ast.LiteralToken(0, 0, "."), tinycss2.ast.IdentToken(0, 0, marker)]
    return nodes[:at] + mark + nodes[at:]

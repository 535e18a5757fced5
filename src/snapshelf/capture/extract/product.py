"""Product pages: the description a page declares in JSON-LD ``Product``.

Shops often render the product text with script, or hide it in a tab the
main-content pass does not pick; the same text is usually declared in the
page's structured data (schema.org ``Product``/``ProductGroup``). When that
declared description is long (a real description, not a one-line blurb) and
the extracted text does not contain it, it is put in front of the text with
the product's name.
"""

from __future__ import annotations

import json
import re
from typing import Any

import lxml.html

from snapshelf.capture.extract.text import norm, word_count

#: a declared description shorter than this is a blurb, not the product's text
MIN_WORDS = 50
_TYPES = {"product", "productgroup"}
_WORD = re.compile(r"\w+")


def declared_product(tree: lxml.html.HtmlElement) -> tuple[str, str]:
    """(name, description) of the first ``Product`` the page's JSON-LD declares, or ("", "").

    Read before scripts are stripped from the tree.
    """
    for el in tree.iter("script"):
        if "ld+json" not in (el.get("type") or "").lower() or not el.text:
            continue
        try:
            data = json.loads(el.text)
        except ValueError:
            continue
        found = _find(data)
        if found is not None:
            return _plain(found.get("name")), _plain(found.get("description"))
    return "", ""


def _find(node: Any, depth: int = 0) -> dict[str, Any] | None:
    if depth > 5:
        return None
    if isinstance(node, list):
        for item in node:
            found = _find(item, depth + 1)
            if found is not None:
                return found
    elif isinstance(node, dict):
        types = node.get("@type")
        types = types if isinstance(types, list) else [types]
        if any(isinstance(t, str) and t.lower() in _TYPES for t in types):
            return node
        for key in ("@graph", "mainEntity"):
            if key in node:
                found = _find(node[key], depth + 1)
                if found is not None:
                    return found
    return None


def _plain(value: Any) -> str:
    """Declared text as plain paragraphs (descriptions often carry HTML)."""
    if not isinstance(value, str) or not value.strip():
        return ""
    if "<" in value:
        try:
            fragment = lxml.html.fragment_fromstring(value, create_parent="div")
        except (ValueError, lxml.etree.ParserError):
            return norm(value)
        for br in fragment.iter("br", "p", "li", "div"):
            br.tail = "\n" + (br.tail or "")
        value = fragment.text_content()
    lines = (norm(line) for line in value.split("\n"))
    return "\n\n".join(line for line in lines if line)


def missing_description(name: str, description: str, text: str) -> str:
    """The product text to put in front of ``text``, or "" when it is short or already there."""
    if word_count(description) < MIN_WORDS:
        return ""
    if _shared(description, text) > 0.2:  # (much of) it is already there, in another form
        return ""
    return f"{name}\n\n{description}" if name and name not in description[:200] else description


def _grams(text: str) -> set[tuple[str, ...]]:
    words = _WORD.findall(text.casefold())
    return {tuple(words[i : i + 3]) for i in range(max(0, len(words) - 2))}


def _shared(part: str, whole: str) -> float:
    """Share of ``part``'s word trigrams that ``whole`` contains."""
    grams = _grams(part)
    return len(grams & _grams(whole)) / len(grams) if grams else 1.0

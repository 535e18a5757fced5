"""Finding and rewriting the URLs of stylesheets and ``style=""`` values (the public API)."""

from __future__ import annotations

from snapshelf.capture.css.decoding import data_stylesheet_text
from snapshelf.capture.css.scan import transform
from snapshelf.capture.css.tokens import Visit
from snapshelf.capture.css.urls import EMPTY, Mapper, Ref, classify, with_fragment

# Stylesheets nested as data: URLs inside data: URLs: a pathological page could nest forever.
_MAX_DATA_DEPTH = 8


def _finder(base_url: str, found: list[Ref], seen: set[str], depth: int) -> Visit:
    def visit(raw: str, kind: str) -> None:
        target = classify(raw, base_url)
        if target.kind == "http":
            if target.url not in seen:
                seen.add(target.url)
                found.append(Ref(target.url, kind))
        elif target.kind == "data" and kind == "stylesheet" and depth < _MAX_DATA_DEPTH:
            # A data: stylesheet is processed inline; its own absolute references count.
            decoded = data_stylesheet_text(target.url)
            if decoded is not None:
                transform(decoded[0], _finder(target.url, found, seen, depth + 1), False)
        return None

    return visit


def find_css_resources(css: str, base_url: str) -> list[Ref]:
    """Every subresource a stylesheet loads: @import -> stylesheet, @font-face -> font, else image.

    Relative URLs resolve against ``base_url`` (the stylesheet's own final URL, or the
    document base for ``<style>``). ``@import`` of a data: URL stylesheet is looked into.
    """
    found: list[Ref] = []
    transform(css, _finder(base_url, found, set(), 0), False)
    return found


def find_inline_style_resources(style_attr: str, base_url: str) -> list[Ref]:
    """Subresources of a ``style=""`` attribute (or any CSS value, e.g. SVG ``fill``)."""
    found: list[Ref] = []
    transform(style_attr, _finder(base_url, found, set(), 0), True)
    return found


def _rewriter(base_url: str, mapper: Mapper) -> Visit:
    def visit(raw: str, kind: str) -> str | None:
        target = classify(raw, base_url)
        if target.kind in ("empty", "fragment"):
            return None
        if target.kind == "data":
            # data: stylesheets are handed to the mapper so their references get processed
            # (except the empty placeholder, which references nothing).
            if kind == "stylesheet" and target.url != EMPTY:
                return mapper(target.url, "stylesheet")
            return None
        if target.kind == "http":
            return with_fragment(mapper(target.url, kind), target.fragment)
        return EMPTY  # script:, about:, other schemes, unresolvable: never leave the archive

    return visit


def rewrite_css(css: str, base_url: str, mapper: Mapper) -> str:
    """Rewrite every URL of a stylesheet through ``mapper``; drops a leading ``@charset``.

    Only the URL tokens change (written as ``url(…)`` or ``"…"``); the rest of the text is
    kept exactly, comments and rules browsers skip included, so the archive's stylesheet
    parses as the original did. The output is UTF-8, so the ``@charset`` rule browsers
    honour (``@charset "…";`` at the very start) is removed.
    """
    return transform(css, _rewriter(base_url, mapper), False)


def rewrite_inline_style(style_attr: str, base_url: str, mapper: Mapper) -> str:
    """Rewrite the URLs of a ``style=""`` attribute value (or any CSS value)."""
    return transform(style_attr, _rewriter(base_url, mapper), True)


def transform_css_urls(css: str, visit: Visit, *, inline: bool = False) -> str:
    """Low-level hook: call ``visit(raw_url, kind)`` for every URL as written (unresolved).

    ``visit`` returns a replacement or None. Used by the single-file inliner to rename
    same-document fragment references; ``inline`` selects value-list parsing (style="").
    """
    return transform(css, visit, inline)

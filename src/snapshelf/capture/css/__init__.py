"""CSS for static capture: decode stylesheets, find their subresources, rewrite them for replay.

All URL handling goes through tinycss2 tokens (``url()``, ``url("…")``, ``src()``,
``image-set()``, ``@import``), never through regular expressions, so comments, strings,
escapes and broken CSS are treated exactly as a browser's tokenizer treats them. Rewriting
replaces those tokens in the original text and leaves every other character as it was.

This package is the leaf of the capture rewriting code, so it also holds the shared
reference type (:class:`Ref`) and the URL helpers used by ``capture.html`` and
``resources.py``. Modules: :mod:`.urls`, :mod:`.decoding`, :mod:`.tokens` (token trees),
:mod:`.scan` (URL offsets, cached; the rewriting core), :mod:`.references` (find and
rewrite), :mod:`.scope` (scoping copied SVG styles). This package's interface is what it
exports here.
"""

from __future__ import annotations

from snapshelf.capture.css.decoding import data_stylesheet, decode_css
from snapshelf.capture.css.references import (
    find_css_resources,
    find_inline_style_resources,
    rewrite_css,
    rewrite_inline_style,
    transform_css_urls,
)
from snapshelf.capture.css.scope import scope_selectors
from snapshelf.capture.css.tokens import serialize_url
from snapshelf.capture.css.urls import (
    EMPTY,
    KINDS,
    Mapper,
    Ref,
    Target,
    classify,
    clean_url,
    decode_data_url,
    is_script_url,
    resolve_url,
    url_scheme,
    with_fragment,
)

__all__ = [
    "EMPTY",
    "KINDS",
    "Mapper",
    "Ref",
    "Target",
    "classify",
    "clean_url",
    "data_stylesheet",
    "decode_css",
    "decode_data_url",
    "find_css_resources",
    "find_inline_style_resources",
    "is_script_url",
    "resolve_url",
    "rewrite_css",
    "rewrite_inline_style",
    "scope_selectors",
    "serialize_url",
    "transform_css_urls",
    "url_scheme",
    "with_fragment",
]

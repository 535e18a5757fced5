"""HTML for static capture: parse a page, find every subresource, rewrite it for safe replay.

Discovery (:func:`find_resources`) and rewriting (:func:`rewrite_html`) walk the document
with the same element rules (:mod:`.rules`), so every URL the rewrite asks the mapper about
is a URL discovery reported (and the pipeline fetched). The replay document has no scripts,
no event handlers, no ``javascript:`` URLs, no refresh/CSP/base, no SRI, and no reference
that leaves the archive; hyperlinks become absolute links to the original site.

Modules: :mod:`.document` (parse and serialise), :mod:`.srcset`, :mod:`.rules` (element
rules and discovery), :mod:`.rewrite` (the replay document), :mod:`.svg` (external SVG
``<use>``). This package's interface is what it exports here.
"""

from __future__ import annotations

from snapshelf.capture.css import Ref
from snapshelf.capture.html.document import document_base_url, parse_html, serialize_html
from snapshelf.capture.html.rewrite import rewrite_html
from snapshelf.capture.html.rules import find_resources
from snapshelf.capture.html.srcset import format_srcset, parse_srcset
from snapshelf.capture.html.svg import SvgLoad, SvgSprites

__all__ = [
    "Ref",
    "SvgLoad",
    "SvgSprites",
    "document_base_url",
    "find_resources",
    "format_srcset",
    "parse_html",
    "parse_srcset",
    "rewrite_html",
    "serialize_html",
]

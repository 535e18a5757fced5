"""Readable-article extraction: metadata, main text, sanitised HTML and Markdown.

One lxml parse per page feeds everything (:mod:`.parse`). trafilatura runs
once, in its fast mode, for the main content (:mod:`.content`; its own
metadata pass is skipped: it costs about a third of the time budget and our
own pass reads the same sources: JSON-LD, Open Graph, Twitter cards,
``<meta>``, ``<title>``, ``<h1>``, bylines, plus Chinese "来源/发布时间/作者"
patterns, see :mod:`.metadata` and :mod:`.dates`). Only when the fast mode
returns suspiciously little text compared with the page is trafilatura's
slower fallback cascade run. When nothing is found at all, the visible body
text (navigation, headers, footers, forms removed) is used
(:mod:`.fallback`), so a snapshot always has some text and always has a
title.

Readable HTML is produced from trafilatura's result tree by our own renderer
and then sanitised with nh3 (see :func:`sanitize_html`); it is data from a
hostile page and is never trusted. Markdown comes from the same tree
(:mod:`.markdown`). Plain-text documents and PDFs have their own entry points
(:mod:`.plain`, :mod:`.pdf`).

This package's interface is what it exports here; its modules are internal.
"""

from __future__ import annotations

from snapshelf.capture.extract.article import extract_html
from snapshelf.capture.extract.pdf import extract_pdf
from snapshelf.capture.extract.plain import extract_text_document
from snapshelf.capture.extract.sanitize import sanitize_html
from snapshelf.capture.extract.text import guess_language, word_count
from snapshelf.capture.fingerprint import fingerprint
from snapshelf.capture.types import Extracted

__all__ = [
    "Extracted",
    "extract_html",
    "extract_pdf",
    "extract_text_document",
    "fingerprint",
    "guess_language",
    "sanitize_html",
    "word_count",
]

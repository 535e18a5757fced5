"""The HTML entry point: one parse feeds the metadata and the main content."""

from __future__ import annotations

from typing import Any

import lxml.html
from lxml import etree

from snapshelf.capture.extract.cards import fill_cards
from snapshelf.capture.extract.clean import declared_types, page_kind, remove_overlays
from snapshelf.capture.extract.content import (
    absolutize,
    render_html,
    render_text,
    restore_inline_spaces,
    run_trafilatura,
    visible_length,
)
from snapshelf.capture.extract.dates import pick_date
from snapshelf.capture.extract.fallback import blocks_to_html, fallback_blocks
from snapshelf.capture.extract.markdown import blocks_to_markdown, render_markdown
from snapshelf.capture.extract.metadata import (
    known_site_names,
    pick_author,
    pick_description,
    pick_image,
    pick_site_name,
    pick_title,
    title_suffix,
)
from snapshelf.capture.extract.parse import (
    LazyText,
    Resolver,
    collect_meta,
    ld_first,
    parse_page,
    title_from_url,
)
from snapshelf.capture.extract.product import declared_product, missing_description
from snapshelf.capture.extract.sanitize import sanitize_html
from snapshelf.capture.extract.select import FRAGMENT_SHARE, is_fragment
from snapshelf.capture.extract.siblings import join_split_body
from snapshelf.capture.extract.tail import cut_related_tail
from snapshelf.capture.extract.text import (
    CJK_CHAR,
    choose_language,
    first_line,
    norm,
    normalize_lang,
    word_count,
)
from snapshelf.capture.types import Extracted


def extract_html(html_text: str, url: str | None = None) -> Extracted:
    """Metadata and readable main content of an HTML page (already decoded)."""
    tree = parse_page(html_text) if html_text else None
    if tree is None:
        return Extracted(title=title_from_url(url), error="no_text")

    meta = collect_meta(tree, url)
    resolve = Resolver(meta.base)
    title = pick_title(meta, url)
    page = LazyText(tree, meta.h1 or title)

    # metadata is read; what follows never needs scripts, styles or inline SVG,
    # and trafilatura would drop them from its own copy anyway
    kind = page_kind(tree, meta.tags, declared_types(tree))
    product = declared_product(tree) if kind == "product" else ("", "")
    etree.strip_elements(tree, "script", "style", "noscript", "template", "svg", with_tail=False)
    absolutize(tree, resolve)
    remove_overlays(tree)
    doc, text, readable, markdown = _main_content(tree, kind, product)
    extra = missing_description(*product, text) if product[1] else ""
    if extra:  # the declared product text the main-content pass missed
        text = f"{extra}\n\n{text}" if text else extra
        readable = blocks_to_html(extra.split("\n\n")) + readable
        markdown = f"{extra}\n\n{markdown}" if markdown else extra

    declared_lang = normalize_lang(
        meta.html_lang
        or meta.tags.get("content-language", "")
        or meta.tags.get("og:locale", "")
        or meta.tags.get("language", "")
        or meta.tags.get("dc:language", "")
        or ld_first(meta, "inLanguage")
    )
    language = choose_language(declared_lang, text or title)
    chinese = language.startswith("zh") or bool(CJK_CHAR.search(title[:50]))

    if not title:
        title = title_from_url(url) or first_line(text)

    image = pick_image(meta, resolve, doc)
    description = pick_description(meta, text)

    return Extracted(
        title=title,
        author=pick_author(
            meta, tree, page, chinese, known_site_names(meta, url) + title_suffix(meta)
        ),
        date=pick_date(meta, tree, page),
        site_name=pick_site_name(meta, page, url, chinese),
        language=language,
        description=description,
        image=image,
        text=text,
        html=sanitize_html(readable, meta.base),
        markdown=markdown,
        word_count=word_count(text),
        error="" if text.strip() else "no_text",
    )


def _main_content(
    tree: lxml.html.HtmlElement, kind: str, product: tuple[str, str] = ("", "")
) -> tuple[Any, str, str, str]:
    """trafilatura's result (or None), and the text, readable HTML and Markdown of the page.

    A thread is read with its replies (trafilatura's full mode with comments);
    otherwise the fast mode, and its fallback cascade only when the fast result
    is short next to the page's visible text. An article split over sibling
    containers of one class is joined (:mod:`.siblings`). When the result is a fragment of the
    page's unlinked text, the visible blocks replace it (:mod:`.select`); the
    declared product text (``product``: name, description) that will be put in
    front of the result counts as part of it. Readable HTML is not sanitised yet.
    """
    if kind == "forum":
        # every post of a thread is content: trafilatura's comment pass finds the replies
        doc = run_trafilatura(tree, fast=False, comments=True)
    else:
        doc = run_trafilatura(tree, fast=True)
    text = render_text(doc.body) if doc is not None and doc.body is not None else ""
    visible = visible_length(tree)
    if len(text) < 1500 and visible > 4 * max(len(text), 50):
        # fast mode sometimes keeps only a fragment (odd layouts, MathJax,
        # hidden nodes): let trafilatura's fallback cascade have a go
        retry = run_trafilatura(tree, fast=False)
        retry_text = render_text(retry.body) if retry is not None and retry.body is not None else ""
        if len(retry_text) > 1.5 * len(text):
            doc, text = retry, retry_text
    if kind != "forum" and text and join_split_body(tree, doc.body, text):
        # the body went on in sibling containers of the one trafilatura kept
        text = render_text(doc.body)
    blocks: list[str] | None = None
    kept = len(text) + len(missing_description(*product, text) if product[1] else "")
    if kept < FRAGMENT_SHARE * visible and is_fragment(kept, tree):
        # trafilatura may have kept one fragment (a teaser, a sidebar) of a page whose
        # text is spread over many blocks (listings, shops, service pages): measured
        # against the page's text outside links, see select.py
        blocks = fallback_blocks(tree)
    if blocks is None and 0 < len(text) < 500:
        # on short pages trafilatura's own last resort keeps navigation and
        # headers; if the semantic boilerplate filter agrees on a subset, use it
        blocks = fallback_blocks(tree)
        flat = norm(text)
        if not blocks or not all(norm(b) in flat for b in blocks) or norm(" ".join(blocks)) == flat:
            blocks = None
    if text.strip() and blocks is None:
        filled = False
        if not kind:
            # trafilatura kept part of most cards of a listing: their dropped headlines
            # go back (cards.py); a thread's posts and a product's carousels are not that
            filled = fill_cards(tree, doc.body)
        cut = cut_related_tail(doc.body)
        if restore_inline_spaces(doc.body, tree) or cut or filled:
            text = render_text(doc.body)  # else it is the text rendered above
        readable = render_html(doc.body)
        markdown = render_markdown(doc.body)
    else:
        blocks = blocks if blocks is not None else fallback_blocks(tree)
        text = "\n\n".join(blocks)
        readable = blocks_to_html(blocks)
        markdown = blocks_to_markdown(blocks)
    return doc, text, readable, markdown

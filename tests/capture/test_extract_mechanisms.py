"""Each extraction mechanism of issue 20 on small generated pages (no corpus pages)."""

from __future__ import annotations

import json

import lxml.html
import pytest

from snapshelf.capture.classify import classify
from snapshelf.capture.extract import extract_html
from snapshelf.capture.extract.clean import declared_types, page_kind, remove_overlays
from snapshelf.capture.extract.dates import _iso_date
from snapshelf.capture.extract.metadata import _clean_author

PARA = (
    "This paragraph carries enough ordinary words to look like the body of an article, "
    "with a clause or two more so that every extractor takes it for real content. "
)


def _page(body: str, head: str = "<title>A page</title>") -> str:
    return f"<!doctype html><html><head>{head}</head><body>{body}</body></html>"


# --------------------------------------------------------------------------- overlays


def test_cookie_banner_and_modal_are_removed_but_the_article_stays() -> None:
    html = _page(
        '<div id="cookie-banner"><p>We use cookies to improve your experience. Accept all?</p>'
        "</div>"
        '<div class="newsletter-modal"><p>Subscribe to our newsletter for weekly deals.</p></div>'
        '<div role="dialog"><p>Sign in to continue reading.</p></div>'
        f"<article><h1>Real headline</h1><p>{PARA * 3}</p><p>{PARA * 2}</p></article>"
    )
    got = extract_html(html, "https://example.org/a")
    assert "cookies" not in got.text
    assert "newsletter" not in got.text
    assert "Sign in to continue" not in got.text
    assert "ordinary words" in got.text


def test_overlay_holding_most_of_the_page_is_kept() -> None:
    # a wrapper named "modal-open" around the whole page is the page, not a pop-up
    tree = lxml.html.fromstring(
        _page(f'<div class="page modal-open"><h2>Heading</h2><p>{PARA * 4}</p></div>')
    )
    assert not remove_overlays(tree)
    assert "ordinary words" in tree.text_content()


def test_overlay_with_the_headline_is_kept() -> None:
    tree = lxml.html.fromstring(
        _page(f'<div class="popup-container"><h1>Headline</h1><p>{PARA}</p></div><p>{PARA}</p>')
    )
    remove_overlays(tree)
    assert tree.find(".//h1") is not None


def test_removed_overlays_can_be_put_back() -> None:
    html = _page(
        f'<div class="cookie-notice">We use cookies on this site, accept?</div><p>{PARA}</p>'
    )
    tree = lxml.html.fromstring(html)
    before = lxml.html.tostring(tree)
    removed = remove_overlays(tree)
    assert removed.snippets() == ["We use cookies on this site, accept?"]
    assert b"cookie-notice" not in lxml.html.tostring(tree)
    removed.restore()
    assert lxml.html.tostring(tree) == before


# --------------------------------------------------------------------------- page kinds


def _kind(html: str) -> str:
    tree = lxml.html.fromstring(html)
    tags = {
        (el.get("property") or el.get("name") or "").lower(): el.get("content", "")
        for el in tree.iter("meta")
    }
    return page_kind(tree, tags, declared_types(tree))


def _thread(posts: int, head: str = "") -> str:
    body = "".join(
        f'<div class="post"><div class="author">user{i}</div>'
        f'<div class="post-body"><p>Reply number {i}: {PARA}</p></div>'
        '<div class="signature">-- sent from my phone</div></div>'
        for i in range(posts)
    )
    return _page(f'<h1>Thread title</h1><div class="thread">{body}</div>', head)


def test_forum_recognised_by_structured_data() -> None:
    ld = json.dumps({"@context": "https://schema.org", "@type": "DiscussionForumPosting"})
    head = f'<title>t</title><script type="application/ld+json">{ld}</script>'
    assert _kind(_page("<p>x</p>", head)) == "forum"


def test_forum_recognised_by_generator_and_by_repeated_posts() -> None:
    assert _kind(_page("<p>x</p>", '<meta name="generator" content="Discourse 3.4">')) == "forum"
    assert _kind(_thread(5)) == "forum"
    assert _kind(_thread(1)) == ""


def test_product_recognised() -> None:
    ld = json.dumps({"@context": "https://schema.org", "@type": "Product", "name": "Chair"})
    head = f'<script type="application/ld+json">{ld}</script>'
    assert _kind(_page("<p>x</p>", head)) == "product"
    assert _kind(_page("<p>x</p>", '<meta property="og:type" content="product">')) == "product"


def test_forum_thread_keeps_every_post() -> None:
    ld = json.dumps({"@context": "https://schema.org", "@type": "DiscussionForumPosting"})
    html = _thread(6, f'<title>Thread</title><script type="application/ld+json">{ld}</script>')
    got = extract_html(html, "https://forum.example.org/t/1")
    for i in range(6):
        assert f"Reply number {i}:" in got.text, i


# --------------------------------------------------------------------------- reader view


def test_space_next_to_inline_link_is_kept() -> None:
    para = (
        '<p>See also: <a href="/wiki/Foundation">Mozilla Foundation</a> and '
        '<a href="/wiki/Corp">Mozilla Corporation</a>, and the <b>API</b>s it documents. '
        f"{PARA}</p>"
    )
    html = _page(f"<article><h1>Mozilla</h1>{para}<p>{PARA * 2}</p><p>{PARA}</p></article>")
    got = extract_html(html, "https://en.example.org/wiki/Mozilla")
    assert "Foundationand" not in got.text
    assert "Mozilla Foundation and" in got.text
    assert "APIs" in got.text  # glued in the page itself: stays glued


def test_empty_page_says_so() -> None:
    got = extract_html(_page(""), "https://example.org/empty")
    assert got.error == "no_text"
    assert got.text == ""
    full = extract_html(_page(f"<article><p>{PARA * 3}</p></article>"), "https://e.org/x")
    assert full.error == ""


# --------------------------------------------------------------------------- metadata


@pytest.mark.parametrize(
    ("raw", "name"),
    [
        ("AuthorZoe Epstein", "Zoe Epstein"),
        ("Author: Michael Ansaldo", "Michael Ansaldo"),
        ("Written by Bob Smith", "Bob Smith"),
        ("Jane Doe View more posts", "Jane Doe"),
        ("Byron Smith", "Byron Smith"),
        ("Authority Labs", "Authority Labs"),
        ("Von Anna Maier", "Anna Maier"),
    ],
)
def test_author_labels_and_page_text_are_cleaned(raw: str, name: str) -> None:
    assert _clean_author(raw) == name


def test_title_drops_pipe_suffix_and_untruncates() -> None:
    html = _page(
        f"<h1>Mesh Office Chair</h1><p>{PARA}</p>",
        "<title>Mesh Office Chair | NBF</title>",
    )
    assert extract_html(html, "https://shop.example/chair").title == "Mesh Office Chair"
    headline = "A rather long headline that the social card cut short somewhere near the end"
    html = _page(
        f"<h1>{headline}</h1><p>{PARA}</p>",
        f'<title>{headline}</title><meta property="og:title" content="{headline[:40]}...">',
    )
    assert extract_html(html, "https://news.example/a").title == headline


def test_day_first_dates() -> None:
    assert _iso_date("13/11/2025 09:21:40") == "2025-11-13"
    assert _iso_date("11/13/2025") == "2025-11-13"
    assert _iso_date("05/06/2025") == ""  # ambiguous: left to other sources


def test_chinese_byline_labels() -> None:
    body = "这是一段很长的新闻正文，内容丰富，用于测试提取。" * 20
    html = _page(
        "<h1>新闻标题在这里</h1><div class='info'>2024-05-01 10:00 来源：新华网 作者：王小明</div>"
        f"<div class='content'><p>{body}</p></div>",
        "<title>新闻标题在这里_新华网</title>",
    )
    got = extract_html(html, "https://news.example.cn/a.html")
    assert got.author == "王小明"
    assert got.date.startswith("2024-05-01")


# --------------------------------------------------------------------------- classification


def test_markup_with_stray_control_bytes_is_html() -> None:
    body = b"\x00\x1a<!DOCTYPE html><html><head><title>x</title></head><body>"
    body += b"<p>hello world</p>" * 50 + b"</body></html>"
    assert classify(body, "text/html") == "html"
    assert classify(body, None) == "html"
    assert classify(b"\x00\x01\x02\x03" * 100, "text/html") == "other"
    assert classify(b"<html>" + b"\x00\x01" * 200, "text/html") == "other"


def test_a_title_is_unescaped_once():
    """<title>Escaping &amp;amp; in HTML</title> reads "Escaping &amp; in HTML" in a
    browser: the parser decodes it once, and nothing may decode it again (issue 24.5)."""
    body = "<p>" + "Entities in markup need escaping. " * 20 + "</p>"
    page = f"<html><head><title>Escaping &amp;amp; in HTML</title></head><body>{body}</body></html>"
    assert extract_html(page).title == "Escaping &amp; in HTML"
    ld = '<script type="application/ld+json">{"headline": "Tom &amp; Jerry"}</script>'
    page = f"<html><head><title>Tom &amp; Jerry</title>{ld}</head><body>{body}</body></html>"
    assert extract_html(page).title == "Tom & Jerry"  # JSON-LD text holds HTML entities

"""Each extraction mechanism of issue 20 on small generated pages (no corpus pages)."""

from __future__ import annotations

import copy
import json

import lxml.html
import pytest
from lxml import etree

from snapshelf.capture.classify import classify
from snapshelf.capture.extract import clean, extract_html
from snapshelf.capture.extract.clean import declared_types, page_kind, remove_overlays
from snapshelf.capture.extract.content import render_text, restore_inline_spaces
from snapshelf.capture.extract.dates import _iso_date
from snapshelf.capture.extract.markdown import _md_inline_text
from snapshelf.capture.extract.metadata import _clean_author
from snapshelf.capture.extract.parse import parse_page
from snapshelf.capture.extract.tail import cut_related_tail
from snapshelf.capture.static import read_document
from tests.capture.corpora import corpus, read_bytes

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


def test_the_cheap_class_name_check_never_rules_out_a_name_the_pattern_takes() -> None:
    """clean.has_word: a necessary condition for the case-insensitive patterns, also for
    the letters re.IGNORECASE matches to ASCII ones (İ and ı for i, ſ for s, K for k)."""
    names = [
        "Cookie-Bar",
        "x GDPR",
        "conſent",
        "COO\u212aIE-law",
        "İnterstitial",
        "a_Pop-Up",
        "popular",
    ]
    taken = [n for n in names if clean._OVERLAY_NAME.search(n)]
    assert len(taken) >= 5
    assert all(clean.has_word(clean._OVERLAY_WORDS, n) for n in taken)
    assert not clean.has_word(clean._OVERLAY_WORDS, "article-body main")


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


def test_posts_under_different_parents_are_not_a_thread() -> None:
    # one post-like block in each of many plain wrappers: a list of teasers, not replies.
    # The wrappers have no class, so lxml makes their proxies only as the count runs;
    # counting by a proxy's id() once merged wrappers whose proxies reused memory.
    blocks = "".join(
        f'<div><div class="post">Teaser {i}: {PARA[:80]}</div></div>' for i in range(12)
    )
    assert _kind(_page(blocks)) == ""


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


def test_restored_inline_spaces_are_reported_so_the_text_is_rendered_again() -> None:
    """content.restore_inline_spaces says whether it changed the result (extract_html
    renders the text again only then) and reads the page's own glued words."""
    body = etree.fromstring(
        '<body><p>See <ref target="x">Mozilla Foundation</ref>and the <hi rend="#b">API</hi>s'
        "</p></body>"
    )
    page = lxml.html.fromstring(_page("<p><a>Mozilla Foundation</a> and the <b>API</b>s</p>"))
    assert restore_inline_spaces(body, page)
    assert render_text(body) == "See Mozilla Foundation and the APIs"
    assert not restore_inline_spaces(body, page)


def test_markdown_text_collapses_every_kind_of_whitespace() -> None:
    """markdown._md_inline_text skips the collapsing for printable text without a double
    space: every whitespace character but the space is unprintable, so none is missed."""
    spaces = [chr(c) for c in range(0x3001) if chr(c).isspace()]
    assert [c for c in spaces if c.isprintable()] == [" "]
    for space in spaces:
        assert _md_inline_text(f"a{space}b *c*") == "a b \\*c\\*", repr(space)
    assert _md_inline_text("a  b") == "a b"


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
        ("Reyan PerumalPublished", "Reyan Perumal"),
        ("Sofia KondratEdTech Content writer", "Sofia Kondrat"),
        ("Craig McCarthy Last updated on 17 December 2025", "Craig McCarthy"),
        ("Help Net Security Sponsored", "Help Net Security"),
        ("EcoFlow- 20", "EcoFlow"),
        ("Sat, 20 Dec, 2025 - 06:36", ""),
        ("262588213843476", ""),
        ("Ronald MacDonald", "Ronald MacDonald"),
        ("DeShawn Jackson", "DeShawn Jackson"),
        ("Jeff VanderMeer", "Jeff VanderMeer"),
        ("julian", "julian"),
        ("May", "May"),
        ("Mary Postlethwaite", "Mary Postlethwaite"),
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


@pytest.mark.parametrize(
    ("title", "h1", "expected"),
    [
        # the search-result title carries extras the page's headline leaves out
        (
            "Average Cost of Online College [2025]: Yearly Tuition + Fees",
            "Average Cost of Online College",
            "Average Cost of Online College",
        ),
        (
            "Recent Trends in Photography",
            "8 Recent Trends in Photography",
            "8 Recent Trends in Photography",
        ),
        ("Logging HOWTO", "Logging HOWTO¶", "Logging HOWTO"),  # a permalink marker
        # a different headline, a section heading, a logo, capitals: the title stays
        (
            "Health And Nutrition Trends For 2026",
            "Top 10 Health and Nutrition Trends to Watch",
            "Health And Nutrition Trends For 2026",
        ),
        (
            "Evolve: Shared Mutable History — evolve extension for Mercurial",
            "evolve extension for Mercurial",
            "Evolve: Shared Mutable History — evolve extension for Mercurial",
        ),
        (
            "Storm closes the coastal road for a week",
            "Harbour Gazette",
            "Storm closes the coastal road for a week",
        ),
        ("News: storm closes the coastal road", "News", "News: storm closes the coastal road"),
        (
            "Best Drip Coffee Maker 2026: Buying Tips",
            "BEST DRIP COFFEE MAKER 2026: BUYING TIPS",
            "Best Drip Coffee Maker 2026: Buying Tips",
        ),
    ],
)
def test_the_pages_own_headline_is_preferred_when_it_names_the_same_thing(
    title: str, h1: str, expected: str
) -> None:
    html = _page(
        f"<h1>{h1}</h1><p>{PARA}</p>",
        f'<title>{title}</title><meta property="og:site_name" content="Harbour Gazette">',
    )
    assert extract_html(html, "https://gazette.example/a").title == expected


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


def test_a_chinese_pages_declared_author_that_is_a_newspaper_gives_way_to_the_person() -> None:
    body = "这是一段很长的新闻正文，内容丰富，用于测试提取。" * 20
    html = _page(
        "<h1>新闻标题在这里</h1><div class='info'>2024-05-01 10:00</div>"
        f"<div class='content'><p>（新京报记者 王小明）{body}</p><p>责任编辑：李四</p></div>",
        '<title>新闻标题在这里_新浪网</title><meta name="author" content="新京报">',
    )
    assert extract_html(html, "https://news.example.cn/a.html").author == "王小明"
    person = html.replace('content="新京报"', 'content="张三"')
    assert extract_html(person, "https://news.example.cn/a.html").author == "张三"


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


# --------------------------------------------------------------------------- selection


def _front_page(topics: list[str]) -> str:
    def story(i: int, topic: str) -> str:
        paragraphs = "".join(
            f"<p>The {topic} reopened this week after a long winter of repairs, and the "
            f"visitors of day {day} queued before dawn to see what had changed inside; "
            f"volunteers who kept the {topic} running say the work took twice as long.</p>"
            for day in range(8)
        )
        return (
            f"<article class='story'><h2><a href='/story/{i}'>News from the {topic}</a></h2>"
            f"{paragraphs}</article>"
        )

    stories = "".join(story(i, t) for i, t in enumerate(topics))
    return _page(f"<nav><a href='/'>Home</a></nav><div id='stories'>{stories}</div>")


def test_a_listing_of_several_articles_keeps_them_all() -> None:
    # trafilatura keeps the first <article> only: a fragment of the page's text
    topics = ["harbour", "library", "orchard", "railway", "observatory"]
    got = extract_html(_front_page(topics), "https://example.org/").text
    assert all(f"volunteers who kept the {t}" in got for t in topics), got[:300]


def test_fragment_signal_counts_only_text_outside_links() -> None:
    from snapshelf.capture.extract.select import is_fragment, unlinked_length

    tree = lxml.html.fromstring(
        _page(
            "<ul><li><a href='/a'>Menu one</a></li></ul><p>A line of <a href='/b'>real</a> text</p>"
        )
    )
    # the link's text goes, the text around it stays
    assert unlinked_length(tree) == len("A line of text")
    assert is_fragment(3, tree)
    assert not is_fragment(len("A line of text"), tree)


def test_a_row_of_links_on_one_line_is_navigation() -> None:
    from snapshelf.capture.extract.select import is_fragment, unlinked_length

    # old Chinese portals: several links (and a date) on one line match no single link
    rows = "".join(
        f"<tr><td><a href='/c{i}'>新闻</a> <a href='/s{i}'>体育</a> <a href='/f{i}'>财经</a> "
        f"<a href='/t{i}'>科技</a> <a href='/h{i}'>房产</a></td></tr>"
        for i in range(40)
    )
    related = "".join(
        f"<li><a href='/r{i}'>证券公司调整融资融券业务规则第{i}号</a> 2015/06/{i % 28 + 1:02d}</li>"
        for i in range(10)
    )
    body = "东海证券发布公告，鉴于近期市场情况，为维护市场稳定，公司暂停融券券源供给。"
    paragraphs = f"<p>{body}</p>" * 3
    tree = lxml.html.fromstring(
        _page(
            f"<table>{rows}</table><div><h1>东海证券暂停融券供给</h1>{paragraphs}</div><ul>{related}</ul>"
        )
    )
    article = len("东海证券暂停融券供给") + 3 * len(body)
    dates = 10 * len("2015/06/01")
    assert unlinked_length(tree) == article + dates
    # the article alone is not a fragment of such a page
    assert not is_fragment(article, tree)


# --------------------------------------------------------------------------- product


_DESCRIPTION = (
    "The Trailhead 40 is a hiking pack built for long weekends in the hills. Its frame "
    "sheet and padded hip belt carry the load on the hips, the back panel is ventilated "
    "mesh that keeps air moving on warm climbs, and the lid pocket holds a map, snacks "
    "and a phone within reach. The main compartment opens from the top and from the "
    "front, so the sleeping bag at the bottom comes out without unpacking the rest."
)


def _shop_page(ld: dict, body_extra: str = "") -> str:
    ld_json = json.dumps(ld)
    head = (
        "<title>Trailhead 40 Hiking Pack | Example Outdoor</title>"
        '<meta property="og:type" content="product">'
        f'<script type="application/ld+json">{ld_json}</script>'
    )
    nav = "".join(f"<li><a href='/c/{c}'>{c.title()}</a></li>" for c in ("packs", "tents", "boots"))
    return _page(
        f"<header><nav><ul>{nav}</ul></nav></header>"
        "<main><div class='product'><h1>Trailhead 40 Hiking Pack</h1>"
        "<p class='price'>$129.00</p><button>Add to cart</button>"
        # the shop renders the description tab with script: empty in the HTML
        f"<div id='description-tab' data-render='client'></div>{body_extra}</div></main>"
        "<footer><p>Free shipping on orders over $50. Returns within 30 days.</p></footer>",
        head,
    )


def _product(description: str, **extra: object) -> dict:
    return {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": "Trailhead 40 Hiking Pack",
        "description": description,
        "offers": {"@type": "Offer", "price": "129.00", "priceCurrency": "USD"},
        **extra,
    }


def test_product_description_declared_in_json_ld_is_read() -> None:
    from snapshelf.capture.extract.product import declared_product

    got = extract_html(_shop_page(_product(_DESCRIPTION)), "https://shop.example/p/40")
    assert "ventilated mesh that keeps air moving" in got.text
    assert "sleeping bag at the bottom" in got.html
    assert "sleeping bag at the bottom" in got.markdown
    assert got.text.count("frame sheet and padded hip belt") == 1
    # HTML in the declared description becomes plain paragraphs; @graph is searched
    html_desc = "<p>" + _DESCRIPTION.replace(". ", ".</p><p>", 1) + "</p>"
    page = _shop_page({"@context": "https://schema.org", "@graph": [_product(html_desc)]})
    name, description = declared_product(lxml.html.fromstring(page))
    assert name == "Trailhead 40 Hiking Pack"
    assert "<p>" not in description
    assert description.split("\n\n")[1].startswith("Its frame sheet")


def test_product_description_already_on_the_page_is_not_repeated() -> None:
    shown = f"<div class='tab'><p>{_DESCRIPTION}</p></div>"
    got = extract_html(_shop_page(_product(_DESCRIPTION), shown), "https://shop.example/p/40")
    assert got.text.count("ventilated mesh that keeps air moving") == 1


def test_a_short_declared_blurb_is_not_added() -> None:
    blurb = "A light hiking pack for long weekends."
    got = extract_html(_shop_page(_product(blurb)), "https://shop.example/p/40")
    assert "A light hiking pack" not in got.text
    # and only a page of the product kind is read for it
    article = _shop_page(_product(_DESCRIPTION)).replace('content="product"', 'content="article"')
    article = article.replace('"@type": "Product"', '"@type": "Thing"')
    assert "ventilated mesh" not in extract_html(article, "https://shop.example/p/40").text


# --------------------------------------------------------------------------- split bodies


def _mill_part(n: int, topic: str) -> str:
    return "".join(
        f"<p>Part {n}, paragraph {i}: the {topic} of the old mill was rebuilt by the village "
        "over three summers, and each stone was numbered before the walls came down.</p>"
        for i in range(4)
    )


_AD_ROW = "<div class='ad-row'><a href='/ad'>Advertisement</a></div>"


def _mill_page(extra: str = "") -> str:
    parts = _AD_ROW.join(
        f"<div class='article-body'>{_mill_part(n, topic)}</div>"
        for n, topic in ((1, "wheel"), (2, "roof"), (3, "race"))
    )
    return _page(
        "<header><nav><a href='/'>Home</a> <a href='/news'>News</a></nav></header>"
        f"<main><h1>The mill</h1>{parts}{extra}</main>"
        "<footer><p>Copyright the village paper</p></footer>"
    )


def test_an_article_split_over_sibling_containers_is_joined_in_order() -> None:
    # trafilatura keeps the first div.article-body only; the ad rows between are not kept
    got = extract_html(_mill_page(), "https://example.org/mill").text
    starts = [got.find(f"Part {n}, paragraph 0") for n in (1, 2, 3)]
    assert -1 not in starts and starts == sorted(starts), got[:300]
    assert got.count("Part 2, paragraph 3") == 1
    assert "Advertisement" not in got


def test_siblings_that_are_not_prose_are_not_joined() -> None:
    from snapshelf.capture.extract.siblings import split_body_blocks

    # a same-class box with one long sentence (a newsletter call) and same-class cards
    # of short lines (a product carousel) are not the rest of the article
    newsletter = (
        "<div class='article-body'><h3>Newsletter</h3><p>Our weekly letter is the essential "
        "resource for everything that happens in the village, delivered each Friday.</p></div>"
    )
    cards = "<div class='article-body'>" + "".join(
        f"<p>Mill mug {i}</p><p>$1{i}.00</p>" for i in range(10)
    )
    cards += "</div>"
    body = f"<div class='article-body'>{_mill_part(1, 'wheel')}</div>{newsletter}{cards}"
    tree = lxml.html.fromstring(_page(body))
    result = lxml.html.fromstring(f"<body>{_mill_part(1, 'wheel')}</body>")
    assert split_body_blocks(tree, result, result.text_content()) == ([], [])
    # with a second part of prose, that part (and only it) is joined
    body += f"<div class='article-body'>{_mill_part(2, 'roof')}</div>"
    tree = lxml.html.fromstring(_page(body))
    before, after = split_body_blocks(tree, result, result.text_content())
    assert before == [] and len(after) == 4 and all(b.startswith("Part 2,") for b in after)


def test_a_small_note_next_to_a_long_body_is_not_joined() -> None:
    from snapshelf.capture.extract.siblings import split_body_blocks

    long_body = "".join(_mill_part(n, "wheel") for n in range(1, 5))  # about 2,400 chars
    note = (  # about 170 chars
        "<div class='article-body'><p>Note: the advertising disclosure below does not apply "
        "to this article or any other story.</p><p>We may receive a commission for some "
        "links in our stories; thank you for reading.</p></div>"
    )
    body = f"<div class='article-body'>{long_body}</div>{_AD_ROW}{note}"
    tree = lxml.html.fromstring(_page(body))
    result = lxml.html.fromstring(f"<body>{long_body}</body>")
    # two sentences of prose, but not comparable with the body kept
    assert split_body_blocks(tree, result, result.text_content()) == ([], [])
    # sibling <article>s are other stories, never parts of this one
    stories = "".join(f"<article class='story'>{_mill_part(n, 'roof')}</article>" for n in (1, 2))
    tree = lxml.html.fromstring(_page(stories))
    result = lxml.html.fromstring(f"<body>{_mill_part(1, 'roof')}</body>")
    assert split_body_blocks(tree, result, result.text_content()) == ([], [])


# --------------------------------------------------------------------------- related tail


def _trafilatura_body(*blocks: str) -> etree._Element:
    return etree.fromstring(f"<body>{''.join(blocks)}</body>")


ARTICLE_PROSE = "".join(
    f"<p>{PARA}</p>" for _ in range(3)
)  # the article, long enough that a box after it is a tail


@pytest.mark.parametrize("heading", ["为您推荐", "Related stories", "You may also like:"])
def test_a_list_of_teasers_after_a_box_heading_is_cut(heading: str) -> None:
    teasers = "".join(
        f"<item>Headline number {i} of the box</item><item>{i} hours ago</item>" for i in range(6)
    )
    body = _trafilatura_body(ARTICLE_PROSE, f"<head>{heading}</head>", f"<list>{teasers}</list>")
    assert cut_related_tail(body)
    text = render_text(body)
    assert heading not in text and "Headline number" not in text
    assert text.count(PARA.split()[0]) >= 3  # the article stays whole


def test_a_box_heading_followed_by_prose_stays() -> None:
    """ "相关新闻" then a whole related article (cx163 page 41 keeps it in its reference),
    or a paper's "Related articles" section in prose: not a teaser list."""
    body = _trafilatura_body(
        ARTICLE_PROSE, "<head>Related articles</head>", f"<p>{PARA}</p><p>{PARA}</p>"
    )
    assert not cut_related_tail(body)
    assert "Related articles" in render_text(body)


def test_a_box_heading_near_the_top_is_not_a_tail() -> None:
    items = "".join(f"<item>Short line {i}</item>" for i in range(8))
    body = _trafilatura_body("<p>Intro.</p><head>Read next</head>", f"<list>{items}</list>")
    assert not cut_related_tail(body)


def test_the_163_and_sina_boxes_leave_the_reader_view():
    """The new-user report: a 163.com article ended with its 为您推荐 box, a sina one with
    a stock Q&A widget under 推荐阅读-style headings."""
    pages = corpus("gne-chinese-news") / "pages"
    for name in ("163/3.html.gz", "sina/2.html.gz"):
        doc = read_document(
            read_bytes(pages / name),
            "text/html",
            None,
            "https://news.example.cn/a.html",
            "https://news.example.cn/a.html",
            200,
        )
        assert "为您推荐" not in doc.extracted.text and "热点新闻" not in doc.extracted.text
        assert len(doc.extracted.text) > 300, name


# --------------------------------------------------------------------------- cards

_PLACES = ["harbour", "library", "orchard", "railway", "observatory", "bakery"]


def _teaser(place: str) -> str:
    return f"Volunteers spent the winter repairing the {place}; visitors say it feels new."


def _card_page(card, extra: str = "") -> lxml.html.HtmlElement:
    cards = "".join(card(i, p) for i, p in enumerate(_PLACES))
    return lxml.html.fromstring(
        _page(
            "<nav><a href='/'>Home</a></nav>"
            f"<main><h1>Latest posts</h1><div class='grid'>{cards}</div>{extra}</main>"
        )
    )


def _blog_card(i: int, place: str) -> str:
    return (
        f"<div class='card card-{i}'><h3><a href='/post/{i}'>What changed at the old {place}</a>"
        f"</h3><p>{_teaser(place)}</p><span class='date'>March {i + 1}</span> "
        "<div class='badge'>NEW</div></div>"
    )


def test_dropped_card_headlines_are_put_back_in_page_order() -> None:
    """trafilatura kept each card's teaser and date but not its linked headline (WCXB
    listings: blog front pages, rankings, course catalogues)."""
    from snapshelf.capture.extract.cards import fill_cards

    tree = _card_page(_blog_card)
    kept = "".join(f"<p>{_teaser(p)}</p><p>March {i + 1}</p>" for i, p in enumerate(_PLACES))
    body = _trafilatura_body("<head>Latest posts</head>", kept)
    assert fill_cards(tree, body)
    blocks = render_text(body).split("\n\n")
    assert blocks[:4] == [
        "Latest posts",
        "What changed at the old harbour",
        _teaser("harbour"),
        "March 1",
    ]
    assert blocks.count("What changed at the old bakery") == 1
    assert blocks.index("What changed at the old bakery") == blocks.index(_teaser("bakery")) - 1
    # a badge every card repeats is not the card's own text
    assert "NEW" not in blocks


def test_cards_the_result_does_not_touch_are_left_alone() -> None:
    """A box of teaser cards beside an article: nothing of it is in the result."""
    from snapshelf.capture.extract.cards import fill_cards

    tree = _card_page(_blog_card, extra=f"<article>{ARTICLE_PROSE}</article>")
    body = _trafilatura_body(ARTICLE_PROSE)
    assert not fill_cards(tree, body)


def test_a_few_lines_kept_of_a_box_under_an_article_do_not_bring_the_box() -> None:
    """The result is an article and the dates of a box of teasers under it: the box is
    not what the result is made of."""
    from snapshelf.capture.extract.cards import fill_cards

    tree = _card_page(_blog_card, extra=f"<article>{ARTICLE_PROSE}</article>")
    dates = "".join(f"<p>March {i + 1}</p>" for i in range(len(_PLACES)))
    body = _trafilatura_body(ARTICLE_PROSE, dates)
    assert not fill_cards(tree, body)


def test_names_above_long_posts_are_not_put_back() -> None:
    """A thread's posts are cards too; the linked name over each long post is not a headline
    the reader misses."""
    from snapshelf.capture.extract.cards import fill_cards

    def post(i: int, place: str) -> str:
        return (
            f"<div class='post'><a href='/u/{i}'>user{i}</a><p>{PARA} {place}</p>"
            f"<p>{PARA}</p></div>"
        )

    tree = _card_page(post)
    body = _trafilatura_body(*(f"<p>{PARA} {p}</p><p>{PARA}</p>" for p in _PLACES))
    assert not fill_cards(tree, body)


# --------------------------------------------------------------------------- parsing


def test_parsed_pages_have_lxml_html_classes_chosen_without_python_calls(monkeypatch) -> None:
    """parse.html_class_lookup: the classes lxml.html's own lookup gives (forms, inputs,
    any other tag), on the page and on copies of it, without that Python lookup running."""
    page = _page(
        '<form action="/s"><label>Q</label><input name="q"><select name="o"><option>a</option>'
        f"</select><textarea>t</textarea></form><div><p>{PARA}</p></div>"
    )
    want = {el.tag: type(el) for el in lxml.html.document_fromstring(page).iter()}
    assert want["form"] is lxml.html.FormElement and want["p"] is lxml.html.HtmlElement
    calls = []
    python_lookup = lxml.html.HtmlElementClassLookup.lookup

    def counted(self: object, *args: object) -> object:
        calls.append(args)
        return python_lookup(self, *args)

    monkeypatch.setattr(lxml.html.HtmlElementClassLookup, "lookup", counted)
    tree = parse_page(page)
    assert {el.tag: type(el) for el in tree.iter()} == want
    assert {el.tag: type(el) for el in copy.deepcopy(tree).iter()} == want
    assert not calls
